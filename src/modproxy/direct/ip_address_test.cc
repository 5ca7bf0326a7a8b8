#include "modproxy/direct/ip_address.h"

#include <gtest/gtest.h>

namespace modproxy::direct {
namespace {

bool Internal(const char* text) {
  std::optional<IpAddress> ip = ParseIp(text);
  EXPECT_TRUE(ip.has_value()) << text;
  return ip && IsInternal(*ip);
}

TEST(IpAddress, ParsesAndFormats) {
  EXPECT_EQ(FormatIp(*ParseIp("10.1.2.3")), "10.1.2.3");
  EXPECT_EQ(FormatIp(*ParseIp("[::1]")), "::1");
  EXPECT_TRUE(ParseIp("::ffff:10.0.0.1")->v4);
  EXPECT_FALSE(ParseIp("example.com").has_value());
  EXPECT_FALSE(ParseIp("10.0.0").has_value());
}

TEST(IpAddress, InternalAddresses) {
  for (const char* a : {"127.0.0.1", "127.9.9.9", "10.0.0.1", "172.16.0.1", "172.31.255.255",
                        "192.168.1.1", "169.254.169.254", "0.0.0.0", "100.64.0.1", "224.0.0.1",
                        "255.255.255.255", "::1", "::", "fe80::1", "fd00::1", "fc00::1",
                        "::ffff:127.0.0.1", "::ffff:169.254.169.254", "64:ff9b::a00:1"}) {
    EXPECT_TRUE(Internal(a)) << a;
  }
  for (const char* a : {"8.8.8.8", "172.32.0.1", "192.169.0.1", "100.128.0.1", "2001:db8::1",
                        "2606:4700::1111", "::ffff:8.8.8.8"}) {
    EXPECT_FALSE(Internal(a)) << a;
  }
}

TEST(IpAddress, Cidr) {
  std::optional<Cidr> c = ParseCidr("10.0.0.0/8");
  ASSERT_TRUE(c.has_value());
  EXPECT_TRUE(Contains(*c, *ParseIp("10.200.0.1")));
  EXPECT_FALSE(Contains(*c, *ParseIp("11.0.0.1")));
  EXPECT_FALSE(Contains(*c, *ParseIp("::1")));
  EXPECT_TRUE(Contains(*ParseCidr("fd00::/8"), *ParseIp("fd12::3")));
  EXPECT_FALSE(ParseCidr("10.0.0.0/33").has_value());
  EXPECT_FALSE(ParseCidr("10.0.0.0/").has_value());
  EXPECT_FALSE(ParseCidr("10.0.0.0").has_value());
}

}  // namespace
}  // namespace modproxy::direct
