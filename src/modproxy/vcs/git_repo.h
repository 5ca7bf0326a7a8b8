#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "modproxy/core/result.h"

// What direct mode needs to read from one git repository, already fetched:
// the go command's codehost.Repo, cut down to git. The libgit2 mirror
// (git/) implements it; unit tests use an in-memory fake. Calls may block on
// disk: run them on the fetch workers.
namespace modproxy::vcs {

// A ref of the repository: "HEAD" (the default branch), "refs/heads/<b>",
// "refs/tags/<t>". `commit` is the full lowercase hex hash of the commit it
// points to, annotated tags already peeled.
struct GitRef {
  std::string name;
  std::string commit;
};

struct GitCommit {
  std::string hash;             // full lowercase hex
  std::int64_t commit_time{0};  // committer time, Unix seconds (the go command's %ct)
};

enum class TreeEntryKind { kFile, kExecutable, kSymlink, kSubmodule };

struct TreeEntry {
  std::string path;  // slash-separated, relative to the repository root
  TreeEntryKind kind{TreeEntryKind::kFile};
  std::uint64_t size{0};  // blob size before any conversion; 0 for submodules
};

class GitRepo {
 public:
  virtual ~GitRepo() = default;

  // Every ref: HEAD, refs/heads/*, refs/tags/*. Order unspecified.
  virtual Result<std::vector<GitRef>> Refs() = 0;

  // A commit by full hash or by a hash prefix of at least 4 hex digits.
  // kNotFound ("unknown revision <rev>") when no commit matches, also when the
  // prefix is ambiguous or names something that is not a commit.
  virtual Result<GitCommit> Commit(std::string_view rev) = 0;

  // Whether `ancestor` is `descendant` or one of its ancestors (full hashes).
  virtual Result<bool> IsAncestor(std::string_view ancestor, std::string_view descendant) = 0;

  // The raw bytes of the blob at commit:path, with no conversion (the go
  // command's `git cat-file blob`); nullopt when there is no such blob.
  // kUpstreamInvalid when it is larger than max_bytes.
  virtual Result<std::optional<std::string>> ReadFile(std::string_view commit,
                                                      std::string_view path,
                                                      std::uint64_t max_bytes) = 0;

  // Every blob, symlink and submodule of the commit's tree, recursively
  // (directories themselves are not listed).
  virtual Result<std::vector<TreeEntry>> ListTree(std::string_view commit) = 0;

  // The file's bytes as `git -c core.autocrlf=input -c core.eol=lf archive`
  // writes them: the commit's .gitattributes conversions applied (text/eol
  // line endings, ident), export-subst and export-ignore not. kUpstreamInvalid
  // when the result is larger than max_bytes.
  virtual Result<std::string> ReadArchiveFile(std::string_view commit, std::string_view path,
                                              std::uint64_t max_bytes) = 0;
};

}  // namespace modproxy::vcs
