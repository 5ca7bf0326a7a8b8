#include "modproxy/direct/proxy_env.h"

#include <map>

#include <gtest/gtest.h>

namespace modproxy::direct {
namespace {

ProxyEnvironment Env(std::map<std::string, std::string> vars) {
  return ProxyEnvironment([vars](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  });
}

TEST(ProxyEnvironment, PicksTheVariableForTheScheme) {
  ProxyEnvironment env = Env({{"http_proxy", "http://p1:3128"}, {"HTTPS_PROXY", "p2:8080"}});
  EXPECT_EQ(env.ProxyFor("http", "example.com", ""), "http://p1:3128");
  EXPECT_EQ(env.ProxyFor("https", "example.com", ""), "http://p2:8080");
  EXPECT_EQ(env.ProxyFor("ssh", "example.com", ""), std::nullopt);
  EXPECT_EQ(Env({}).ProxyFor("https", "example.com", ""), std::nullopt);
}

TEST(ProxyEnvironment, UpperCaseWinsExceptUnderCgi) {
  EXPECT_EQ(Env({{"HTTP_PROXY", "http://up"}, {"http_proxy", "http://low"}})
                .ProxyFor("http", "a.com", ""),
            "http://up");
  EXPECT_EQ(
      Env({{"HTTP_PROXY", "http://up"}, {"REQUEST_METHOD", "GET"}}).ProxyFor("http", "a.com", ""),
      std::nullopt);
}

TEST(ProxyEnvironment, NeverForLoopback) {
  ProxyEnvironment env = Env({{"http_proxy", "http://p"}});
  EXPECT_EQ(env.ProxyFor("http", "localhost", "8080"), std::nullopt);
  EXPECT_EQ(env.ProxyFor("http", "127.0.0.1", ""), std::nullopt);
  EXPECT_EQ(env.ProxyFor("http", "::1", ""), std::nullopt);
  EXPECT_EQ(env.ProxyFor("http", "10.0.0.1", ""), "http://p");
}

TEST(ProxyEnvironment, NoProxyRulesAsInGo) {
  ProxyEnvironment env = Env({{"https_proxy", "http://p"},
                              {"no_proxy",
                               " corp.example , .only-sub.example,*.star.example,"
                               "10.0.0.0/8, 192.168.1.1, portful.example:8443"}});
  EXPECT_EQ(env.ProxyFor("https", "corp.example", ""), std::nullopt);
  EXPECT_EQ(env.ProxyFor("https", "git.corp.example", ""), std::nullopt);
  EXPECT_EQ(env.ProxyFor("https", "xcorp.example", ""), "http://p");
  EXPECT_EQ(env.ProxyFor("https", "only-sub.example", ""), "http://p");
  EXPECT_EQ(env.ProxyFor("https", "a.only-sub.example", ""), std::nullopt);
  // "*.domain" is ".domain": subdomains only, as in Go.
  EXPECT_EQ(env.ProxyFor("https", "star.example", ""), "http://p");
  EXPECT_EQ(env.ProxyFor("https", "a.star.example", ""), std::nullopt);
  EXPECT_EQ(env.ProxyFor("https", "10.9.9.9", ""), std::nullopt);
  EXPECT_EQ(env.ProxyFor("https", "192.168.1.1", ""), std::nullopt);
  EXPECT_EQ(env.ProxyFor("https", "192.168.1.2", ""), "http://p");
  EXPECT_EQ(env.ProxyFor("https", "portful.example", "8443"), std::nullopt);
  EXPECT_EQ(env.ProxyFor("https", "portful.example", ""), "http://p");
  EXPECT_EQ(env.ProxyFor("https", "CORP.EXAMPLE", ""), std::nullopt);
  EXPECT_EQ(Env({{"https_proxy", "http://p"}, {"NO_PROXY", "*"}}).ProxyFor("https", "a.b", ""),
            std::nullopt);
}

}  // namespace
}  // namespace modproxy::direct
