#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "modproxy/core/result.h"

// What the go command reads from a module's go.mod in direct mode: the module
// path (modfile.ModulePath, go-modules-reference.md §8.9) and the retract
// directives (modfile.ParseLax(...).Retract, §3.4). Pure.
namespace modproxy::vcs {

// modfile.ModulePath: the first line starting with "module" + space (after
// dropping "//" comments and trimming) names the path; a quoted path is
// unquoted. "" when there is none or its quoting is bad. Tolerant of every
// other syntax error in the file.
std::string ModulePathFromGoMod(std::string_view gomod);

// modfetch.LegacyGoMod: the go.mod synthesized for a module without one,
// "module M\n" (M quoted only when it could not be a bare go.mod token).
std::string LegacyGoMod(std::string_view module_path);

// One retract directive: the closed interval [low, high] (equal for a single
// version) and its rationale (the directive's comments, or its block's).
// Versions are kept exactly as written (not canonicalized), as ParseLax
// keeps them for dependencies.
struct Retraction {
  std::string low;
  std::string high;
  std::string rationale;
};

// The retract directives of a go.mod as modfile.ParseLax (Go 1.19.8's
// vendored x/mod) returns them. kInvalidArgument (with modfile's reason)
// when ParseLax fails: a syntax error anywhere, or a bad go, module or
// require directive. The go command then applies no retractions at all.
// Retract lines that do not parse are skipped, as in lax mode.
Result<std::vector<Retraction>> ParseRetractions(std::string_view gomod);

// Whether some interval holds `version` (semver.Compare, so build metadata is
// ignored and invalid bounds compare below every valid version).
bool IsRetracted(std::span<const Retraction> retractions, std::string_view version);

}  // namespace modproxy::vcs
