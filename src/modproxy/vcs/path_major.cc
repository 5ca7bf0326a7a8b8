#include "modproxy/vcs/path_major.h"

#include <string>
#include <string_view>

#include "modproxy/protocol/semver.h"

namespace modproxy::vcs {
namespace {

constexpr std::string_view kUnstable = "-unstable";

std::string_view TrimUnstable(std::string_view path_major) {
  if (path_major.starts_with(".v") && path_major.ends_with(kUnstable)) {
    path_major.remove_suffix(kUnstable.size());
  }
  return path_major;
}

}  // namespace

std::string PathMajorProblem(std::string_view v, std::string_view path_major) {
  namespace semver = protocol::semver;
  path_major = TrimUnstable(path_major);
  // gopkg.in .v1 modules once got v0.0.0- pseudo-versions (x/mod keeps the bug).
  if (v.starts_with("v0.0.0-") && path_major == ".v1") return "";
  const std::string major = semver::Major(v);
  std::string want;
  if (path_major.empty()) {
    if (major == "v0" || major == "v1" || semver::Build(v) == "+incompatible") return "";
    want = "v0 or v1";
  } else {
    want = std::string(path_major.substr(1));
    if (major == want) return "";
  }
  return "should be " + want + ", not " + major;
}

std::string PathMajorPrefix(std::string_view path_major) {
  if (path_major.empty()) return "";
  return std::string(TrimUnstable(path_major).substr(1));
}

bool HasPathPrefix(std::string_view s, std::string_view prefix) {
  if (s.size() == prefix.size()) return s == prefix;
  if (s.size() < prefix.size()) return false;
  if (!prefix.empty() && prefix.back() == '/') return s.starts_with(prefix);
  return s[prefix.size()] == '/' && s.starts_with(prefix);
}

}  // namespace modproxy::vcs
