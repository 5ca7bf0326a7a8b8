#include "modproxy/direct/egress_policy.h"

#include <netdb.h>
#include <sys/socket.h>

#include <algorithm>
#include <cctype>
#include <cstring>

#include <netinet/in.h>

namespace modproxy::direct {

Result<UrlParts> ParseUrl(std::string_view url) {
  std::size_t sep = url.find("://");
  if (sep == std::string_view::npos || sep == 0) {
    return MakeError(ErrorCode::kInvalidArgument, "URL without a scheme: " + std::string(url));
  }
  UrlParts parts;
  parts.scheme = std::string(url.substr(0, sep));
  for (char& c : parts.scheme) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  std::string_view rest = url.substr(sep + 3);
  std::size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  parts.path = slash == std::string_view::npos ? "/" : std::string(rest.substr(slash));
  if (std::size_t at = authority.rfind('@'); at != std::string_view::npos) {
    authority.remove_prefix(at + 1);
  }
  if (!authority.empty() && authority.front() == '[') {
    std::size_t close = authority.find(']');
    if (close == std::string_view::npos) {
      return MakeError(ErrorCode::kInvalidArgument, "malformed host in URL");
    }
    parts.host = std::string(authority.substr(1, close - 1));
    if (close + 1 < authority.size() && authority[close + 1] == ':') {
      parts.port = std::string(authority.substr(close + 2));
    }
  } else if (std::size_t colon = authority.rfind(':'); colon != std::string_view::npos) {
    parts.host = std::string(authority.substr(0, colon));
    parts.port = std::string(authority.substr(colon + 1));
  } else {
    parts.host = std::string(authority);
  }
  if (parts.host.empty() && parts.scheme != "file") {
    return MakeError(ErrorCode::kInvalidArgument, "URL without a host");
  }
  for (char& c : parts.host) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return parts;
}

Resolver SystemResolver() {
  return [](const std::string& host) -> Result<std::vector<IpAddress>> {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* list = nullptr;
    int rc = getaddrinfo(host.c_str(), nullptr, &hints, &list);
    if (rc != 0) {
      return MakeError(ErrorCode::kUnavailable,
                       "cannot resolve " + host + ": " + std::string(gai_strerror(rc)));
    }
    std::vector<IpAddress> addresses;
    for (addrinfo* a = list; a != nullptr; a = a->ai_next) {
      IpAddress ip;
      if (a->ai_family == AF_INET) {
        const auto* in = reinterpret_cast<const sockaddr_in*>(a->ai_addr);
        ip.bytes[10] = ip.bytes[11] = 0xff;
        std::memcpy(ip.bytes.data() + 12, &in->sin_addr, 4);
        ip.v4 = true;
      } else if (a->ai_family == AF_INET6) {
        const auto* in6 = reinterpret_cast<const sockaddr_in6*>(a->ai_addr);
        std::memcpy(ip.bytes.data(), &in6->sin6_addr, 16);
        ip.v4 = ip.bytes[10] == 0xff && ip.bytes[11] == 0xff &&
                std::all_of(ip.bytes.begin(), ip.bytes.begin() + 10, [](auto b) { return b == 0; });
      } else {
        continue;
      }
      addresses.push_back(ip);
    }
    freeaddrinfo(list);
    return addresses;
  };
}

Result<void> CheckAddress(const EgressPolicy& policy, const IpAddress& ip, std::string_view host) {
  if (policy.allow_internal || !IsInternal(ip)) return {};
  std::string where =
      host == FormatIp(ip) ? std::string(host) : std::string(host) + " (" + FormatIp(ip) + ")";
  return MakeError(ErrorCode::kForbidden,
                   "direct mode refused to connect to " + where +
                       ": an internal address, and the module path is not under --private "
                       "(set direct_private_networks = true to allow)");
}

Result<void> CheckEgress(const EgressPolicy& policy, std::string_view url) {
  if (policy.allow_internal) return {};
  Result<UrlParts> parts = ParseUrl(url);
  if (!parts) return parts.error();
  if (parts->scheme == "file") {
    return MakeError(ErrorCode::kForbidden,
                     "direct mode refused a file:// repository for a module path that is not "
                     "under --private");
  }
  if (std::optional<IpAddress> literal = ParseIp(parts->host)) {
    return CheckAddress(policy, *literal, parts->host);
  }
  Result<std::vector<IpAddress>> addresses = policy.resolve(parts->host);
  if (!addresses) {
    // Through a proxy the proxy resolves the name; otherwise the connection
    // fails on its own with a clearer message.
    return {};
  }
  for (const IpAddress& ip : *addresses) {
    if (Result<void> ok = CheckAddress(policy, ip, parts->host); !ok) return ok;
  }
  return {};
}

}  // namespace modproxy::direct
