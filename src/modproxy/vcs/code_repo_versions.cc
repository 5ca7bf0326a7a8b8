// CodeRepo::Versions and the retractions coderepo.go reads for the
// pseudo-version base (go-modules-reference.md §8.4, §3.4).
#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

#include "modproxy/protocol/semver.h"
#include "modproxy/vcs/code_repo.h"
#include "modproxy/vcs/gomod.h"
#include "modproxy/vcs/path_major.h"

namespace modproxy::vcs {
namespace {

namespace semver = protocol::semver;

}  // namespace

Result<std::vector<std::string>> CodeRepo::Versions() {
  // gopkg.in/x.v2-unstable does not use the v2 tags (those are for x.v2).
  if (module_path_.starts_with("gopkg.in/") && module_path_.ends_with("-unstable")) {
    return std::vector<std::string>{};
  }
  if (Result<const std::map<std::string, std::string>*> refs = Refs(); !refs) {
    return MakeError(refs.error().code, "module " + module_path_ + ": " + refs.error().message);
  }
  const std::string prefix = code_dir_.empty() ? "" : code_dir_ + "/";
  std::vector<std::string> list;
  std::vector<std::string> incompatible;
  std::map<std::string, std::string> tag_commit;
  for (const auto& [tag, commit] : Tags(prefix)) {
    const std::string v = tag.substr(prefix.size());
    // Non-canonical tags (v1.2, v1.2.3+meta) are not versions; tags shaped
    // like pseudo-versions would be confusing.
    if (v.empty() || v != semver::Canonical(v) || protocol::IsPseudoVersion(v)) continue;
    if (!MatchPathMajor(v, path_major_)) {
      if (code_dir_.empty() && path_major_.empty() && semver::Major(v) > "v1") {
        incompatible.push_back(v);
        tag_commit[v] = commit;
      }
      continue;
    }
    list.push_back(v);
    tag_commit[v] = commit;
  }
  semver::Sort(list);
  semver::Sort(incompatible);
  if (incompatible.empty() || !path_major_.empty()) return list;

  // appendIncompatibleVersions: the latest compatible version having a
  // go.mod means all later majors are meant as /vN modules
  // (golang.org/issue/34189); otherwise a major whose latest tag has a go.mod
  // is dropped as a whole.
  if (!list.empty()) {
    Result<bool> has = FileExists(tag_commit[list.back()], "go.mod");
    if (!has)
      return MakeError(has.error().code, "module " + module_path_ + ": " + has.error().message);
    if (*has) return list;
  }
  std::string last_major;
  bool last_major_has_gomod = false;
  for (std::size_t i = 0; i < incompatible.size(); ++i) {
    const std::string major = semver::Major(incompatible[i]);
    if (major != last_major) {
      std::size_t j = i;
      while (j + 1 < incompatible.size() && semver::Major(incompatible[j + 1]) == major) ++j;
      Result<bool> has = FileExists(tag_commit[incompatible[j]], "go.mod");
      if (!has) {
        return MakeError(has.error().code, "module " + module_path_ + ": " + has.error().message);
      }
      last_major = major;
      last_major_has_gomod = *has;
    }
    if (!last_major_has_gomod) list.push_back(incompatible[i] + "+incompatible");
  }
  return list;
}

// retractedVersions: the retract directives of the go.mod of the highest
// release (else prerelease) version, +incompatible ones aside. Any failure
// means no retractions, as in the go command.
Result<std::vector<Retraction>> CodeRepo::Retractions() {
  if (retractions_) return *retractions_;
  retractions_.emplace();
  Result<std::vector<std::string>> versions = Versions();
  if (!versions) return *retractions_;
  std::vector<std::string> list = std::move(*versions);
  const auto first_incompatible = std::find_if(
      list.begin(), list.end(), [](const std::string& v) { return v.ends_with("+incompatible"); });
  list.erase(first_incompatible, list.end());
  if (list.empty()) return *retractions_;
  std::string highest = list.back();
  for (auto it = list.rbegin(); it != list.rend(); ++it) {
    if (semver::Prerelease(*it).empty()) {
      highest = *it;
      break;
    }
  }
  const std::string tag = "refs/tags/" + (code_dir_.empty() ? "" : code_dir_ + "/") + highest;
  const auto commit = refs_->find(tag);
  if (commit == refs_->end()) return *retractions_;
  Result<std::string> gomod = RawGoMod(highest, commit->second);
  if (!gomod) return *retractions_;
  Result<std::vector<Retraction>> parsed = ParseRetractions(*gomod);
  if (parsed) retractions_ = std::move(*parsed);
  return *retractions_;
}

}  // namespace modproxy::vcs
