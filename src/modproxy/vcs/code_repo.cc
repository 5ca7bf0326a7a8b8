#include "modproxy/vcs/code_repo.h"

#include <algorithm>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "modproxy/protocol/module_path.h"
#include "modproxy/protocol/semver.h"
#include "modproxy/protocol/text.h"
#include "modproxy/vcs/gomod.h"
#include "modproxy/vcs/path_major.h"
#include "modproxy/vcs/pseudo_version.h"

namespace modproxy::vcs {
namespace {

namespace semver = protocol::semver;
using protocol::detail::Quote;

// codehost.MaxGoMod.
constexpr std::uint64_t kMaxGoMod = 16 << 20;
constexpr std::string_view kIncompatible = "+incompatible";
// git.go's minHashDigits.
constexpr std::size_t kMinHashDigits = 7;

bool AllHex(std::string_view s) {
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

std::string_view TrimSuffix(std::string_view s, std::string_view suffix) {
  if (s.ends_with(suffix)) s.remove_suffix(suffix.size());
  return s;
}

// path.Join for the two-element joins coderepo.go makes.
std::string JoinPath(std::string_view a, std::string_view b) {
  if (a.empty()) return std::string(b);
  if (b.empty()) return std::string(a);
  return std::string(a) + "/" + std::string(b);
}

Error Invalid(std::string message) {
  return MakeError(ErrorCode::kInvalidArgument, std::move(message));
}
Error NotFound(std::string message) { return MakeError(ErrorCode::kNotFound, std::move(message)); }

// A Go %q of a module path from a go.mod (ASCII in practice).
std::string Q(std::string_view s) { return Quote(s); }

// The go command's isMajor: whether the versions allowed for `mpath` fit
// the major version(s) implied by `path_major`.
bool IsMajor(std::string_view mpath, std::string_view path_major) {
  if (mpath.empty()) return false;
  Result<protocol::PathMajorSplit> split = protocol::SplitPathVersion(mpath);
  if (!split) return false;
  const std::string& mpath_major = split->path_major;
  if (path_major.empty()) {
    const std::string prefix = PathMajorPrefix(mpath_major);
    return prefix.empty() || prefix == "v0" || prefix == "v1";
  }
  if (mpath_major.empty()) return false;
  return path_major.substr(1) == std::string_view(mpath_major).substr(1);
}

}  // namespace

CodeRepo::CodeRepo(GitRepo& repo, std::string repo_root, std::string module_path,
                   std::string code_dir, std::string path_prefix, std::string path_major)
    : repo_(&repo),
      repo_root_(std::move(repo_root)),
      module_path_(std::move(module_path)),
      code_dir_(std::move(code_dir)),
      path_prefix_(std::move(path_prefix)),
      path_major_(std::move(path_major)),
      pseudo_major_(PathMajorPrefix(path_major_)) {}

Result<CodeRepo> CodeRepo::Create(GitRepo& repo, std::string_view repo_root,
                                  std::string_view module_path) {
  if (!HasPathPrefix(module_path, repo_root)) {
    return Invalid("mismatched repo: found " + std::string(repo_root) + " for " +
                   std::string(module_path));
  }
  Result<protocol::PathMajorSplit> split = protocol::SplitPathVersion(module_path);
  if (!split) return Invalid("invalid module path " + Q(module_path));
  std::string path_prefix = split->prefix;
  if (repo_root == module_path) path_prefix = std::string(module_path);
  std::string code_dir;
  if (repo_root != module_path) {
    if (!HasPathPrefix(path_prefix, repo_root)) {
      return Invalid("repository rooted at " + std::string(repo_root) + " cannot contain module " +
                     std::string(module_path));
    }
    std::string_view rest = std::string_view(path_prefix).substr(repo_root.size());
    while (rest.starts_with('/')) rest.remove_prefix(1);
    while (rest.ends_with('/')) rest.remove_suffix(1);
    code_dir = std::string(rest);
  }
  return CodeRepo(repo, std::string(repo_root), std::string(module_path), std::move(code_dir),
                  std::move(path_prefix), split->path_major);
}

Error CodeRepo::ModuleError(std::string_view version, const Error& inner, bool pseudo) const {
  return MakeError(inner.code, module_path_ + "@" + std::string(version) + ": invalid " +
                                   (pseudo ? "pseudo-version" : "version") + ": " + inner.message);
}

Result<const std::map<std::string, std::string>*> CodeRepo::Refs() {
  if (!refs_) {
    Result<std::vector<GitRef>> refs = repo_->Refs();
    if (!refs) return refs.error();
    std::map<std::string, std::string> m;
    for (GitRef& r : *refs) {
      if (r.name == "HEAD" || r.name.starts_with("refs/heads/") ||
          r.name.starts_with("refs/tags/")) {
        m[r.name] = std::move(r.commit);
      }
    }
    refs_ = std::move(m);
  }
  return &*refs_;
}

// gitRepo.Tags: tag names with the (string) prefix and their commits, by name.
std::vector<std::pair<std::string, std::string>> CodeRepo::Tags(std::string_view prefix) {
  std::vector<std::pair<std::string, std::string>> tags;
  if (!refs_) return tags;
  constexpr std::string_view kTags = "refs/tags/";
  for (auto it = refs_->lower_bound(std::string(kTags)); it != refs_->end(); ++it) {
    if (!it->first.starts_with(kTags)) break;
    const std::string_view tag = std::string_view(it->first).substr(kTags.size());
    if (tag.starts_with(prefix)) tags.emplace_back(std::string(tag), it->second);
  }
  return tags;
}

// The go command only fetches what refs/heads/* and refs/tags/* reach, so a
// commit outside that history (a pull request head, a dropped branch) is an
// unknown revision even if the mirror still holds it.
Result<bool> CodeRepo::ReachableFromRefs(const std::string& commit) {
  std::vector<std::string> tips;
  for (std::string_view kind : {"refs/heads/", "refs/tags/"}) {
    for (const auto& [name, hash] : *refs_) {
      if (name.starts_with(kind) && std::find(tips.begin(), tips.end(), hash) == tips.end()) {
        tips.push_back(hash);
      }
    }
  }
  if (std::find(tips.begin(), tips.end(), commit) != tips.end()) return true;
  for (const std::string& tip : tips) {
    Result<bool> ok = repo_->IsAncestor(commit, tip);
    if (!ok) return ok.error();
    if (*ok) return true;
  }
  return false;
}

// gitRepo.stat in a fresh module cache: tag, branch, HEAD, hash prefix of a
// ref tip, then any commit reachable from heads and tags.
Result<CodeRepo::CodeRev> CodeRepo::CodeStat(std::string_view rev_in) {
  Result<const std::map<std::string, std::string>*> refs_or = Refs();
  if (!refs_or) return refs_or.error();
  const auto& refs = **refs_or;
  const std::string rev(rev_in);
  const auto find = [&](const std::string& name) -> const std::string* {
    auto it = refs.find(name);
    return it == refs.end() || it->second.empty() ? nullptr : &it->second;
  };
  std::string ref;
  std::string hash;
  std::string version;
  bool is_tip = true;
  if (const std::string* h = find("refs/tags/" + rev)) {
    ref = "refs/tags/" + rev;
    hash = *h;
    version = rev;
  } else if (const std::string* hb = find("refs/heads/" + rev)) {
    ref = "refs/heads/" + rev;
    hash = *hb;
  } else if (const std::string* hh = rev == "HEAD" ? find("HEAD") : nullptr) {
    ref = "HEAD";
    hash = *hh;
  } else if (rev.size() >= kMinHashDigits && rev.size() <= 40 && AllHex(rev)) {
    for (const auto& [name, tip] : refs) {
      if (!tip.starts_with(rev)) continue;
      if (!hash.empty() && hash != tip) return Invalid("ambiguous revision " + rev);
      if (ref.empty() || name < ref) ref = name;
      hash = tip;
    }
    if (hash.empty()) is_tip = false;
  } else {
    return NotFound("unknown revision " + rev);
  }
  Result<GitCommit> commit = repo_->Commit(hash.empty() ? rev : hash);
  if (!commit) {
    if (commit.error().code == ErrorCode::kNotFound) return NotFound("unknown revision " + rev);
    return commit.error();
  }
  if (!is_tip) {
    Result<bool> reachable = ReachableFromRefs(commit->hash);
    if (!reachable) return reachable.error();
    if (!*reachable) return NotFound("unknown revision " + rev);
  }
  CodeRev info;
  info.name = commit->hash;
  info.short_hash =
      info.name.size() == 40 && AllHex(info.name) ? info.name.substr(0, 12) : info.name;
  info.time = commit->commit_time;
  info.version = version.empty() ? info.name : version;
  info.ref = ref == info.name ? "" : ref;
  for (const auto& [name, h] : refs) {
    if (h == info.name && name.starts_with("refs/tags/")) info.tags.push_back(name.substr(10));
  }
  std::sort(info.tags.begin(), info.tags.end());
  return info;
}

Result<std::optional<std::string>> CodeRepo::ReadGoMod(std::string_view commit,
                                                       std::string_view path) {
  return repo_->ReadFile(commit, path, kMaxGoMod);
}

// Whether a file exists, as a `git cat-file blob` that succeeds: one too
// large to read still exists.
Result<bool> CodeRepo::FileExists(std::string_view commit, std::string_view path) {
  Result<std::optional<std::string>> data = repo_->ReadFile(commit, path, kMaxGoMod);
  if (!data) {
    if (data.error().code == ErrorCode::kUpstreamInvalid) return true;
    return data.error();
  }
  return data->has_value();
}

std::string CodeRepo::RevToRev(std::string_view version) const {
  if (!semver::IsValid(version)) return std::string(version);
  if (protocol::IsPseudoVersion(version)) return *PseudoVersionRev(version);
  if (semver::Build(version) == kIncompatible) version = TrimSuffix(version, kIncompatible);
  return JoinPath(code_dir_, version);
}

// findDir: where the module's go.mod is at `commit`, or why the commit does
// not hold this module.
Result<CodeRepo::FoundDir> CodeRepo::FindDir(std::string_view version, std::string_view commit) {
  const std::string rev = RevToRev(version);
  const std::string file1 = JoinPath(code_dir_, "go.mod");
  Result<std::optional<std::string>> gomod1 = ReadGoMod(commit, file1);
  if (!gomod1) return gomod1.error();
  const std::string mpath1 = gomod1->has_value() ? ModulePathFromGoMod(**gomod1) : "";
  // The go command once accepted unversioned paths as replacements for
  // gopkg.in ones (golang.org/issue/34254).
  const bool found1 =
      gomod1->has_value() &&
      (IsMajor(mpath1, path_major_) || (path_major_.empty() && mpath1.starts_with("gopkg.in/")));
  std::string file2;
  if (!path_major_.empty() && repo_root_ != module_path_ && !path_major_.starts_with('.')) {
    const std::string dir2 = JoinPath(code_dir_, std::string_view(path_major_).substr(1));
    file2 = JoinPath(dir2, "go.mod");
    Result<std::optional<std::string>> gomod2 = ReadGoMod(commit, file2);
    if (!gomod2) return gomod2.error();
    const std::string mpath2 = gomod2->has_value() ? ModulePathFromGoMod(**gomod2) : "";
    const bool found2 = gomod2->has_value() && IsMajor(mpath2, path_major_);
    if (found1 && found2) {
      return Invalid(path_prefix_ + "/" + file1 + " and ..." + path_major_ +
                     "/go.mod both have ..." + path_major_ + " module paths at revision " + rev);
    }
    if (found2) return FoundDir{dir2, std::move(*gomod2)};
    if (gomod2->has_value()) {
      if (mpath2.empty()) {
        return Invalid(repo_root_ + "/" + file2 + " is missing module path at revision " + rev);
      }
      return Invalid(repo_root_ + "/" + file2 + " has non-..." + path_major_ + " module path " +
                     Q(mpath2) + " at revision " + rev);
    }
  }
  if (found1) return FoundDir{code_dir_, std::move(*gomod1)};
  if (gomod1->has_value()) {
    const std::string suffix =
        file2.empty() ? "" : " (and ..." + path_major_ + "/go.mod does not exist)";
    if (mpath1.empty()) {
      return Invalid(file1 + " is missing module path" + suffix + " at revision " + rev);
    }
    if (!path_major_.empty()) {
      return Invalid(file1 + " has non-..." + path_major_ + " module path " + Q(mpath1) + suffix +
                     " at revision " + rev);
    }
    if (!protocol::SplitPathVersion(mpath1)) {
      return Invalid(file1 + " has malformed module path " + Q(mpath1) + suffix + " at revision " +
                     rev);
    }
    return Invalid(file1 + " has post-" + semver::Major(version) + " module path " + Q(mpath1) +
                   suffix + " at revision " + rev);
  }
  if (code_dir_.empty() && (path_major_.empty() || path_major_.starts_with('.'))) {
    return FoundDir{"", std::nullopt};  // no go.mod at the root: fine for v0/v1 and gopkg.in
  }
  if (!file2.empty()) {
    return Invalid("missing " + path_prefix_ + "/go.mod and ..." + path_major_ +
                   "/go.mod at revision " + rev);
  }
  return Invalid("missing " + path_prefix_ + "/go.mod at revision " + rev);
}

}  // namespace modproxy::vcs
