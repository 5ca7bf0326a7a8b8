#include "modproxy/loadgen/target.h"

#include <algorithm>

namespace modproxy::loadgen {
namespace {

Error Invalid(std::string_view url, std::string_view why) {
  return MakeError(ErrorCode::kInvalidArgument,
                   "bad URL \"" + std::string(url) + "\": " + std::string(why));
}

bool ValidPort(std::string_view port) {
  if (port.empty() || port.size() > 5) return false;
  if (!std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return false;
  }
  const int value = std::stoi(std::string(port));
  return value > 0 && value <= 65535;
}

}  // namespace

Result<Target> ParseTarget(std::string_view url) {
  if (url.substr(0, 8) == "https://") {
    return MakeError(ErrorCode::kInvalidArgument,
                     "https is not supported by bench yet; use probe (" + std::string(url) + ")");
  }
  if (url.substr(0, 7) != "http://") return Invalid(url, "want http://host[:port][/prefix]");
  std::string_view rest = url.substr(7);
  if (rest.find_first_of("?#") != std::string_view::npos) {
    return Invalid(url, "a GOPROXY base URL has no query or fragment");
  }
  const std::size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  std::string_view prefix = slash == std::string_view::npos ? "" : rest.substr(slash);
  while (!prefix.empty() && prefix.back() == '/') prefix.remove_suffix(1);
  if (authority.find('@') != std::string_view::npos) {
    return Invalid(url, "credentials in the URL are not supported");
  }

  Target target;
  std::string_view port;
  if (!authority.empty() && authority.front() == '[') {  // IPv6 literal
    const std::size_t close = authority.find(']');
    if (close == std::string_view::npos) return Invalid(url, "unterminated '[' in the host");
    target.host = std::string(authority.substr(1, close - 1));
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return Invalid(url, "junk after the IPv6 address");
      port = after.substr(1);
    }
  } else {
    const std::size_t colon = authority.rfind(':');
    target.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) port = authority.substr(colon + 1);
  }
  if (target.host.empty()) return Invalid(url, "no host");
  if (authority.back() == ':' || (!port.empty() && !ValidPort(port))) {
    return Invalid(url, "bad port");
  }
  target.port = port.empty() ? "80" : std::string(port);
  target.host_header = std::string(authority);
  target.prefix = std::string(prefix);
  target.url = "http://" + target.host_header + target.prefix;
  return target;
}

}  // namespace modproxy::loadgen
