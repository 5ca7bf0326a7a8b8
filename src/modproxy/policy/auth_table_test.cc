#include "modproxy/policy/auth_table.h"

#include <stdlib.h>
#include <unistd.h>

#include <cstdio>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace modproxy::policy {
namespace {

// printf %s abc | sha256sum
constexpr const char* kAbcHash =
    "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
// printf %s mpt_example-token | sha256sum
constexpr const char* kExampleToken = "mpt_example-token";
constexpr const char* kExampleHash =
    "sha256:b96e3ca6b95d7c7931f98ce9584bfd8e680c34baa8723786aa905116efa3ee94";

AuthTable MustParse(const std::string& text) {
  Result<AuthTable> table = AuthTable::Parse(text, "auth.toml");
  EXPECT_TRUE(table) << table.error().message;
  return table ? std::move(*table) : AuthTable();
}

std::string ParseError(const std::string& text) {
  Result<AuthTable> table = AuthTable::Parse(text, "auth.toml");
  if (table) return "(parsed)";
  EXPECT_EQ(table.error().code, ErrorCode::kInvalidArgument);
  return table.error().message;
}

std::string Alice() {
  return std::string("[[identity]]\nname = \"alice\"\nsecrets = [\"") + HashToken("old") +
         "\", \"" + HashToken("new") + "\"]\n";
}

TEST(AuthTableTest, ParsesEveryField) {
  AuthTable table = MustParse(
      "# tokens of the team\n"
      "[[identity]]\n"
      "name = \"alice\"\n"
      "secrets = [\"" +
      std::string(kExampleHash) +
      "\"]\n"
      "allow = \"example.com/*,corp.example/*\"\n"
      "deny = \"corp.example/secret\"\n"
      "metrics = true\n"
      "\n"
      "[[identity]]\n"
      "name = \"build01.corp.example\"\n"
      "deny = \"corp.example/secret\"\n");
  ASSERT_EQ(table.entries().size(), 2u);
  const AuthEntry& alice = table.entries()[0];
  EXPECT_EQ(alice.name, "alice");
  ASSERT_EQ(alice.secrets.size(), 1u);
  EXPECT_EQ(alice.secrets[0][0], 0xb9);
  EXPECT_EQ(alice.secrets[0][31], 0x94);
  EXPECT_EQ(alice.allow, "example.com/*,corp.example/*");
  EXPECT_EQ(alice.deny, "corp.example/secret");
  EXPECT_TRUE(alice.metrics);
  const AuthEntry& build = table.entries()[1];
  EXPECT_EQ(build.name, "build01.corp.example");
  EXPECT_TRUE(build.secrets.empty());
  EXPECT_FALSE(build.allow.has_value());
  EXPECT_FALSE(build.metrics);
  EXPECT_EQ(table.FindByName("alice"), &alice);
  EXPECT_EQ(table.FindByName("build01.corp.example"), &build);
  EXPECT_EQ(table.FindByName("Alice"), nullptr);
  EXPECT_EQ(table.FindByToken(kExampleToken), &alice);
}

TEST(AuthTableTest, UpperCaseHexIsTheSameSecret) {
  std::string upper = kExampleHash;
  for (std::size_t i = 7; i < upper.size(); ++i) upper[i] = static_cast<char>(toupper(upper[i]));
  AuthTable table = MustParse("[[identity]]\nname = \"a\"\nsecrets = [\"" + upper + "\"]\n");
  ASSERT_NE(table.FindByToken(kExampleToken), nullptr);
}

TEST(AuthTableTest, EmptyFileIsAnEmptyTable) {
  for (const std::string text : {"", "\n", "# nobody yet\n"}) {
    AuthTable table = MustParse(text);
    EXPECT_TRUE(table.entries().empty());
    EXPECT_EQ(table.FindByToken("anything"), nullptr);
    EXPECT_EQ(table.FindByToken(""), nullptr);
  }
}

TEST(AuthTableTest, ErrorsNameTheEntry) {
  const std::string good = Alice();
  struct Case {
    std::string text;
    std::string message;
  };
  const std::vector<Case> cases = {
      {"name = \"x\"\n",
       "auth.toml: unknown key \"name\" (an auth file holds only [[identity]] tables)"},
      {"[identity]\nname = \"x\"\n", "auth.toml: \"identity\" must be written [[identity]]"},
      {"identity = [1]\n", "auth.toml: identity 1: not a table (write [[identity]])"},
      {good + "[[identity]]\nsecrets = []\n", "auth.toml: identity 2: missing \"name\""},
      {good + "[[identity]]\nname = 7\n", "auth.toml: identity 2: \"name\" must be a string"},
      {good + "[[identity]]\nname = \"\"\n",
       "auth.toml: identity 2: invalid name \"\" (want [A-Za-z0-9._@-]+)"},
      {good + "[[identity]]\nname = \"bob smith\"\n",
       "auth.toml: identity 2: invalid name \"bob smith\" (want [A-Za-z0-9._@-]+)"},
      {good + "[[identity]]\nname = \"a\\nb\"\n",
       "auth.toml: identity 2: invalid name \"a\\x0ab\" (want [A-Za-z0-9._@-]+)"},
      {good + "[[identity]]\nname = \"bob\"\nsecret = []\n",
       "auth.toml: identity 2 (bob): unknown key \"secret\" (want name, secrets, allow, deny, "
       "metrics)"},
      {good + "[[identity]]\nname = \"alice\"\n",
       "auth.toml: identity 2 (alice): name already used by identity 1"},
      {good + "[[identity]]\nname = \"bob\"\nsecrets = \"" + HashToken("b") + "\"\n",
       "auth.toml: identity 2 (bob): \"secrets\" must be an array of \"sha256:<hex>\" strings"},
      {good + "[[identity]]\nname = \"bob\"\nsecrets = [1]\n",
       "auth.toml: identity 2 (bob): secret 1 must be a string"},
      {good + "[[identity]]\nname = \"bob\"\nsecrets = [\"" + HashToken("b") + "\", \"md5:00\"]\n",
       "auth.toml: identity 2 (bob): secret 2 is not \"sha256:<64 hex digits>\""},
      {good + "[[identity]]\nname = \"bob\"\nsecrets = [\"" + HashToken("b").substr(0, 70) +
           "\"]\n",
       "auth.toml: identity 2 (bob): secret 1 is not \"sha256:<64 hex digits>\""},
      {good + "[[identity]]\nname = \"bob\"\nsecrets = [\"" + HashToken("b").substr(0, 70) +
           "zz\"]\n",
       "auth.toml: identity 2 (bob): secret 1 is not \"sha256:<64 hex digits>\""},
      {good + "[[identity]]\nname = \"bob\"\nsecrets = [\"mpt_pasted-by-mistake\"]\n",
       "auth.toml: identity 2 (bob): secret 1 is not \"sha256:<64 hex digits>\"; it looks like a "
       "token itself: store the output of `modproxy auth hash`"},
      {good + "[[identity]]\nname = \"bob\"\nsecrets = [\"" + HashToken("b") + "\", \"" +
           HashToken("new") + "\"]\n",
       "auth.toml: identity 2 (bob): secret 2 is also a secret of identity 1 (alice); every "
       "token must prove one identity"},
      {good + "[[identity]]\nname = \"bob\"\nsecrets = [\"" + HashToken("b") + "\", \"" +
           HashToken("b") + "\"]\n",
       "auth.toml: identity 2 (bob): secret 2 is listed twice"},
      {good + "[[identity]]\nname = \"bob\"\nallow = [\"example.com\"]\n",
       "auth.toml: identity 2 (bob): \"allow\" must be a string of comma-separated globs"},
      {good + "[[identity]]\nname = \"bob\"\ndeny = \"a.com, b.com\"\n",
       "auth.toml: identity 2 (bob): \"deny\" \"a.com, b.com\" contains white space (write globs "
       "separated by bare commas)"},
      {good + "[[identity]]\nname = \"bob\"\nmetrics = \"yes\"\n",
       "auth.toml: identity 2 (bob): \"metrics\" must be true or false"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.text);
    EXPECT_EQ(ParseError(c.text), c.message);
  }
}

TEST(AuthTableTest, SyntaxErrorsNameTheLine) {
  const std::string message = ParseError("[[identity]]\nname = \"a\"\nmetrics = yes\n");
  EXPECT_EQ(message.rfind("auth.toml:3: ", 0), 0u) << message;
  EXPECT_EQ(message.find('\n'), std::string::npos) << message;
}

TEST(AuthTableTest, LoadReadsAFileAndNamesAMissingOne) {
  char path[] = "/tmp/auth_table_test_XXXXXX";
  const int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  const std::string text = Alice();
  ASSERT_EQ(write(fd, text.data(), text.size()), static_cast<ssize_t>(text.size()));
  close(fd);
  Result<AuthTable> table = AuthTable::Load(path);
  ASSERT_TRUE(table) << table.error().message;
  EXPECT_NE(table->FindByToken("old"), nullptr);

  {
    std::FILE* f = std::fopen(path, "w");
    ASSERT_NE(f, nullptr);
    std::fputs("[[identity]]\nname = \"x y\"\n", f);
    std::fclose(f);
  }
  Result<AuthTable> bad = AuthTable::Load(path);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message, std::string("auth file ") + path +
                                     ": identity 1: invalid name \"x y\" (want [A-Za-z0-9._@-]+)");
  unlink(path);

  Result<AuthTable> missing = AuthTable::Load(path);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(missing.error().message,
            std::string("cannot read auth file ") + path + ": No such file or directory");

  Result<AuthTable> directory = AuthTable::Load("/tmp");
  ASSERT_FALSE(directory);
  EXPECT_EQ(directory.error().message, "cannot read auth file /tmp: Is a directory");
}

TEST(AuthTableTest, EitherSecretOfARotationFindsTheEntry) {
  AuthTable table = MustParse(Alice() + "[[identity]]\nname = \"bob\"\nsecrets = [\"" +
                              HashToken("bobs") + "\"]\n");
  ASSERT_NE(table.FindByToken("old"), nullptr);
  EXPECT_EQ(table.FindByToken("old")->name, "alice");
  ASSERT_NE(table.FindByToken("new"), nullptr);
  EXPECT_EQ(table.FindByToken("new")->name, "alice");
  ASSERT_NE(table.FindByToken("bobs"), nullptr);
  EXPECT_EQ(table.FindByToken("bobs")->name, "bob");
  EXPECT_EQ(table.FindByToken("older"), nullptr);
  EXPECT_EQ(table.FindByToken("ol"), nullptr);
  EXPECT_EQ(table.FindByToken(""), nullptr);
  // The hash itself is not a token.
  EXPECT_EQ(table.FindByToken(HashToken("old")), nullptr);
}

TEST(AuthTableTest, CopiesKeepTheirLookups) {
  AuthTable original = MustParse(Alice());
  AuthTable copy = original;
  original = AuthTable();
  ASSERT_NE(copy.FindByToken("old"), nullptr);
  EXPECT_EQ(copy.FindByToken("old"), &copy.entries()[0]);
  EXPECT_EQ(copy.FindByName("alice"), &copy.entries()[0]);
}

TEST(HashTokenTest, IsLowerCaseHexSha256) {
  EXPECT_EQ(HashToken("abc"), kAbcHash);
  EXPECT_EQ(HashToken(kExampleToken), kExampleHash);
  EXPECT_EQ(HashToken(""),
            "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(NewTokenTest, IsPrefixedBase64UrlOf256BitsAndUnique) {
  std::set<std::string> seen;
  for (int i = 0; i < 200; ++i) {
    const std::string token = NewToken();
    ASSERT_EQ(token.size(), 4u + 43u) << token;
    EXPECT_EQ(token.rfind("mpt_", 0), 0u) << token;
    for (char c : token.substr(4)) {
      const bool url_safe = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                            (c >= '0' && c <= '9') || c == '-' || c == '_';
      EXPECT_TRUE(url_safe) << token;
    }
    EXPECT_TRUE(seen.insert(token).second) << token;
  }
  const std::string token = NewToken();
  AuthTable table =
      MustParse("[[identity]]\nname = \"ci\"\nsecrets = [\"" + HashToken(token) + "\"]\n");
  ASSERT_NE(table.FindByToken(token), nullptr);
}

TEST(IsIdentityNameTest, AllowsTheNameAlphabetOnly) {
  for (const char* name : {"alice", "build01.corp.example", "a_b-c", "bob@example.com", "A9"}) {
    EXPECT_TRUE(IsIdentityName(name)) << name;
  }
  for (const char* name : {"", "a b", "a/b", "a:b", "é", "a\"b", "a\n"}) {
    EXPECT_FALSE(IsIdentityName(name)) << name;
  }
}

TEST(ParseAuthorizationTest, Bearer) {
  for (const char* header : {"Bearer mpt_tok", "bearer mpt_tok", "BEARER mpt_tok",
                             "  Bearer    mpt_tok  ", "Bearer\tmpt_tok"}) {
    Result<PresentedCredentials> c = ParseAuthorization(header);
    ASSERT_TRUE(c) << header << ": " << c.error().message;
    EXPECT_TRUE(c->bearer);
    EXPECT_EQ(c->username, "");
    EXPECT_EQ(c->secret, "mpt_tok");
  }
}

TEST(ParseAuthorizationTest, Basic) {
  // printf %s alice:mpt_tok | base64
  for (const char* header :
       {"Basic YWxpY2U6bXB0X3Rvaw==", "basic  YWxpY2U6bXB0X3Rvaw== ", "BASIC YWxpY2U6bXB0X3Rvaw"}) {
    Result<PresentedCredentials> c = ParseAuthorization(header);
    ASSERT_TRUE(c) << header << ": " << c.error().message;
    EXPECT_FALSE(c->bearer);
    EXPECT_EQ(c->username, "alice");
    EXPECT_EQ(c->secret, "mpt_tok");
  }
  // The password may hold a colon (printf %s alice:mpt_tok:en | base64).
  Result<PresentedCredentials> colon = ParseAuthorization("Basic YWxpY2U6bXB0X3Rvazplbg==");
  ASSERT_TRUE(colon);
  EXPECT_EQ(colon->username, "alice");
  EXPECT_EQ(colon->secret, "mpt_tok:en");
}

TEST(ParseAuthorizationTest, MalformedHeadersAreUnauthenticated) {
  for (const char* header : {
           "", "   ", "Bearer", "Bearer ", "mpt_tok", "Bearer a b", "Digest mpt_tok",
           "Token mpt_tok", "Basic !!!!",
           "Basic YWxpY2U=",        // "alice": no colon
           "Basic YWxpY2U6",        // "alice:": no token
           "Basic YWxpY2U6bXB0X",   // bad length
           "Basic YWxp Y2U6bXB0X",  // two words
       }) {
    Result<PresentedCredentials> c = ParseAuthorization(header);
    ASSERT_FALSE(c) << header;
    EXPECT_EQ(c.error().code, ErrorCode::kUnauthenticated) << header;
    EXPECT_EQ(c.error().message.find("mpt_tok"), std::string::npos);
  }
}

TEST(AuthenticateTest, BearerAndBasicProveTheEntry) {
  AuthTable table = MustParse(Alice() + "[[identity]]\nname = \"bob\"\nsecrets = [\"" +
                              HashToken("bobs") + "\"]\n");
  Result<const AuthEntry*> bearer = Authenticate(table, {true, "", "new"});
  ASSERT_TRUE(bearer) << bearer.error().message;
  EXPECT_EQ((*bearer)->name, "alice");
  Result<const AuthEntry*> basic = Authenticate(table, {false, "bob", "bobs"});
  ASSERT_TRUE(basic) << basic.error().message;
  EXPECT_EQ((*basic)->name, "bob");
}

TEST(AuthenticateTest, WrongTokenOrUserIsRefusedWithoutEchoingIt) {
  AuthTable table = MustParse(Alice() + "[[identity]]\nname = \"bob\"\nsecrets = [\"" +
                              HashToken("bobs-token") + "\"]\n");
  // A wrong token, and bob's valid token under another entry's name (or none).
  const std::vector<PresentedCredentials> refused = {
      {true, "", "wrong-token"},    {false, "alice", "bobs-token"},  {false, "", "bobs-token"},
      {false, "Bob", "bobs-token"}, {false, "alice", "wrong-token"},
  };
  for (const PresentedCredentials& c : refused) {
    Result<const AuthEntry*> entry = Authenticate(table, c);
    ASSERT_FALSE(entry) << c.username << ":" << c.secret;
    EXPECT_EQ(entry.error().code, ErrorCode::kUnauthenticated);
    EXPECT_EQ(entry.error().message, "invalid credentials");
  }
  AuthTable empty = MustParse("");
  EXPECT_FALSE(Authenticate(empty, {true, "", "bobs-token"}));
}

TEST(MayAccessTest, NoRulesAllowEverything) {
  EXPECT_TRUE(MayAccess(nullptr, "example.com/a"));
  AuthEntry no_rules;
  no_rules.name = "x";
  EXPECT_TRUE(MayAccess(&no_rules, "example.com/a"));
}

TEST(MayAccessTest, AllowListsAndDenyWins) {
  AuthEntry entry;
  entry.name = "alice";
  entry.allow = "example.com/*,corp.example";
  entry.deny = "corp.example/secret";
  EXPECT_TRUE(MayAccess(&entry, "example.com/a"));
  EXPECT_TRUE(MayAccess(&entry, "example.com/a/v2"));
  EXPECT_FALSE(MayAccess(&entry, "example.com"));  // "example.com/*" needs two elements
  EXPECT_TRUE(MayAccess(&entry, "corp.example/lib"));
  EXPECT_FALSE(MayAccess(&entry, "corp.example/secret"));
  EXPECT_FALSE(MayAccess(&entry, "corp.example/secret/v2"));
  EXPECT_TRUE(MayAccess(&entry, "corp.example/secretive"));  // whole path elements only
  EXPECT_FALSE(MayAccess(&entry, "golang.org/x/mod"));

  AuthEntry deny_only;
  deny_only.name = "bob";
  deny_only.deny = "corp.example";
  EXPECT_TRUE(MayAccess(&deny_only, "golang.org/x/mod"));
  EXPECT_FALSE(MayAccess(&deny_only, "corp.example/lib"));

  AuthEntry allow_nothing;
  allow_nothing.name = "metrics-reader";
  allow_nothing.allow = "";
  EXPECT_FALSE(MayAccess(&allow_nothing, "golang.org/x/mod"));
}

}  // namespace
}  // namespace modproxy::policy
