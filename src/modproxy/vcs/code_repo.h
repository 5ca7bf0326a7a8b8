#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "modproxy/core/result.h"
#include "modproxy/vcs/git_repo.h"
#include "modproxy/vcs/gomod.h"

// One module inside one git repository, as the go command's modfetch
// codeRepo (coderepo.go, Go 1.19.8) sees it over codehost's gitRepo:
// versions from tags, queries resolved to versions, pseudo-versions,
// +incompatible, go.mod location (go-modules-reference.md §4, §8.3-§8.7).
// Pure logic over the GitRepo interface; not thread-safe (one per request).
//
// Errors follow the go command's wording, "M@V: invalid version: ..." (or
// "invalid pseudo-version"). kNotFound where the go command's error is a
// not-exist error (unknown revision, no commits, a go.mod location or module
// path that does not fit the module: the GOPROXY protocol's 404);
// kInvalidArgument for other refusals ("resolves to version X (V is not a
// tag)", +incompatible misuse, "module contains a go.mod file, so module
// path must match major version", invalid pseudo-versions, ambiguous hash
// prefixes). Errors of the GitRepo itself keep their code.
namespace modproxy::vcs {

struct RevInfo {
  std::string version;   // canonical module version
  std::int64_t time{0};  // committer time, Unix seconds
  std::string commit;    // full hash
  std::string ref;       // the ref it was found through ("refs/tags/v1.2.3", "HEAD", ...) or ""
};

// What a module zip is built from: the files under module_dir ("" for the
// repository root, else "sub", "sub/v2", "v2") at commit, as git archive
// writes them; plus, when add_root_license, the raw blob of the root
// LICENSE saved as "LICENSE" (the module dir is not the root, has no LICENSE
// entry of its own, and the root has one).
struct ZipSource {
  std::string commit;
  std::string module_dir;
  bool add_root_license{false};
};

class CodeRepo {
 public:
  // `repo_root` is the import path of the repository root (RepoRoot.root),
  // `module_path` the module, which must lie inside it. kInvalidArgument
  // otherwise ("mismatched repo", "invalid module path").
  static Result<CodeRepo> Create(GitRepo& repo, std::string_view repo_root,
                                 std::string_view module_path);

  // The @v/list lines: canonical, non-pseudo tags under the module's tag
  // prefix matching its major version, then "+incompatible" ones where
  // allowed; sorted by semver.
  Result<std::vector<std::string>> Versions();

  // A query (canonical version, "+incompatible" version, pseudo-version,
  // tag, branch, hash prefix of 7+ hex digits, "HEAD", "latest") resolved to
  // the module version of its commit.
  Result<RevInfo> Stat(std::string_view query);

  // The default branch's head as a version (@latest in direct mode).
  Result<RevInfo> Latest();

  // The .mod file of a canonical version: its go.mod blob, raw, or
  // "module M\n" when it has none. The version is first resolved like
  // Stat (as `go mod download` does); it must resolve to itself.
  Result<std::string> GoMod(std::string_view version);

  // Where the .zip of a canonical version comes from (same resolution).
  Result<ZipSource> Zip(std::string_view version);

  const std::string& module_path() const { return module_path_; }
  const std::string& code_dir() const { return code_dir_; }

 private:
  CodeRepo(GitRepo& repo, std::string repo_root, std::string module_path, std::string code_dir,
           std::string path_prefix, std::string path_major);

  // codehost.RevInfo: one commit as the code host reports it.
  struct CodeRev {
    std::string name;  // full hash
    std::string short_hash;
    std::int64_t time = 0;
    std::string version;            // the tag name when looked up by tag, else the full hash
    std::vector<std::string> tags;  // tags pointing at the commit, sorted
    std::string ref;
  };
  struct FoundDir {
    std::string dir;
    std::optional<std::string> gomod;
  };
  class Converter;

  Result<const std::map<std::string, std::string>*> Refs();
  std::vector<std::pair<std::string, std::string>> Tags(std::string_view prefix);
  Result<CodeRev> CodeStat(std::string_view rev);
  Result<bool> ReachableFromRefs(const std::string& commit);
  Result<std::optional<std::string>> ReadGoMod(std::string_view commit, std::string_view path);
  Result<bool> FileExists(std::string_view commit, std::string_view path);
  std::string RevToRev(std::string_view version) const;
  Result<FoundDir> FindDir(std::string_view version, std::string_view commit);
  Result<std::string> RawGoMod(std::string_view version, std::string_view commit);
  Result<RevInfo> StatCanonical(std::string_view version);
  Result<std::vector<Retraction>> Retractions();
  Error ModuleError(std::string_view version, const Error& inner, bool pseudo = false) const;

  GitRepo* repo_;
  std::string repo_root_;
  std::string module_path_;
  std::string code_dir_;
  std::string path_prefix_;
  std::string path_major_;
  std::string pseudo_major_;
  std::optional<std::map<std::string, std::string>> refs_;
  std::optional<std::vector<Retraction>> retractions_;
};

}  // namespace modproxy::vcs
