#pragma once

#include <string>
#include <string_view>

#include "modproxy/core/result.h"

// Checks on small upstream answers before they are cached, so that an error
// page served with status 200 (HTML from a captive portal, a misconfigured
// CDN) never poisons the cache. kUpstreamInvalid with the reason on failure.
namespace modproxy::cache {

// A .info or @latest body: a JSON object whose "Version" is a canonical
// version valid for `module`; when `requested` is a canonical version, it must
// equal it exactly (the go command refuses anything else, §1.3).
// Returns the Version.
Result<std::string> CheckInfo(std::string_view body, std::string_view module,
                              std::string_view requested, bool requested_is_canonical);

// A .mod body: text with a module directive, not HTML, no NUL bytes.
Result<void> CheckGoMod(std::string_view body);

}  // namespace modproxy::cache
