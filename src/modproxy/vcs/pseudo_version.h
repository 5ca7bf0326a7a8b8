#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "modproxy/core/result.h"

// Pseudo-versions as golang.org/x/mod/module builds and takes them apart
// (go-modules-reference.md §4). Pure. Recognition is
// protocol::IsPseudoVersion.
//
// Errors are kInvalidArgument whose message is the bare reason ("syntax
// error", "malformed time \"...\"", ...): the go command prints it as
// `pseudo-version "V" invalid: <reason>`, or inside a module error as
// `M@V: invalid pseudo-version: <reason>`.
namespace modproxy::vcs {

// The 14-digit UTC timestamp of a pseudo-version ("20191109021931").
std::string PseudoVersionTimestamp(std::int64_t unix_seconds);

// module.PseudoVersion: `major` is "v0", "v2", ... ("" means v0); `older` is
// the base version ("" for none; a "+incompatible" build is carried over);
// `rev` the 12-hex short commit hash.
std::string PseudoVersion(std::string_view major, std::string_view older, std::int64_t unix_seconds,
                          std::string_view rev);

// module.ZeroPseudoVersion: PseudoVersion(major, "", 0001-01-01, "000000000000").
std::string ZeroPseudoVersion(std::string_view major);
bool IsZeroPseudoVersion(std::string_view v);

// module.PseudoVersionBase: "" for vX.0.0-TS-REV, else the tag the
// pseudo-version was derived from (with its "+incompatible").
Result<std::string> PseudoVersionBase(std::string_view v);

// module.PseudoVersionTime: Unix seconds of the embedded UTC timestamp.
Result<std::int64_t> PseudoVersionTime(std::string_view v);

// module.PseudoVersionRev: the revision after the last '-'.
Result<std::string> PseudoVersionRev(std::string_view v);

}  // namespace modproxy::vcs
