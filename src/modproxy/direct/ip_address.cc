#include "modproxy/direct/ip_address.h"

#include <charconv>
#include <cstring>
#include <initializer_list>
#include <vector>

#include <arpa/inet.h>

namespace modproxy::direct {
namespace {

IpAddress MappedV4(const std::uint8_t* v4) {
  IpAddress ip;
  ip.bytes[10] = 0xff;
  ip.bytes[11] = 0xff;
  std::memcpy(ip.bytes.data() + 12, v4, 4);
  ip.v4 = true;
  return ip;
}

// The CIDRs of a fixed table, parsed once (the tables are constants; a typo
// in them is a bug, caught by the tests of IsInternal).
std::vector<Cidr> ParseAll(std::initializer_list<const char*> texts) {
  std::vector<Cidr> cidrs;
  for (const char* text : texts) {
    if (std::optional<Cidr> c = ParseCidr(text)) cidrs.push_back(*c);
  }
  return cidrs;
}

bool InAny(const IpAddress& ip, const std::vector<Cidr>& cidrs) {
  for (const Cidr& c : cidrs) {
    if (Contains(c, ip)) return true;
  }
  return false;
}

}  // namespace

std::optional<IpAddress> ParseIp(std::string_view text) {
  if (text.size() >= 2 && text.front() == '[' && text.back() == ']') {
    text = text.substr(1, text.size() - 2);
  }
  std::string s(text);
  std::uint8_t buf[16];
  if (inet_pton(AF_INET, s.c_str(), buf) == 1) return MappedV4(buf);
  if (inet_pton(AF_INET6, s.c_str(), buf) == 1) {
    IpAddress ip;
    std::memcpy(ip.bytes.data(), buf, 16);
    static const std::uint8_t kMappedPrefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    ip.v4 = std::memcmp(buf, kMappedPrefix, 12) == 0;
    return ip;
  }
  return std::nullopt;
}

std::string FormatIp(const IpAddress& ip) {
  char out[INET6_ADDRSTRLEN] = {};
  if (ip.v4) {
    inet_ntop(AF_INET, ip.bytes.data() + 12, out, sizeof out);
  } else {
    inet_ntop(AF_INET6, ip.bytes.data(), out, sizeof out);
  }
  return out;
}

std::optional<Cidr> ParseCidr(std::string_view text) {
  std::size_t slash = text.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  std::optional<IpAddress> base = ParseIp(text.substr(0, slash));
  if (!base) return std::nullopt;
  std::string_view digits = text.substr(slash + 1);
  int bits = -1;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), bits);
  if (ec != std::errc() || end != digits.data() + digits.size() || digits.empty()) {
    return std::nullopt;
  }
  if (bits < 0 || bits > (base->v4 ? 32 : 128)) return std::nullopt;
  return Cidr{*base, base->v4 ? bits + 96 : bits};
}

bool Contains(const Cidr& cidr, const IpAddress& ip) {
  if (cidr.base.v4 != ip.v4) return false;
  int bits = cidr.bits;
  for (int i = 0; i < 16 && bits > 0; ++i, bits -= 8) {
    std::uint8_t mask = bits >= 8 ? 0xff : static_cast<std::uint8_t>(0xff << (8 - bits));
    if ((cidr.base.bytes[i] & mask) != (ip.bytes[i] & mask)) return false;
  }
  return true;
}

bool IsLoopback(const IpAddress& ip) {
  static const std::vector<Cidr> kV6 = ParseAll({"::1/128"});
  return ip.v4 ? ip.bytes[12] == 127 : InAny(ip, kV6);
}

bool IsInternal(const IpAddress& ip) {
  static const std::vector<Cidr> kV4 =
      ParseAll({"0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16",
                "172.16.0.0/12", "192.168.0.0/16", "224.0.0.0/4", "240.0.0.0/4"});
  static const std::vector<Cidr> kV6 =
      ParseAll({"::/128", "::1/128", "fc00::/7", "fe80::/10", "ff00::/8",
                // NAT64 and 6to4 can embed any IPv4 address.
                "64:ff9b::/96", "2002::/16"});
  return InAny(ip, ip.v4 ? kV4 : kV6);
}

}  // namespace modproxy::direct
