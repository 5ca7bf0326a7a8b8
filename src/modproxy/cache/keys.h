#pragma once

#include <string>
#include <string_view>

#include "modproxy/protocol/request_path.h"

// Storage keys: the relative paths of a GOPROXY tree (design.md "Cache
// directory"), so the disk cache doubles as a file:// proxy. Built only from
// validated, escaped request parts.
namespace modproxy::cache {

// "<escaped module>/@v/list", "<escaped module>/@v/<escaped version>.info",
// ".mod", ".zip", "<escaped module>/@latest". The same string is the path to
// ask an upstream proxy for.
std::string KeyFor(const protocol::ModuleRequest& request);

// "<escaped module>/@v/<escaped version>.info" for another version of the same module.
std::string InfoKeyFor(std::string_view escaped_module, std::string_view escaped_version);

// Where the go.sum line of a verified .mod or .zip is recorded when it is
// cached (bookkeeping, outside the GOPROXY tree): ".modproxy/sums/<escaped
// module>/@v/<escaped version>.mod" or ".zip". `modproxy verify` checks the
// cached files against them.
std::string SumKeyFor(std::string_view escaped_module, std::string_view escaped_version,
                      bool go_mod);

// The go.sum line of a file: "M V h1:..." (zip) or "M V/go.mod h1:...".
std::string SumLine(std::string_view module, std::string_view version, bool go_mod,
                    std::string_view h1);

// "sumdb/<name>/<rest>".
std::string KeyFor(const protocol::SumdbRequest& request);

}  // namespace modproxy::cache
