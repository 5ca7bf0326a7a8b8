#include "modproxy/policy/client_ip.h"

#include <gtest/gtest.h>

namespace modproxy::policy {
namespace {

TrustedProxies Trusted(std::string_view list) {
  Result<TrustedProxies> trusted = ParseTrustedProxies(list);
  EXPECT_TRUE(trusted) << trusted.error().message;
  return trusted ? *trusted : TrustedProxies();
}

TEST(ParseTrustedProxies, CidrsAndAddresses) {
  TrustedProxies trusted = Trusted(" 10.0.0.0/8, 127.0.0.1 ,fd00::/8,::1,");
  for (const char* ip : {"10.1.2.3", "127.0.0.1", "::ffff:127.0.0.1", "fd00::5", "::1"}) {
    EXPECT_TRUE(trusted.Contains(*direct::ParseIp(ip))) << ip;
  }
  for (const char* ip : {"11.0.0.1", "127.0.0.2", "fe00::1", "::2"}) {
    EXPECT_FALSE(trusted.Contains(*direct::ParseIp(ip))) << ip;
  }
  EXPECT_TRUE(Trusted("").empty());
  EXPECT_TRUE(Trusted(" , ").empty());
}

TEST(ParseTrustedProxies, NamesTheBadEntry) {
  for (const char* bad : {"10.0.0.0/8,proxy.example", "10.0.0.0/33", "10.0.0/8", "1.2.3.4/x"}) {
    Result<TrustedProxies> trusted = ParseTrustedProxies(bad);
    ASSERT_FALSE(trusted) << bad;
    EXPECT_EQ(trusted.error().code, ErrorCode::kInvalidArgument);
  }
  Result<TrustedProxies> trusted = ParseTrustedProxies("10.0.0.0/8, proxy.example ,::1");
  ASSERT_FALSE(trusted);
  EXPECT_EQ(trusted.error().message, "\"proxy.example\" is not an IP address or CIDR");
}

TEST(ClientIp, UntrustedPeerIgnoresForwardedFor) {
  const TrustedProxies trusted = Trusted("10.0.0.0/8");
  EXPECT_EQ(ClientIp("203.0.113.7", "198.51.100.1", trusted), "203.0.113.7");
  EXPECT_EQ(ClientIp("203.0.113.7", "", TrustedProxies()), "203.0.113.7");
  EXPECT_EQ(ClientIp("10.0.0.1", "198.51.100.1", TrustedProxies()), "10.0.0.1");
}

TEST(ClientIp, TrustedPeerWithoutForwardedForIsTheClient) {
  EXPECT_EQ(ClientIp("10.0.0.1", "", Trusted("10.0.0.0/8")), "10.0.0.1");
  EXPECT_EQ(ClientIp("10.0.0.1", " , ", Trusted("10.0.0.0/8")), "10.0.0.1");
}

TEST(ClientIp, TrustedChainFromTheRight) {
  const TrustedProxies trusted = Trusted("10.0.0.0/8,192.168.1.1");
  EXPECT_EQ(ClientIp("10.0.0.1", "198.51.100.1", trusted), "198.51.100.1");
  // client -> 192.168.1.1 -> 10.0.0.9 -> peer 10.0.0.1
  EXPECT_EQ(ClientIp("10.0.0.1", "198.51.100.1, 192.168.1.1,10.0.0.9", trusted), "198.51.100.1");
  // The header sent twice, joined by the server.
  EXPECT_EQ(ClientIp("10.0.0.1", "198.51.100.1,10.0.0.9", trusted), "198.51.100.1");
  // Everybody trusted: the left-most.
  EXPECT_EQ(ClientIp("10.0.0.1", "10.0.0.7, 10.0.0.8", trusted), "10.0.0.7");
}

TEST(ClientIp, SpoofedLeftEntriesAreIgnored) {
  const TrustedProxies trusted = Trusted("10.0.0.0/8");
  // The client sent "X-Forwarded-For: 1.1.1.1, 10.0.0.5"; the proxy appended its peer.
  EXPECT_EQ(ClientIp("10.0.0.1", "1.1.1.1, 10.0.0.5, 203.0.113.7", trusted), "203.0.113.7");
}

TEST(ClientIp, Ipv6AndMappedIpv4) {
  const TrustedProxies trusted = Trusted("fd00::/8,127.0.0.1");
  EXPECT_EQ(ClientIp("::ffff:203.0.113.7", "", trusted), "203.0.113.7");
  EXPECT_EQ(ClientIp("::ffff:127.0.0.1", "2001:DB8::1", trusted), "2001:db8::1");
  EXPECT_EQ(ClientIp("fd00::1", "2001:db8::2, fd00::7", trusted), "2001:db8::2");
  EXPECT_EQ(ClientIp("fd00::1", "::ffff:198.51.100.1", trusted), "198.51.100.1");
  EXPECT_EQ(ClientIp("2001:db8:0:0::9", "1.2.3.4", trusted), "2001:db8::9");
  EXPECT_EQ(ClientIp("[2001:db8::9]", "", trusted), "2001:db8::9");
}

TEST(ClientIp, PortsInForwardedFor) {
  const TrustedProxies trusted = Trusted("10.0.0.0/8");
  EXPECT_EQ(ClientIp("10.0.0.1", "198.51.100.1:4711", trusted), "198.51.100.1");
  EXPECT_EQ(ClientIp("10.0.0.1", "[2001:db8::1]:4711", trusted), "2001:db8::1");
  EXPECT_EQ(ClientIp("10.0.0.1", "[2001:db8::1]", trusted), "2001:db8::1");
  EXPECT_EQ(ClientIp("10.0.0.1", "2001:db8::1:80", trusted), "2001:db8::1:80");
}

TEST(ClientIp, GarbageStopsTheWalk) {
  const TrustedProxies trusted = Trusted("10.0.0.0/8");
  EXPECT_EQ(ClientIp("10.0.0.1", "unknown", trusted), "10.0.0.1");
  EXPECT_EQ(ClientIp("10.0.0.1", "198.51.100.1, garbage, 10.0.0.5", trusted), "10.0.0.5");
  EXPECT_EQ(ClientIp("10.0.0.1", "198.51.100.1, 10.0.0.5 junk", trusted), "10.0.0.1");
  EXPECT_EQ(ClientIp("10.0.0.1", "1.2.3.4:port", trusted), "10.0.0.1");
  EXPECT_EQ(ClientIp("10.0.0.1", "1.2.3.4:", trusted), "10.0.0.1");
  EXPECT_EQ(ClientIp("10.0.0.1", "[1.2.3.4:80", trusted), "10.0.0.1");
  EXPECT_EQ(ClientIp("10.0.0.1", "fe80::1%eth0", trusted), "10.0.0.1");
  EXPECT_EQ(ClientIp("10.0.0.1", "for=198.51.100.1", trusted), "10.0.0.1");
  // A garbage left of the client does not matter.
  EXPECT_EQ(ClientIp("10.0.0.1", "garbage, 198.51.100.1", trusted), "198.51.100.1");
}

TEST(ClientIp, PeerThatIsNoAddressIsKeptAsItIs) {
  EXPECT_EQ(ClientIp("", "1.2.3.4", Trusted("0.0.0.0/0")), "");
  EXPECT_EQ(ClientIp("fe80::1%eth0", "", TrustedProxies()), "fe80::1%eth0");
}

}  // namespace
}  // namespace modproxy::policy
