#include "modproxy/http/response_head.h"

#include <ctime>

#include <boost/beast/http/status.hpp>
#include <fmt/format.h>

#include "modproxy/core/version.h"

namespace modproxy::http {

void AppendResponseHead(std::string& out, const Response& response, unsigned version,
                        bool keep_alive, std::string_view date) {
  const auto reason =
      boost::beast::http::obsolete_reason(static_cast<boost::beast::http::status>(response.status));
  fmt::format_to(std::back_inserter(out), "HTTP/{}.{} {} {}\r\n", version / 10, version % 10,
                 response.status, std::string_view(reason.data(), reason.size()));
  out += "Server: modproxy/";
  out += kVersion;
  out += "\r\nDate: ";
  out += date;
  out += "\r\nContent-Type: ";
  out += response.content_type;
  if (!response.cache_control.empty()) {
    out += "\r\nCache-Control: ";
    out += response.cache_control;
  }
  if (response.cache_hit) {
    out +=
        *response.cache_hit ? "\r\nX-Go-Proxy-Cache-Hit: true" : "\r\nX-Go-Proxy-Cache-Hit: false";
  }
  for (const auto& [name, value] : response.extra_headers) {
    out += "\r\n";
    out += name;
    out += ": ";
    out += value;
  }
  if (response.stream) {
    out += "\r\nTransfer-Encoding: chunked";
  } else {
    fmt::format_to(std::back_inserter(out), "\r\nContent-Length: {}", response.body_size());
  }
  // HTTP/1.1 is persistent unless told otherwise; HTTP/1.0 only when told.
  if (version >= 11 && !keep_alive) out += "\r\nConnection: close";
  if (version < 11 && keep_alive) out += "\r\nConnection: keep-alive";
  out += "\r\n\r\n";
}

std::string_view HttpDate() {
  thread_local std::time_t cached_second = -1;
  thread_local char text[40];
  thread_local std::size_t length = 0;
  const std::time_t now = std::time(nullptr);
  if (now != cached_second) {
    std::tm utc{};
    gmtime_r(&now, &utc);
    // The C locale's names are exactly HTTP's (RFC 9110 IMF-fixdate).
    length = std::strftime(text, sizeof text, "%a, %d %b %Y %H:%M:%S GMT", &utc);
    cached_second = now;
  }
  return std::string_view(text, length);
}

}  // namespace modproxy::http
