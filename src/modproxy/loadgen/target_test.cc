#include "modproxy/loadgen/target.h"

#include <gtest/gtest.h>

namespace modproxy::loadgen {
namespace {

TEST(TargetTest, ParsesHostPortAndPrefix) {
  Result<Target> target = ParseTarget("http://127.0.0.1:8080/prefix/");
  ASSERT_TRUE(target.has_value()) << target.error().message;
  EXPECT_EQ(target->host, "127.0.0.1");
  EXPECT_EQ(target->port, "8080");
  EXPECT_EQ(target->host_header, "127.0.0.1:8080");
  EXPECT_EQ(target->prefix, "/prefix");
  EXPECT_EQ(target->url, "http://127.0.0.1:8080/prefix");
}

TEST(TargetTest, DefaultsToPort80WithoutPrefix) {
  Result<Target> target = ParseTarget("http://proxy.example.com");
  ASSERT_TRUE(target.has_value());
  EXPECT_EQ(target->port, "80");
  EXPECT_EQ(target->host_header, "proxy.example.com");
  EXPECT_EQ(target->prefix, "");
  EXPECT_EQ(ParseTarget("http://proxy.example.com/")->prefix, "");
}

TEST(TargetTest, ParsesIpv6Literal) {
  Result<Target> target = ParseTarget("http://[::1]:9000");
  ASSERT_TRUE(target.has_value());
  EXPECT_EQ(target->host, "::1");
  EXPECT_EQ(target->port, "9000");
  EXPECT_EQ(target->host_header, "[::1]:9000");
}

TEST(TargetTest, RefusesHttpsWithAPointerToProbe) {
  Result<Target> target = ParseTarget("https://proxy.golang.org");
  ASSERT_FALSE(target.has_value());
  EXPECT_NE(target.error().message.find("https is not supported by bench yet; use probe"),
            std::string::npos);
}

TEST(TargetTest, RefusesMalformedUrls) {
  for (const char* url :
       {"proxy.golang.org", "ftp://x", "http://", "http://:80", "http://h:0", "http://h:99999",
        "http://h:", "http://h:8a", "http://u:p@h", "http://h/?q=1", "http://[::1"}) {
    EXPECT_FALSE(ParseTarget(url).has_value()) << url;
  }
}

}  // namespace
}  // namespace modproxy::loadgen
