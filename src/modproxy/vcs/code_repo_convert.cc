// CodeRepo::Stat, Latest, GoMod and Zip: coderepo.go's convert,
// validatePseudoVersion and the RecentTag search of codehost/git.go
// (go-modules-reference.md §4.3, §4.4, §8.5-§8.7).
#include <algorithm>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "modproxy/protocol/semver.h"
#include "modproxy/vcs/code_repo.h"
#include "modproxy/vcs/gomod.h"
#include "modproxy/vcs/path_major.h"
#include "modproxy/vcs/pseudo_version.h"

namespace modproxy::vcs {
namespace {

namespace semver = protocol::semver;

constexpr std::string_view kIncompatible = "+incompatible";
constexpr std::uint64_t kMaxLicense = 16 << 20;

std::string_view TrimSuffix(std::string_view s, std::string_view suffix) {
  if (s.ends_with(suffix)) s.remove_suffix(suffix.size());
  return s;
}

std::string_view TrimPrefix(std::string_view s, std::string_view prefix) {
  if (s.starts_with(prefix)) s.remove_prefix(prefix.size());
  return s;
}

Error Invalid(std::string message) {
  return MakeError(ErrorCode::kInvalidArgument, std::move(message));
}

struct TagVersion {
  std::string version;
  bool canonical = false;
};

// tagToVersion (see code_repo.cc): the pseudo-version check is on the whole
// tag, prefix included.
TagVersion TagToVersion(std::string_view tag, std::string_view tag_prefix) {
  if (!tag.starts_with(tag_prefix)) return {};
  const std::string_view trimmed = tag.substr(tag_prefix.size());
  if (protocol::IsPseudoVersion(tag)) return {};
  std::string v = semver::Canonical(trimmed);
  if (v.empty() || !trimmed.starts_with(v)) return {};
  const bool canonical = v == trimmed;
  return {std::move(v), canonical};
}

}  // namespace

// convert() for one commit and one query (statVers), with the per-call
// memo of canUseIncompatible's go.mod checks.
class CodeRepo::Converter {
 public:
  Converter(CodeRepo& repo, const CodeRev& info, std::string_view stat_vers)
      : r_(repo), info_(info), stat_vers_(stat_vers) {
    tag_prefix_ = r_.code_dir_.empty() ? "" : r_.code_dir_ + "/";
  }

  Result<RevInfo> Run();

 private:
  Result<bool> CanUseIncompatible(std::string_view v);
  Result<RevInfo> CheckCanonical(std::string v);
  Result<void> ValidatePseudoVersion();
  Result<std::string> RecentTag();
  Result<bool> TagAllowed(std::string_view tag);
  bool IsRetracted(std::string_view v) {
    Result<std::vector<Retraction>> r = r_.Retractions();
    return r && vcs::IsRetracted(*r, v);
  }

  CodeRepo& r_;
  const CodeRev& info_;
  std::string stat_vers_;
  std::string tag_prefix_;
  std::map<std::string, bool> incompatible_ok_;
};

// canUseIncompatible: only a root module with an unversioned path, no
// go.mod at the root of this commit, and (unless +incompatible was asked
// for explicitly, golang.org/issue/51324) no vN/go.mod for that major.
Result<bool> CodeRepo::Converter::CanUseIncompatible(std::string_view v) {
  if (!r_.code_dir_.empty() || !r_.path_major_.empty()) return false;
  const auto check = [&](const std::string& key, const std::string& file) -> Result<bool> {
    if (auto it = incompatible_ok_.find(key); it != incompatible_ok_.end()) return it->second;
    Result<bool> exists = r_.FileExists(info_.name, file);
    // Any failure to read the file counts as "no go.mod" in the go command.
    const bool ok = !exists || !*exists;
    incompatible_ok_[key] = ok;
    return ok;
  };
  Result<bool> root_ok = check("", "go.mod");
  if (!root_ok || !*root_ok) return root_ok;
  if (!v.empty() && !stat_vers_.ends_with(kIncompatible)) {
    const std::string major = semver::Major(v);
    return check(major, major + "/go.mod");
  }
  return true;
}

Result<RevInfo> CodeRepo::Converter::CheckCanonical(std::string v) {
  // The go.mod location and module path must fit: a not-exist error.
  Result<FoundDir> dir = r_.FindDir(v, info_.name);
  if (!dir) {
    const Error& e = dir.error();
    return r_.ModuleError(
        v, e.code == ErrorCode::kInvalidArgument ? MakeError(ErrorCode::kNotFound, e.message) : e);
  }
  if (v == TrimSuffix(stat_vers_, kIncompatible)) v = stat_vers_;
  const std::string base(TrimSuffix(v, kIncompatible));
  std::optional<Error> err_incompatible;
  if (!MatchPathMajor(base, r_.path_major_)) {
    Result<bool> can = CanUseIncompatible(base);
    if (!can) return can.error();
    if (*can) {
      v = base + std::string(kIncompatible);
    } else if (!r_.path_major_.empty()) {
      err_incompatible = r_.ModuleError(
          v, Invalid("module path includes a major version suffix, so major version must match"));
    } else {
      err_incompatible = r_.ModuleError(
          v, Invalid("module contains a go.mod file, so module path must match major version (\"" +
                     r_.path_prefix_ + "/" + semver::Major(v) + "\")"));
    }
  } else if (v.ends_with(kIncompatible)) {
    err_incompatible =
        r_.ModuleError(v, Invalid("+incompatible suffix not allowed: major version " +
                                  semver::Major(v) + " is compatible"));
  }
  if (!stat_vers_.empty() && stat_vers_ == protocol::CanonicalVersion(stat_vers_)) {
    // A canonical query must resolve to itself (maybe with +incompatible).
    const std::string_view stat_base = TrimSuffix(stat_vers_, kIncompatible);
    if (stat_base != base) {
      return r_.ModuleError(stat_vers_, Invalid("resolves to version " + v + " (" +
                                                std::string(stat_base) + " is not a tag)"));
    }
  }
  if (err_incompatible) return *err_incompatible;
  return RevInfo{v, info_.time, info_.name, info_.ref};
}

Result<void> CodeRepo::Converter::ValidatePseudoVersion() {
  const std::string& version = stat_vers_;
  const auto fail = [&](const Error& e) { return r_.ModuleError(version, e, /*pseudo=*/true); };
  Result<std::string> rev = PseudoVersionRev(version);
  if (!rev) return fail(rev.error());
  if (*rev != info_.short_hash) {
    if (rev->starts_with(info_.short_hash)) {
      return fail(Invalid("revision is longer than canonical (expected " + info_.short_hash + ")"));
    }
    if (info_.short_hash.starts_with(*rev)) {
      return fail(
          Invalid("revision is shorter than canonical (expected " + info_.short_hash + ")"));
    }
    return fail(
        Invalid("does not match short name of revision (expected " + info_.short_hash + ")"));
  }
  Result<std::int64_t> t = PseudoVersionTime(version);
  if (!t) return fail(t.error());
  if (*t != info_.time) {
    return fail(Invalid("does not match version-control timestamp (expected " +
                        PseudoVersionTimestamp(info_.time) + ")"));
  }
  // The base must be a tag on an ancestor (not this commit's own canonical
  // tag): otherwise authors could pin arbitrary high pseudo-versions.
  Result<std::string> base = PseudoVersionBase(TrimSuffix(version, kIncompatible));
  if (!base) return fail(base.error());
  if (base->empty()) {
    if (r_.pseudo_major_.empty() && semver::Major(version) == "v1") {
      return fail(Invalid("major version without preceding tag must be v0, not v1"));
    }
    return {};
  }
  for (const std::string& tag : info_.tags) {
    if (TrimPrefix(tag, tag_prefix_) == *base) {
      return fail(Invalid("tag (" + tag + ") found on revision " + *rev +
                          " is already canonical, so should not be replaced with a "
                          "pseudo-version derived from that tag"));
    }
  }
  std::string last_tag;
  bool ancestor_found = false;
  std::optional<Error> last_error;
  for (const auto& [tag, commit] : r_.Tags(tag_prefix_ + *base)) {
    if (semver::Compare(TrimPrefix(tag, tag_prefix_), *base) != 0) continue;
    last_tag = tag;
    Result<bool> is = r_.repo_->IsAncestor(commit, info_.name);
    if (!is) {
      last_error = is.error();
      continue;
    }
    last_error.reset();
    if (*is) {
      ancestor_found = true;
      break;
    }
  }
  if (last_tag.empty()) return fail(Invalid("preceding tag (" + *base + ") not found"));
  if (!ancestor_found) {
    if (last_error) return fail(*last_error);
    return fail(
        Invalid("revision " + *rev + " is not a descendent of preceding tag (" + last_tag + ")"));
  }
  return {};
}

Result<bool> CodeRepo::Converter::TagAllowed(std::string_view tag) {
  const TagVersion tv = TagToVersion(tag, tag_prefix_);
  if (tv.version.empty()) return false;
  if (!MatchPathMajor(tv.version, r_.path_major_)) {
    Result<bool> can = CanUseIncompatible(tv.version);
    if (!can || !*can) return can;
  }
  return !IsRetracted(tv.version);
}

// RecentTag: the highest allowed tag (by semver of the part after the
// prefix) merged into the commit, as `git for-each-ref --merged` over the
// full history finds it. "" when there is none.
Result<std::string> CodeRepo::Converter::RecentTag() {
  std::vector<std::pair<std::string, std::string>> candidates;
  for (auto& [tag, commit] : r_.Tags(tag_prefix_)) {
    Result<bool> allowed = TagAllowed(tag);
    if (!allowed) return allowed.error();
    if (*allowed) candidates.emplace_back(tag, commit);
  }
  const std::size_t n = tag_prefix_.size();
  std::stable_sort(candidates.begin(), candidates.end(), [n](const auto& a, const auto& b) {
    return semver::Compare(std::string_view(a.first).substr(n),
                           std::string_view(b.first).substr(n)) > 0;
  });
  std::map<std::string, bool> merged;
  for (const auto& [tag, commit] : candidates) {
    auto it = merged.find(commit);
    if (it == merged.end()) {
      Result<bool> is = r_.repo_->IsAncestor(commit, info_.name);
      if (!is) return is.error();
      it = merged.emplace(commit, *is).first;
    }
    if (it->second) return tag;
  }
  return std::string();
}

Result<RevInfo> CodeRepo::Converter::Run() {
  if (protocol::IsPseudoVersion(stat_vers_)) {
    if (Result<void> ok = ValidatePseudoVersion(); !ok) return ok.error();
    return CheckCanonical(stat_vers_);
  }
  // A query naming a canonical tag of this module: that version, if it fits.
  if (const TagVersion tv = TagToVersion(info_.version, tag_prefix_); tv.canonical) {
    if (Result<RevInfo> info = CheckCanonical(tv.version); info) return info;
  }
  std::string highest_canonical;
  std::string pseudo_base;
  for (const std::string& tag : info_.tags) {
    const TagVersion tv = TagToVersion(tag, tag_prefix_);
    if (!stat_vers_.empty() && semver::Compare(tv.version, stat_vers_) == 0) {
      // The tag is equivalent to the requested version: use it when it is
      // exactly canonical; a non-canonical one (v1.2.3+meta) is only a base.
      if (tv.canonical) return CheckCanonical(tv.version);
      pseudo_base = tv.version;
    }
    if (tv.canonical && semver::Compare(highest_canonical, tv.version) < 0 &&
        !IsRetracted(tv.version)) {
      bool ok = MatchPathMajor(tv.version, r_.path_major_);
      if (!ok) {
        Result<bool> can = CanUseIncompatible(tv.version);
        if (!can) return can.error();
        ok = *can;
      }
      if (ok) highest_canonical = tv.version;
    }
  }
  if (!highest_canonical.empty()) return CheckCanonical(highest_canonical);
  if (pseudo_base.empty()) {
    Result<std::string> tag = RecentTag();
    if (!tag) return tag.error();
    if (!tag->empty()) pseudo_base = TagToVersion(*tag, tag_prefix_).version;
  }
  return CheckCanonical(PseudoVersion(r_.pseudo_major_, pseudo_base, info_.time, info_.short_hash));
}

Result<RevInfo> CodeRepo::Stat(std::string_view query) {
  if (query == "latest") return Latest();
  Result<CodeRev> info = CodeStat(RevToRev(query));
  if (!info) return ModuleError(query, info.error());
  return Converter(*this, *info, query).Run();
}

Result<RevInfo> CodeRepo::Latest() {
  Result<const std::map<std::string, std::string>*> refs = Refs();
  if (!refs) return refs.error();
  const auto head = (*refs)->find("HEAD");
  if (head == (*refs)->end() || head->second.empty()) {
    return MakeError(ErrorCode::kNotFound, "no commits");
  }
  Result<CodeRev> info = CodeStat(head->second);
  if (!info) return info.error();
  info->ref = "HEAD";
  return Converter(*this, *info, "").Run();
}

// coderepo.go's GoMod once the version is known to resolve to `commit`.
Result<std::string> CodeRepo::RawGoMod(std::string_view version, std::string_view commit) {
  Result<FoundDir> dir = FindDir(version, commit);
  if (!dir) return dir.error();
  if (dir->gomod) return std::move(*dir->gomod);
  return LegacyGoMod(module_path_);
}

// What `go mod download M@V` does before reading .mod or .zip: resolve V
// (which validates a pseudo-version), and insist it names itself.
Result<RevInfo> CodeRepo::StatCanonical(std::string_view version) {
  if (version != protocol::CanonicalVersion(version)) {
    return Invalid("version " + std::string(version) + " is not canonical");
  }
  Result<RevInfo> info = Stat(version);
  if (!info) return info.error();
  if (info->version != version) {
    return ModuleError(version,
                       MakeError(ErrorCode::kNotFound, "resolves to version " + info->version));
  }
  return info;
}

Result<std::string> CodeRepo::GoMod(std::string_view version) {
  Result<RevInfo> info = StatCanonical(version);
  if (!info) return info.error();
  return RawGoMod(version, info->commit);
}

Result<ZipSource> CodeRepo::Zip(std::string_view version) {
  Result<RevInfo> info = StatCanonical(version);
  if (!info) return info.error();
  Result<FoundDir> dir = FindDir(version, info->commit);
  if (!dir) return dir.error();
  ZipSource source{info->commit, dir->dir, false};
  if (source.module_dir.empty()) return source;
  // git archive lists the module dir's own LICENSE (file or symlink) unless
  // it is a submodule (a directory entry, dropped).
  Result<std::vector<TreeEntry>> tree = repo_->ListTree(info->commit);
  if (!tree) return tree.error();
  const std::string own = source.module_dir + "/LICENSE";
  const bool has_own = std::any_of(tree->begin(), tree->end(), [&](const TreeEntry& e) {
    return e.path == own && e.kind != TreeEntryKind::kSubmodule;
  });
  if (has_own) return source;
  Result<std::optional<std::string>> root = repo_->ReadFile(info->commit, "LICENSE", kMaxLicense);
  if (!root) {
    if (root.error().code != ErrorCode::kUpstreamInvalid) return root.error();
    source.add_root_license = true;  // exists; too large is the zip builder's refusal
    return source;
  }
  source.add_root_license = root->has_value();
  return source;
}

}  // namespace modproxy::vcs
