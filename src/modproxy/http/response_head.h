#pragma once

#include <string>
#include <string_view>

#include "modproxy/http/response.h"

namespace modproxy::http {

// Appends the status line and headers of `response` (ending with the empty
// line) to `out`. `version` is the request's (10 or 11); `keep_alive` says
// whether the connection stays open, which HTTP/1.0 and 1.1 spell
// differently. Formatting by hand instead of through Beast's field container
// saves an allocation per header on every cache hit.
void AppendResponseHead(std::string& out, const Response& response, unsigned version,
                        bool keep_alive, std::string_view date);

// The current time as an HTTP Date ("Thu, 26 Nov 2026 21:18:26 GMT"),
// formatted once per second per thread.
std::string_view HttpDate();

}  // namespace modproxy::http
