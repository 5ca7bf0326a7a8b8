#include "modproxy/probe/target.h"

#include "modproxy/protocol/module_path.h"
#include "modproxy/protocol/semver.h"

namespace modproxy::probe {
namespace {

Error Invalid(std::string reason) {
  return MakeError(ErrorCode::kInvalidArgument, std::move(reason));
}

}  // namespace

const char* FileLabel(ProbeFile file) {
  switch (file) {
    case ProbeFile::kLatest:
      return "@latest";
    case ProbeFile::kInfo:
      return ".info";
    case ProbeFile::kMod:
      return ".mod";
    case ProbeFile::kZip:
      return ".zip";
  }
  return "?";
}

const char* FileKey(ProbeFile file) {
  switch (file) {
    case ProbeFile::kLatest:
      return "latest";
    case ProbeFile::kInfo:
      return "info";
    case ProbeFile::kMod:
      return "mod";
    case ProbeFile::kZip:
      return "zip";
  }
  return "?";
}

Result<ModuleTarget> ParseModuleTarget(std::string_view text) {
  const std::size_t at = text.rfind('@');
  if (at == std::string_view::npos || at == 0 || at + 1 == text.size()) {
    return Invalid(
        "want module@version (like github.com/pkg/errors@v0.9.1 or example.com/m@latest)"
        ", got \"" +
        std::string(text) + "\"");
  }
  ModuleTarget target;
  target.module = std::string(text.substr(0, at));
  target.version = std::string(text.substr(at + 1));
  if (Result<void> ok = protocol::CheckModulePath(target.module); !ok) return ok.error();
  Result<std::string> escaped = protocol::EscapePath(target.module);
  if (!escaped) return escaped.error();
  target.escaped_module = std::move(*escaped);
  if (target.latest()) return target;
  if (!protocol::IsCanonicalVersion(target.version)) {
    const std::string canonical = protocol::CanonicalVersion(target.version);
    if (canonical.empty()) {
      return Invalid("invalid version \"" + target.version +
                     "\": want a canonical semantic version (like v1.2.3) or latest");
    }
    return Invalid("version \"" + target.version + "\" is not canonical: use " + canonical);
  }
  if (Result<void> ok = protocol::CheckModuleVersion(target.module, target.version); !ok) {
    return ok.error();
  }
  return target;
}

Result<std::string> RequestPath(const ModuleTarget& target, std::string_view version,
                                ProbeFile file) {
  if (file == ProbeFile::kLatest) return "/" + target.escaped_module + "/@latest";
  Result<std::string> escaped = protocol::EscapeVersion(version);
  if (!escaped) return escaped.error();
  return "/" + target.escaped_module + "/@v/" + *escaped + "." + FileKey(file);
}

}  // namespace modproxy::probe
