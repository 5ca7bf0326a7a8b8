#include "modproxy/policy/gate.h"

#include <gtest/gtest.h>

#include "modproxy/policy/clock.h"
#include "modproxy/policy/memory_rate_limiter.h"

namespace modproxy::policy {
namespace {

constexpr const char* kAliceToken = "mpt_alice-secret";
constexpr const char* kBobToken = "mpt_bob-secret";

std::shared_ptr<const AuthTable> Table() {
  const std::string text = std::string("[[identity]]\nname = \"alice\"\nsecrets = [\"") +
                           HashToken(kAliceToken) +
                           "\"]\ndeny = \"corp.example/secret\"\nmetrics = true\n"
                           "[[identity]]\nname = \"bob\"\nsecrets = [\"" +
                           HashToken(kBobToken) +
                           "\"]\nallow = \"example.com\"\n"
                           "[[identity]]\nname = \"build01.corp.example\"\n"
                           "deny = \"example.com\"\n";
  Result<AuthTable> table = AuthTable::Parse(text, "test");
  EXPECT_TRUE(table) << table.error().message;
  return std::make_shared<const AuthTable>(std::move(*table));
}

std::string Basic(const std::string& user_colon_secret) {
  // base64 of "alice:mpt_alice-secret" and friends, computed by the test's
  // own tiny encoder so that the gate's decoder is checked against it.
  static const char* kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::size_t i = 0;
  const std::string& in = user_colon_secret;
  for (; i + 2 < in.size(); i += 3) {
    const unsigned v = (static_cast<unsigned char>(in[i]) << 16) |
                       (static_cast<unsigned char>(in[i + 1]) << 8) |
                       static_cast<unsigned char>(in[i + 2]);
    for (int shift : {18, 12, 6, 0}) out += kAlphabet[(v >> shift) & 63];
  }
  if (i + 1 == in.size()) {
    const unsigned v = static_cast<unsigned char>(in[i]) << 16;
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += "==";
  } else if (i + 2 == in.size()) {
    const unsigned v =
        (static_cast<unsigned char>(in[i]) << 16) | (static_cast<unsigned char>(in[i + 1]) << 8);
    for (int shift : {18, 12, 6}) out += kAlphabet[(v >> shift) & 63];
    out += "=";
  }
  return "Basic " + out;
}

class GateTest : public ::testing::Test {
 protected:
  Gate MakeGate(GateOptions options, std::shared_ptr<const AuthTable> auth = Table()) {
    return Gate(std::move(options), std::move(auth), limiter_, slots_);
  }

  FakeTimeSource clock_;
  MemoryRateLimiter limiter_{clock_};
  FetchSlots slots_;
};

TEST_F(GateTest, NoCredentialsIsAnonymousUnlessRequired) {
  Gate open = MakeGate({});
  Result<Identity> anonymous = open.Identify({"10.0.0.1", "", "", nullptr});
  ASSERT_TRUE(anonymous);
  EXPECT_FALSE(anonymous->authenticated());
  EXPECT_EQ(anonymous->client_ip, "10.0.0.1");
  EXPECT_EQ(anonymous->RateKey(), "ip:10.0.0.1");

  GateOptions required;
  required.credentials_required = true;
  Gate closed = MakeGate(required);
  Result<Identity> refused = closed.Identify({"10.0.0.1", "", "", nullptr});
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kUnauthenticated);
}

TEST_F(GateTest, TokensAndBasicAuthIdentify) {
  Gate gate = MakeGate({});
  const std::string bearer = std::string("Bearer ") + kAliceToken;
  Result<Identity> alice = gate.Identify({"10.0.0.1", "", bearer, nullptr});
  ASSERT_TRUE(alice) << alice.error().message;
  EXPECT_EQ(alice->kind, Identity::Kind::kToken);
  EXPECT_EQ(alice->name, "alice");
  EXPECT_EQ(alice->RateKey(), "id:alice");

  const std::string basic = Basic(std::string("bob:") + kBobToken);
  Result<Identity> bob = gate.Identify({"10.0.0.1", "", basic, nullptr});
  ASSERT_TRUE(bob) << bob.error().message;
  EXPECT_EQ(bob->name, "bob");

  // Alice's token under Bob's name, a wrong token: refused even though
  // anonymous requests are allowed, and the secret is never echoed.
  for (const std::string& header :
       {Basic(std::string("bob:") + kAliceToken), std::string("Bearer mpt_wrong")}) {
    Result<Identity> refused = gate.Identify({"10.0.0.1", "", header, nullptr});
    ASSERT_FALSE(refused) << header;
    EXPECT_EQ(refused.error().code, ErrorCode::kUnauthenticated);
    EXPECT_EQ(refused.error().message.find("secret"), std::string::npos);
  }
}

TEST_F(GateTest, WithoutAnAuthFileTokensAreIgnored) {
  GateOptions options;
  options.limits.anonymous.requests = MakeBudget(1, 1);
  Gate gate = MakeGate(options, nullptr);
  Result<Identity> who = gate.Identify({"10.0.0.1", "", "Bearer anything", nullptr});
  ASSERT_TRUE(who) << who.error().message;
  EXPECT_FALSE(who->authenticated());
}

TEST_F(GateTest, CertificateIdentityAndTokenPrecedence) {
  Gate gate = MakeGate({});
  CertificateSubject with_cn{"carol", {"carol.corp.example"}};
  Result<Identity> carol = gate.Identify({"10.0.0.1", "", "", &with_cn});
  ASSERT_TRUE(carol);
  EXPECT_EQ(carol->kind, Identity::Kind::kCertificate);
  EXPECT_EQ(carol->name, "carol");

  CertificateSubject sans_only{"", {"build01.corp.example", "other"}};
  Result<Identity> build = gate.Identify({"10.0.0.1", "", "", &sans_only});
  ASSERT_TRUE(build);
  EXPECT_EQ(build->name, "build01.corp.example");

  const std::string bearer = std::string("Bearer ") + kAliceToken;
  Result<Identity> token = gate.Identify({"10.0.0.1", "", bearer, &with_cn});
  ASSERT_TRUE(token);
  EXPECT_EQ(token->name, "alice");
}

TEST_F(GateTest, PathRulesOfTokensAndCertificates) {
  Gate gate = MakeGate({});
  Identity alice{Identity::Kind::kToken, "alice", {}, "10.0.0.1"};
  EXPECT_TRUE(gate.MayRead(alice, "example.com/a"));
  Result<void> denied = gate.MayRead(alice, "corp.example/secret/x");
  ASSERT_FALSE(denied);
  EXPECT_EQ(denied.error().code, ErrorCode::kForbidden);
  EXPECT_EQ(denied.error().message, "access to corp.example/secret/x denied for alice");

  Identity bob{Identity::Kind::kToken, "bob", {}, "10.0.0.1"};
  EXPECT_TRUE(gate.MayRead(bob, "example.com/a"));
  EXPECT_FALSE(gate.MayRead(bob, "golang.org/x/mod"));

  // A certificate finds its rules through a SAN too.
  Identity build{Identity::Kind::kCertificate, "build01", {"build01.corp.example"}, "10.0.0.1"};
  EXPECT_FALSE(gate.MayRead(build, "example.com/a"));
  EXPECT_TRUE(gate.MayRead(build, "golang.org/x/mod"));
  // No rules for a certificate: everything.
  Identity other{Identity::Kind::kCertificate, "zed", {}, "10.0.0.1"};
  EXPECT_TRUE(gate.MayRead(other, "example.com/a"));
}

TEST_F(GateTest, MetricsNeedAnIdentityWithMetrics) {
  Gate open = MakeGate({});
  EXPECT_TRUE(open.MayReadMetrics(Identity{}));
  GateOptions options;
  options.metrics_auth = true;
  Gate gate = MakeGate(options);
  Result<void> anonymous = gate.MayReadMetrics(Identity{});
  ASSERT_FALSE(anonymous);
  EXPECT_EQ(anonymous.error().code, ErrorCode::kUnauthenticated);
  Result<void> bob = gate.MayReadMetrics(Identity{Identity::Kind::kToken, "bob", {}, ""});
  ASSERT_FALSE(bob);
  EXPECT_EQ(bob.error().code, ErrorCode::kForbidden);
  EXPECT_TRUE(gate.MayReadMetrics(Identity{Identity::Kind::kToken, "alice", {}, ""}));
}

TEST_F(GateTest, BudgetsPerClassAndOverride) {
  GateOptions options;
  options.limits.anonymous.requests = MakeBudget(1, 2);
  options.limits.authenticated.requests = MakeBudget(10, 5);
  options.limits.identities["alice"].requests = MakeBudget(100, 50);
  options.limits.anonymous.fetches = MakeBudget(1, 1);
  Gate gate = MakeGate(options);

  Identity anonymous{Identity::Kind::kAnonymous, "", {}, "10.0.0.1"};
  EXPECT_TRUE(gate.TakeRequest(anonymous).decision.allowed);
  EXPECT_TRUE(gate.TakeRequest(anonymous).decision.allowed);
  RateCheck third = gate.TakeRequest(anonymous);
  EXPECT_TRUE(third.limited);
  EXPECT_FALSE(third.decision.allowed);
  EXPECT_EQ(third.decision.limit, 2);

  // Another IP has its own bucket; fetches have their own budget.
  EXPECT_TRUE(
      gate.TakeRequest(Identity{Identity::Kind::kAnonymous, "", {}, "10.0.0.2"}).decision.allowed);
  EXPECT_TRUE(gate.FetchesLimited(anonymous));
  EXPECT_TRUE(gate.TakeFetch(anonymous).decision.allowed);
  EXPECT_FALSE(gate.TakeFetch(anonymous).decision.allowed);

  Identity bob{Identity::Kind::kToken, "bob", {}, "10.0.0.1"};
  EXPECT_EQ(gate.TakeRequest(bob).decision.limit, 5);
  EXPECT_FALSE(gate.FetchesLimited(bob));
  EXPECT_FALSE(gate.TakeFetch(bob).limited);
  Identity alice{Identity::Kind::kToken, "alice", {}, "10.0.0.1"};
  EXPECT_EQ(gate.TakeRequest(alice).decision.limit, 50);

  clock_.Advance(std::chrono::seconds(1));
  EXPECT_TRUE(gate.TakeRequest(anonymous).decision.allowed);
}

TEST_F(GateTest, ConcurrentFetchCap) {
  GateOptions options;
  options.limits.authenticated.max_fetches = 1;
  Gate gate = MakeGate(options);
  Identity bob{Identity::Kind::kToken, "bob", {}, "10.0.0.1"};
  EXPECT_TRUE(gate.FetchesLimited(bob));
  std::optional<FetchSlots::Slot> first = gate.AcquireFetchSlot(bob);
  ASSERT_TRUE(first);
  EXPECT_FALSE(gate.AcquireFetchSlot(bob));
  first.reset();
  EXPECT_TRUE(gate.AcquireFetchSlot(bob));
}

TEST_F(GateTest, ReloadedTableTakesEffect) {
  Gate gate = MakeGate({});
  const std::string bearer = std::string("Bearer ") + kAliceToken;
  ASSERT_TRUE(gate.Identify({"10.0.0.1", "", bearer, nullptr}));
  Result<AuthTable> empty = AuthTable::Parse("", "empty");
  ASSERT_TRUE(empty);
  gate.SetAuthTable(std::make_shared<const AuthTable>(std::move(*empty)));
  EXPECT_FALSE(gate.Identify({"10.0.0.1", "", bearer, nullptr}));
}

}  // namespace
}  // namespace modproxy::policy
