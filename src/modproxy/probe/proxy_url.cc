#include "modproxy/probe/proxy_url.h"

#include <algorithm>
#include <cctype>

namespace modproxy::probe {
namespace {

// Redacts before anything is known to be valid, so that an error message about
// a malformed URL does not leak the credentials it holds either.
std::string RedactRaw(std::string_view text) {
  const std::size_t scheme_end = text.find("://");
  if (scheme_end == std::string_view::npos) return std::string(text);
  const std::size_t host_start = scheme_end + 3;
  const std::size_t at = text.find('@', host_start);
  if (at == std::string_view::npos || at > text.find('/', host_start)) return std::string(text);
  return std::string(text.substr(0, host_start)) + "***" + std::string(text.substr(at));
}

Error Invalid(std::string_view text, std::string_view reason) {
  return MakeError(ErrorCode::kInvalidArgument,
                   "invalid proxy URL \"" + RedactRaw(text) + "\": " + std::string(reason));
}

bool IsHostChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) ||
         std::string_view("-._~[]:%").find(c) != std::string_view::npos;
}

}  // namespace

std::string ProxyUrl::Redact(std::string_view text) const {
  std::string out(text);
  if (userinfo.empty()) return out;
  const std::string needle = userinfo + "@";
  for (std::size_t pos = out.find(needle); pos != std::string::npos;
       pos = out.find(needle, pos + 4)) {
    out.replace(pos, needle.size(), "***@");
  }
  return out;
}

Result<ProxyUrl> ParseProxyUrl(std::string_view text) {
  std::size_t host_start = 0;
  if (text.starts_with("http://")) {
    host_start = 7;
  } else if (text.starts_with("https://")) {
    host_start = 8;
  } else {
    return Invalid(text, "want an http:// or https:// URL");
  }
  if (std::any_of(text.begin(), text.end(), [](char c) {
        return static_cast<unsigned char>(c) <= 0x20 || static_cast<unsigned char>(c) >= 0x7f;
      })) {
    return Invalid(text, "holds spaces or control characters");
  }
  if (text.find_first_of("?#") != std::string_view::npos) {
    return Invalid(text, "a proxy URL has no query or fragment");
  }
  ProxyUrl proxy;
  std::size_t path_start = text.find('/', host_start);
  if (path_start == std::string_view::npos) path_start = text.size();
  std::string_view authority = text.substr(host_start, path_start - host_start);
  if (const std::size_t at = authority.rfind('@'); at != std::string_view::npos) {
    proxy.userinfo = std::string(authority.substr(0, at));
    authority.remove_prefix(at + 1);
  }
  if (authority.empty() || authority.front() == ':') return Invalid(text, "no host");
  if (!std::all_of(authority.begin(), authority.end(), IsHostChar)) {
    return Invalid(text, "bad character in host");
  }
  const std::size_t bracket = authority.rfind(']');
  const std::size_t colon = authority.rfind(':');
  if (colon != std::string_view::npos && (bracket == std::string_view::npos || colon > bracket)) {
    std::string_view port = authority.substr(colon + 1);
    if (port.empty() || port.size() > 5 ||
        port.find_first_not_of("0123456789") != std::string_view::npos ||
        std::stoi(std::string(port)) > 65535) {
      return Invalid(text, "bad port");
    }
  }
  std::string_view rest = text;
  while (rest.size() > path_start && rest.back() == '/') rest.remove_suffix(1);
  proxy.url = std::string(rest);
  proxy.shown = proxy.userinfo.empty() ? proxy.url : proxy.Redact(proxy.url);
  return proxy;
}

}  // namespace modproxy::probe
