#pragma once

#include <string>
#include <string_view>

#include "modproxy/core/result.h"

// What `modproxy probe` asks each proxy for: one module version given as
// "module@version" on the command line, and the GOPROXY request paths of its
// files (case-encoded, go-modules-reference.md §1.1). Pure, no I/O.
namespace modproxy::probe {

// The module version probed when --module is not given: small, public, and
// served by every public proxy.
inline constexpr std::string_view kDefaultModule = "github.com/pkg/errors@v0.9.1";

// The files probed for one module version, in probing order. kLatest is only
// fetched for "module@latest", to learn the version the other three use.
enum class ProbeFile { kLatest, kInfo, kMod, kZip };

// ".info", ".mod", ".zip", "@latest": the name shown in reports.
const char* FileLabel(ProbeFile file);
// "info", "mod", "zip", "latest": the key in JSON output.
const char* FileKey(ProbeFile file);

struct ModuleTarget {
  std::string module;          // "github.com/BurntSushi/toml"
  std::string escaped_module;  // "github.com/!burnt!sushi/toml"
  // A canonical version ("v1.2.3"), or "latest" when the proxy is to be asked
  // for its latest version first.
  std::string version;
  bool latest() const { return version == "latest"; }
};

// Parses "module@version". The module path must pass CheckModulePath; the
// version must be "latest" or a canonical version valid for the module
// (CheckModuleVersion). kInvalidArgument with a one-line reason otherwise,
// naming the canonical form when the version is merely not canonical.
Result<ModuleTarget> ParseModuleTarget(std::string_view text);

// The request path of one file, starting with '/': "/<escaped module>/@latest"
// for kLatest, else "/<escaped module>/@v/<escaped version>.<ext>".
// `version` must be canonical (for kLatest it is ignored).
Result<std::string> RequestPath(const ModuleTarget& target, std::string_view version,
                                ProbeFile file);

}  // namespace modproxy::probe
