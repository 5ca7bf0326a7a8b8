#include "modproxy/cache/content_checks.h"

#include <nlohmann/json.hpp>

#include "modproxy/protocol/module_path.h"
#include "modproxy/protocol/semver.h"

namespace modproxy::cache {
namespace {

Error Invalid(std::string reason) {
  return MakeError(ErrorCode::kUpstreamInvalid, std::move(reason));
}

}  // namespace

Result<std::string> CheckInfo(std::string_view body, std::string_view module,
                              std::string_view requested, bool requested_is_canonical) {
  nlohmann::json info = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (!info.is_object()) return Invalid("upstream .info is not a JSON object");
  auto version = info.find("Version");
  if (version == info.end() || !version->is_string()) {
    return Invalid("upstream .info has no Version string");
  }
  const std::string v = version->get<std::string>();
  if (!protocol::IsCanonicalVersion(v)) {
    return Invalid("upstream .info has non-canonical Version \"" + v + "\"");
  }
  if (Result<void> ok = protocol::CheckModuleVersion(module, v); !ok) {
    return Invalid("upstream .info Version \"" + v + "\" is invalid for " + std::string(module));
  }
  if (requested_is_canonical && v != requested) {
    return Invalid("upstream returned info for version " + v + " instead of requested version " +
                   std::string(requested));
  }
  return v;
}

Result<void> CheckGoMod(std::string_view body) {
  if (body.find('\0') != std::string_view::npos) return Invalid("upstream .mod holds NUL bytes");
  std::size_t first = body.find_first_not_of(" \t\r\n");
  if (first != std::string_view::npos && body[first] == '<') {
    return Invalid("upstream .mod looks like HTML, not a go.mod file");
  }
  // A module directive starts a line (after optional blanks): "module x" or "module (".
  std::size_t pos = 0;
  while (pos < body.size()) {
    std::size_t end = body.find('\n', pos);
    std::string_view line = body.substr(pos, end == std::string_view::npos ? end : end - pos);
    std::size_t start = line.find_first_not_of(" \t");
    if (start != std::string_view::npos && line.substr(start, 6) == "module" &&
        (line.size() == start + 6 ||
         std::string_view(" \t(\"").find(line[start + 6]) != std::string_view::npos)) {
      return {};
    }
    if (end == std::string_view::npos) break;
    pos = end + 1;
  }
  return Invalid("upstream .mod has no module directive");
}

}  // namespace modproxy::cache
