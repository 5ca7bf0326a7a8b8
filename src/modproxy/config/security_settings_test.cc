#include "modproxy/config/security_settings.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

namespace modproxy::config {
namespace {

std::optional<std::string> NoEnv(const std::string&) { return std::nullopt; }

std::string WriteFile(const std::string& text) {
  std::string path = (std::filesystem::temp_directory_path() /
                      ("modproxy-security-" + std::to_string(std::rand()) + ".toml"))
                         .string();
  std::ofstream(path) << text;
  return path;
}

TEST(SecuritySettingsTest, DefaultsArePlainOpenAndUnlimited) {
  Result<Config> c = LoadConfig({}, &NoEnv);
  ASSERT_TRUE(c) << c.error().message;
  const SecuritySettings& s = c->security;
  EXPECT_FALSE(s.tls());
  EXPECT_EQ(s.client_auth, ClientAuth::kOff);
  EXPECT_EQ(s.anonymous.rate, 0);
  EXPECT_EQ(s.max_connections_per_ip, 0);
  EXPECT_EQ(s.header_timeout, std::chrono::seconds(10));
  EXPECT_EQ(s.idle_timeout, std::chrono::seconds(60));
  EXPECT_EQ(s.max_header_size, 16u * 1024);
  EXPECT_EQ(s.max_request_line, 8u * 1024);
}

TEST(SecuritySettingsTest, FlagsEnvAndFileWithPrecedence) {
  const std::string file = WriteFile(
      "rate_limit = 2\nrate_burst = 4\nmax_fetches_per_client = 3\n"
      "[limits.authenticated]\nrate = 50\nburst = 100\nfetch_rate = 0.5\n"
      "[[limits.identity]]\nname = \"ci\"\nrate = 500\nmax_fetches = 16\n"
      "[[limits.identity]]\nname = \"bot\"\nrate = 1\n");
  auto env = [](const std::string& name) -> std::optional<std::string> {
    if (name == "MODPROXY_RATE_BURST") return "6";
    return std::nullopt;
  };
  Result<Config> c = LoadConfig({{"config", file}, {"tls_client_auth", "off"}}, env);
  ASSERT_TRUE(c) << c.error().message;
  const SecuritySettings& s = c->security;
  EXPECT_EQ(s.anonymous.rate, 2);
  EXPECT_EQ(s.anonymous.burst, 6);  // env over file
  EXPECT_EQ(s.anonymous.max_fetches, 3);
  EXPECT_EQ(s.authenticated.rate, 50);
  EXPECT_EQ(s.authenticated.fetch_rate, 0.5);
  EXPECT_EQ(s.authenticated.max_fetches, 3);  // the per-client default
  ASSERT_EQ(s.identities.size(), 2u);
  EXPECT_EQ(s.identities.at("ci").rate, 500);
  EXPECT_EQ(s.identities.at("ci").max_fetches, 16);
  EXPECT_EQ(s.identities.at("bot").max_fetches, 3);
}

TEST(SecuritySettingsTest, BadValuesAndCombinationsNameTheProblem) {
  const std::vector<std::pair<std::map<std::string, std::string>, std::string>> cases = {
      {{{"tls_cert", "c.pem"}}, "--tls-cert needs --tls-key"},
      {{{"tls_key", "k.pem"}}, "--tls-key needs --tls-cert"},
      {{{"tls_client_auth", "require"}, {"tls_client_ca", "ca.pem"}},
       "--tls-client-auth needs --tls-cert and --tls-key"},
      {{{"tls_cert", "c"}, {"tls_key", "k"}, {"tls_client_auth", "optional"}},
       "--tls-client-auth needs --tls-client-ca"},
      {{{"tls_cert", "c"}, {"tls_key", "k"}, {"tls_client_ca", "ca"}},
       "--tls-client-ca needs --tls-client-auth optional or require"},
      {{{"tls_client_auth", "maybe"}}, "invalid tls_client_auth \"maybe\""},
      {{{"rate_limit", "-1"}}, "invalid rate_limit \"-1\""},
      {{{"rate_limit", "fast"}}, "invalid rate_limit \"fast\""},
      {{{"allow_anonymous", "yes"}}, "invalid allow_anonymous \"yes\""},
      {{{"header_timeout", "10ms"}}, "invalid header_timeout \"10ms\""},
      {{{"max_header_size", "10"}}, "invalid max_header_size \"10\""},
      {{{"metrics_auth", "true"}}, "--metrics-auth needs --auth-file"},
  };
  for (const auto& [flags, want] : cases) {
    Result<Config> c = LoadConfig(flags, &NoEnv);
    ASSERT_FALSE(c) << want;
    EXPECT_NE(c.error().message.find(want), std::string::npos)
        << "got: " << c.error().message << "\nwant: " << want;
  }
}

TEST(SecuritySettingsTest, LimitTablesRejectUnknownFieldsAndDuplicates) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"[limits.authenticated]\nrte = 1\n", "[limits.authenticated]: unknown field \"rte\""},
      {"[limits.authenticated]\nrate = \"fast\"\n", "\"rate\" must be a number >= 0"},
      {"[[limits.identity]]\nrate = 1\n", "[[limits.identity]] #1: missing \"name\""},
      {"[[limits.identity]]\nname = \"a\"\n[[limits.identity]]\nname = \"a\"\n",
       "identity \"a\" has limits twice"},
      {"[limits.everyone]\nrate = 1\n", "unknown table \"everyone\""},
      {"[[limits.identity]]\nname = \"a\"\nmax_fetches = 1.5\n", "whole number"},
  };
  for (const auto& [text, want] : cases) {
    Result<Config> c = LoadConfig({{"config", WriteFile(text)}}, &NoEnv);
    ASSERT_FALSE(c) << text;
    EXPECT_NE(c.error().message.find(want), std::string::npos)
        << "got: " << c.error().message << "\nwant: " << want;
  }
}

}  // namespace
}  // namespace modproxy::config
