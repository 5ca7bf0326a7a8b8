#include "modproxy/git/fetch_protocol.h"

#include <gtest/gtest.h>

namespace modproxy::git {
namespace {

TEST(FetchProtocolTest, InputRoundTrips) {
  FetchInput input{12345, false, Credentials{"u", "p\n\"x", "/k", "/k.pub", "pp"}};
  Result<FetchInput> decoded = DecodeFetchInput(EncodeFetchInput(input));
  ASSERT_TRUE(decoded.has_value()) << decoded.error().message;
  EXPECT_EQ(decoded->max_repo_bytes, 12345u);
  EXPECT_FALSE(decoded->follow_redirects);
  ASSERT_TRUE(decoded->credentials.has_value());
  EXPECT_EQ(decoded->credentials->password, "p\n\"x");
  EXPECT_EQ(decoded->credentials->ssh_public_key, "/k.pub");

  Result<FetchInput> none = DecodeFetchInput(EncodeFetchInput(FetchInput{1, true, {}}));
  ASSERT_TRUE(none.has_value());
  EXPECT_FALSE(none->credentials.has_value());
}

TEST(FetchProtocolTest, MalformedInputIsRejected) {
  for (const char* text : {"", "{}", "[1]", "{\"max_repo_bytes\":-1,\"follow_redirects\":true}",
                           "{\"max_repo_bytes\":1,\"follow_redirects\":true,\"credentials\":1}"}) {
    Result<FetchInput> decoded = DecodeFetchInput(text);
    EXPECT_FALSE(decoded.has_value()) << text;
  }
}

TEST(FetchProtocolTest, RedactUrlHidesOnlyThePassword) {
  EXPECT_EQ(RedactUrl("https://user:pw@host/x"), "https://user:xxxxx@host/x");
  EXPECT_EQ(RedactUrl("https://user@host/x"), "https://user@host/x");
  EXPECT_EQ(RedactUrl("https://host/a:b@c"), "https://host/a:b@c");
  EXPECT_EQ(RedactUrl("/local/path"), "/local/path");
}

TEST(FetchProtocolTest, RedactSecretsRemovesEveryCredential) {
  Credentials c{"alice", "hunter2", "", "", "phrase"};
  EXPECT_EQ(RedactSecrets("hunter2 phrase p%40ss p@ss", c, "https://u:p%40ss@h/"),
            "xxxxx xxxxx xxxxx xxxxx");
  EXPECT_EQ(RedactSecrets("alice", c, "https://h/"), "alice");
}

}  // namespace
}  // namespace modproxy::git
