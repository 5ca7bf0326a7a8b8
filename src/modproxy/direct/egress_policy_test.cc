#include "modproxy/direct/egress_policy.h"

#include <map>

#include <gtest/gtest.h>

namespace modproxy::direct {
namespace {

EgressPolicy Policy(std::map<std::string, std::string> dns, bool with_proxy = false) {
  EgressPolicy p;
  p.proxies = ProxyEnvironment([with_proxy](const std::string& name) -> std::optional<std::string> {
    if (with_proxy && (name == "https_proxy" || name == "http_proxy")) return "http://gw:3128";
    return std::nullopt;
  });
  p.resolve = [dns](const std::string& host) -> Result<std::vector<IpAddress>> {
    auto it = dns.find(host);
    if (it == dns.end()) return MakeError(ErrorCode::kUnavailable, "no such host");
    return std::vector<IpAddress>{*ParseIp(it->second)};
  };
  return p;
}

TEST(EgressPolicy, ParsesUrls) {
  Result<UrlParts> u = ParseUrl("HTTPS://user:secret@Git.Example.com:8443/a/b.git?x=1");
  ASSERT_TRUE(u.has_value());
  EXPECT_EQ(u->scheme, "https");
  EXPECT_EQ(u->host, "git.example.com");
  EXPECT_EQ(u->port, "8443");
  EXPECT_EQ(u->path, "/a/b.git?x=1");
  EXPECT_EQ(ParseUrl("http://[::1]:80/x")->host, "::1");
  EXPECT_EQ(ParseUrl("ssh://git@host/x")->host, "host");
  EXPECT_FALSE(ParseUrl("git.example.com/x").has_value());
}

TEST(EgressPolicy, RefusesInternalAddressesForPublicPaths) {
  EgressPolicy p = Policy({{"public.example", "93.184.216.34"}, {"inside.example", "10.1.2.3"}});
  EXPECT_TRUE(CheckEgress(p, "https://public.example/repo").has_value());
  for (const char* url :
       {"https://inside.example/repo", "http://127.0.0.1:8080/x.git", "https://[::1]/x",
        "http://169.254.169.254/latest/meta-data", "file:///srv/git/x.git"}) {
    Result<void> r = CheckEgress(p, url);
    ASSERT_FALSE(r.has_value()) << url;
    EXPECT_EQ(r.error().code, ErrorCode::kForbidden);
    EXPECT_NE(r.error().message.find("--private"), std::string::npos) << r.error().message;
  }
  EXPECT_NE(CheckEgress(p, "https://inside.example/r").error().message.find("10.1.2.3"),
            std::string::npos);
}

TEST(EgressPolicy, ProxiesAndOperatorChoice) {
  // Unresolvable here: a proxy carries it, so the proxy resolves it.
  EXPECT_TRUE(CheckEgress(Policy({}, true), "https://only.outside.example/r").has_value());
  // A literal internal address stays refused through a proxy.
  EXPECT_FALSE(CheckEgress(Policy({}, true), "http://10.0.0.1/r").has_value());
  EgressPolicy allow = Policy({});
  allow.allow_internal = true;
  EXPECT_TRUE(CheckEgress(allow, "http://127.0.0.1/r").has_value());
}

}  // namespace
}  // namespace modproxy::direct
