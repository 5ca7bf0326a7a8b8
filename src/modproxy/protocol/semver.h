#pragma once

#include <string>
#include <string_view>
#include <vector>

// Go's semantic versions (golang.org/x/mod/semver, go-modules-reference.md §3):
// the leading "v" is required, "vX" and "vX.Y" are valid short forms. Pure.
namespace modproxy::protocol::semver {

bool IsValid(std::string_view v);
// "" when invalid. Fills short forms, drops build metadata.
std::string Canonical(std::string_view v);
// "vX" or "" when invalid.
std::string Major(std::string_view v);
// "-pre" / "+build", or "" when absent or invalid.
std::string Prerelease(std::string_view v);
std::string Build(std::string_view v);
// -1, 0, +1. Invalid < valid; two invalid compare equal; build ignored.
// Numbers of any length (never parsed into fixed-width integers).
int Compare(std::string_view v, std::string_view w);
// Ascending by Compare, ties broken by plain string order (semver.Sort).
void Sort(std::vector<std::string>& versions);

}  // namespace modproxy::protocol::semver

namespace modproxy::protocol {

// module.CanonicalVersion: Canonical, but keeps a build suffix that is exactly
// "+incompatible". "" when invalid.
std::string CanonicalVersion(std::string_view v);

// True when v is valid and equals CanonicalVersion(v): the only form allowed
// in .mod/.zip requests, .info "Version" fields and @v/list lines.
bool IsCanonicalVersion(std::string_view v);

// module.IsPseudoVersion (§4.2).
bool IsPseudoVersion(std::string_view v);

}  // namespace modproxy::protocol
