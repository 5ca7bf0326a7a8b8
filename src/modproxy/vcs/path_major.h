#pragma once

#include <string>
#include <string_view>

// x/mod module's major-suffix helpers that protocol/ keeps private, as the
// go command's coderepo.go and modfile use them. Pure.
namespace modproxy::vcs {

// module.CheckPathMajor: "" when version `v` fits the path suffix
// `path_major` ("", "/v2", ".v1", ".v2-unstable"), else "should be X, not Y".
std::string PathMajorProblem(std::string_view v, std::string_view path_major);

// module.MatchPathMajor.
inline bool MatchPathMajor(std::string_view v, std::string_view path_major) {
  return PathMajorProblem(v, path_major).empty();
}

// module.PathMajorPrefix: "/v2" -> "v2", ".v2-unstable" -> "v2", "" -> "".
std::string PathMajorPrefix(std::string_view path_major);

// The go command's hasPathPrefix: `s` is `prefix` or starts with prefix + "/"
// (a prefix ending in "/" is a plain string prefix).
bool HasPathPrefix(std::string_view s, std::string_view prefix);

}  // namespace modproxy::vcs
