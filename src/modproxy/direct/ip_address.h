#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

// IP addresses as direct mode's egress rules need them: parsing, CIDR
// matching, and which addresses count as "inside our own network" (SSRF).
namespace modproxy::direct {

// IPv4 addresses are held IPv4-mapped (::ffff:a.b.c.d), as Go's net.IP does.
struct IpAddress {
  std::array<std::uint8_t, 16> bytes{};
  bool v4 = false;
};

std::optional<IpAddress> ParseIp(std::string_view text);  // "10.0.0.1", "::1", "[::1]"
std::string FormatIp(const IpAddress& ip);

// "10.0.0.0/8", "fd00::/8"; nullopt when not a CIDR.
struct Cidr {
  IpAddress base;
  int bits = 0;  // counted on the 128-bit (mapped) form
};
std::optional<Cidr> ParseCidr(std::string_view text);
bool Contains(const Cidr& cidr, const IpAddress& ip);

bool IsLoopback(const IpAddress& ip);
// Loopback, unspecified, link-local, private (RFC 1918, unique-local fc00::/7),
// carrier-grade NAT (100.64/10), multicast, broadcast: anything a module
// path from the internet must not make modproxy reach.
bool IsInternal(const IpAddress& ip);

}  // namespace modproxy::direct
