#include "modproxy/policy/client_ip.h"

#include <optional>

namespace modproxy::policy {
namespace {

std::string_view Trim(std::string_view s) {
  const std::size_t begin = s.find_first_not_of(" \t");
  if (begin == std::string_view::npos) return {};
  return s.substr(begin, s.find_last_not_of(" \t") - begin + 1);
}

bool AllDigits(std::string_view s) {
  return !s.empty() && s.find_first_not_of("0123456789") == std::string_view::npos;
}

// One X-Forwarded-For entry: an address, perhaps with a port ("1.2.3.4:80",
// "[2001:db8::1]:80"), as some proxies write it.
std::optional<direct::IpAddress> ParseForwarded(std::string_view entry) {
  if (std::optional<direct::IpAddress> ip = direct::ParseIp(entry)) return ip;
  const std::size_t colon = entry.rfind(':');
  if (colon == std::string_view::npos || !AllDigits(entry.substr(colon + 1))) return std::nullopt;
  const std::string_view host = entry.substr(0, colon);
  const bool bracketed = host.size() > 2 && host.front() == '[' && host.back() == ']';
  // Without brackets only IPv4 may carry a port: "::1:80" is an IPv6 address.
  if (!bracketed && host.find(':') != std::string_view::npos) return std::nullopt;
  return direct::ParseIp(host);
}

}  // namespace

bool TrustedProxies::Contains(const direct::IpAddress& ip) const {
  for (const direct::Cidr& range : ranges_) {
    if (direct::Contains(range, ip)) return true;
  }
  return false;
}

Result<TrustedProxies> ParseTrustedProxies(std::string_view list) {
  std::vector<direct::Cidr> ranges;
  while (!list.empty()) {
    const std::size_t comma = list.find(',');
    const std::string_view entry = Trim(list.substr(0, comma));
    list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 1);
    if (entry.empty()) continue;
    std::optional<direct::Cidr> range;
    if (entry.find('/') != std::string_view::npos) {
      range = direct::ParseCidr(entry);
    } else if (std::optional<direct::IpAddress> ip = direct::ParseIp(entry)) {
      range = direct::Cidr{*ip, 128};
    }
    if (!range) {
      return MakeError(ErrorCode::kInvalidArgument,
                       "\"" + std::string(entry) + "\" is not an IP address or CIDR");
    }
    ranges.push_back(*range);
  }
  return TrustedProxies(std::move(ranges));
}

std::string ClientIp(std::string_view peer_ip, std::string_view x_forwarded_for,
                     const TrustedProxies& trusted) {
  std::optional<direct::IpAddress> peer = direct::ParseIp(peer_ip);
  if (!peer) return std::string(peer_ip);
  direct::IpAddress client = *peer;
  if (!trusted.Contains(client)) return direct::FormatIp(client);
  std::string_view rest = x_forwarded_for;
  while (!rest.empty()) {
    const std::size_t comma = rest.rfind(',');
    const std::string_view entry =
        Trim(comma == std::string_view::npos ? rest : rest.substr(comma + 1));
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(0, comma);
    if (entry.empty()) continue;  // "a,,b": HTTP lists may hold empty elements
    std::optional<direct::IpAddress> ip = ParseForwarded(entry);
    if (!ip) break;
    client = *ip;
    if (!trusted.Contains(client)) break;
  }
  return direct::FormatIp(client);
}

}  // namespace modproxy::policy
