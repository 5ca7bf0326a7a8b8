#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "modproxy/core/result.h"

// The @v/list body and the "latest" choice (go-modules-reference.md §1.4, §3.3).
namespace modproxy::protocol {

// Parses an upstream @v/list body: split on LF, first whitespace-separated
// field of each non-blank line. Lines whose first field is not a canonical
// semver version make the whole body invalid (kUnavailable): an upstream that
// answers HTML or an error page must not be cached as a list. Pseudo-versions
// are dropped (§1.4). The result is deduplicated and semver-sorted.
Result<std::vector<std::string>> ParseVersionList(std::string_view body);

// Union of two version lists, deduplicated, semver-sorted, pseudo-versions dropped.
std::vector<std::string> MergeVersionLists(const std::vector<std::string>& a,
                                           const std::vector<std::string>& b);

// One version per line, each followed by LF; "" for an empty list.
std::string FormatVersionList(const std::vector<std::string>& versions);

// The highest release (no prerelease) version, else the highest prerelease,
// ignoring pseudo-versions and invalid entries; nullopt when none remains.
std::optional<std::string> ChooseLatest(const std::vector<std::string>& versions);

}  // namespace modproxy::protocol
