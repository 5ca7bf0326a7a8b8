#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "modproxy/core/result.h"
#include "modproxy/direct/ip_address.h"

// Which client a request comes from when reverse proxies stand in between:
// X-Forwarded-For is believed only as far as --trusted-proxies vouch for it.
namespace modproxy::policy {

// The addresses whose X-Forwarded-For is believed (--trusted-proxies).
// Default: none.
class TrustedProxies {
 public:
  TrustedProxies() = default;
  explicit TrustedProxies(std::vector<direct::Cidr> ranges) : ranges_(std::move(ranges)) {}

  bool Contains(const direct::IpAddress& ip) const;
  bool empty() const { return ranges_.empty(); }

 private:
  std::vector<direct::Cidr> ranges_;
};

// A comma-separated list of CIDRs ("10.0.0.0/8", "fd00::/8") and single
// addresses ("127.0.0.1", "::1"); white space around entries and empty
// entries are ignored, so "" trusts no one. kInvalidArgument naming the first
// bad entry.
Result<TrustedProxies> ParseTrustedProxies(std::string_view list);

// The client's address, in canonical text ("1.2.3.4", "2001:db8::1"; an
// IPv4-mapped peer such as "::ffff:1.2.3.4" becomes "1.2.3.4"):
// - a peer that is not a trusted proxy is the client, whatever it forwards;
// - from a trusted peer, `x_forwarded_for` (the header's values joined by
//   ',' when it came several times) is read from the right, skipping trusted
//   addresses: the first untrusted one is the client (entries to its left
//   were written by the client itself and may be lies); when all are trusted,
//   the left-most; an entry that is not an address (an optional port is
//   allowed: "1.2.3.4:80", "[::1]:80") stops the walk at the address to its
//   right (or the peer).
// A peer that is not an IP address at all is returned as it is.
std::string ClientIp(std::string_view peer_ip, std::string_view x_forwarded_for,
                     const TrustedProxies& trusted);

}  // namespace modproxy::policy
