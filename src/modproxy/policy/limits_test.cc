#include "modproxy/policy/limits.h"

#include <utility>

#include <gtest/gtest.h>

namespace modproxy::policy {
namespace {

LimitsConfig Config() {
  LimitsConfig config;
  config.anonymous.requests = MakeBudget(1, 2);
  config.authenticated.requests = MakeBudget(10, 20);
  config.identities["alice"].requests = MakeBudget(100, 200);
  config.identities["build01.corp.example"].requests = MakeBudget(50, 50);
  config.identities["ci@corp.example"].requests = MakeBudget(70, 70);
  return config;
}

Identity Token(std::string name) {
  return Identity{Identity::Kind::kToken, std::move(name), {}, "10.0.0.1"};
}

TEST(LimitsFor, AnonymousAndAuthenticatedClasses) {
  const LimitsConfig config = Config();
  EXPECT_EQ(&LimitsFor(config, Identity{}), &config.anonymous);
  EXPECT_EQ(&LimitsFor(config, Token("bob")), &config.authenticated);
}

TEST(LimitsFor, OwnEntryByName) {
  const LimitsConfig config = Config();
  EXPECT_EQ(&LimitsFor(config, Token("alice")), &config.identities.at("alice"));
  EXPECT_EQ(LimitsFor(config, Token("alice")).requests.rate, 100);
}

TEST(LimitsFor, CertificateByCommonNameThenAlias) {
  const LimitsConfig config = Config();
  Identity cert{Identity::Kind::kCertificate,
                "build01.corp.example",
                {"ci@corp.example", "build01.corp.example"},
                "10.0.0.1"};
  // The name wins over an alias with its own entry.
  EXPECT_EQ(LimitsFor(config, cert).requests.rate, 50);
  cert.name = "Build Server 01";
  EXPECT_EQ(LimitsFor(config, cert).requests.rate, 70);  // the first alias that has an entry
  cert.aliases = {"unknown.example"};
  EXPECT_EQ(&LimitsFor(config, cert), &config.authenticated);
}

TEST(LimitsFor, AnonymousNeverMatchesAnIdentity) {
  LimitsConfig config = Config();
  config.identities[""].requests = MakeBudget(999, 999);
  Identity anonymous;
  anonymous.aliases = {"alice"};
  EXPECT_EQ(&LimitsFor(config, anonymous), &config.anonymous);
}

TEST(MakeBudget, ZeroBurstIsTheRateRoundedUpAndAtLeastOne) {
  EXPECT_EQ(MakeBudget(5, 0).burst, 5);
  EXPECT_EQ(MakeBudget(2.5, 0).burst, 3);
  EXPECT_EQ(MakeBudget(0.5, 0).burst, 1);
  EXPECT_EQ(MakeBudget(0.5, 0).rate, 0.5);
  EXPECT_EQ(MakeBudget(2, 10).burst, 10);
  EXPECT_TRUE(MakeBudget(0, 0).unlimited());
  EXPECT_FALSE(MakeBudget(0.1, 0).unlimited());
}

}  // namespace
}  // namespace modproxy::policy
