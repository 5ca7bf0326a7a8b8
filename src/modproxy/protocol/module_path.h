#pragma once

#include <string>
#include <string_view>

#include "modproxy/core/result.h"

// Module paths and their case encoding, as golang.org/x/mod/module defines
// them (go-modules-reference.md §2). Pure functions, no I/O.
namespace modproxy::protocol {

// module.CheckPath: the element rules for module paths, the first-element
// rules (lowercase, contains a dot) and a valid major-version suffix.
// kInvalidArgument with a message naming the problem.
Result<void> CheckModulePath(std::string_view path);

// module.CheckFilePath: the rules every file inside a module zip obeys.
Result<void> CheckFilePath(std::string_view path);

// "!x" case encoding. EscapePath requires CheckModulePath; EscapeVersion
// requires a valid file-path element with no '!' (need not be semver).
Result<std::string> EscapePath(std::string_view path);
Result<std::string> EscapeVersion(std::string_view version);

// Inverses; reject literal uppercase, bytes >= 0x80, '!' not followed by a-z,
// and (after decoding) anything the Check* functions reject.
Result<std::string> UnescapePath(std::string_view escaped);
Result<std::string> UnescapeVersion(std::string_view escaped);

struct PathMajorSplit {
  std::string prefix;      // "example.com/x"
  std::string path_major;  // "/v2", ".v2", ".v2-unstable" or ""
};

// module.SplitPathVersion; nullopt-like failure as kInvalidArgument.
Result<PathMajorSplit> SplitPathVersion(std::string_view path);

// module.Check plus the go command's extra rule: "+incompatible" is refused
// on v0/v1 and on paths with a major suffix. `version` must be canonical.
Result<void> CheckModuleVersion(std::string_view path, std::string_view version);

}  // namespace modproxy::protocol
