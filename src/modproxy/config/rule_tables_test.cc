#include "modproxy/config/rule_tables.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

namespace modproxy::config {
namespace {

using std::chrono::milliseconds;

Result<Config> LoadFile(const std::string& text, std::map<std::string, std::string> flags = {}) {
  std::string path = (std::filesystem::temp_directory_path() /
                      ("modproxy-rules-" + std::to_string(std::rand()) + ".toml"))
                         .string();
  std::ofstream(path) << text;
  flags["config"] = path;
  Result<Config> c =
      LoadConfig(flags, [](const std::string&) -> std::optional<std::string> { return {}; });
  std::filesystem::remove(path);
  return c;
}

TEST(RuleTablesTest, DirectModeSettingsHaveDefaults) {
  Result<Config> c = LoadFile("");
  ASSERT_TRUE(c.has_value()) << c.error().message;
  EXPECT_EQ(c->private_patterns, "");
  EXPECT_EQ(c->insecure, "");
  EXPECT_EQ(c->git_fresh_for, milliseconds(60000));
  EXPECT_EQ(c->git_max_repo_size, 1ull << 30);
  EXPECT_EQ(c->git_fetch_timeout, milliseconds(300000));
  EXPECT_FALSE(c->direct_private_networks);
  EXPECT_TRUE(c->routes.empty());
}

TEST(RuleTablesTest, ReadsRoutesRewritesAndCredentials) {
  Result<Config> c = LoadFile(R"(
private = "git.corp.example"
insecure = "*.lab.example"
git_max_repo_size = "2GiB"
direct_private_networks = true

[[route]]
pattern = "corp.example/*,git.corp.example"
upstream = "https://athens.corp.example|direct"
sumdb = false

[[route]]
pattern = "mirror.example"
upstream = "off"

[[rewrite]]
module = "corp.example/*"
url = "https://git.corp.example/scm/{path}.git"

[[credentials]]
host = "git.corp.example"
token = "t0ken"

[[credentials]]
host = "ssh.corp.example"
username = "git"
ssh_key = "/keys/id_ed25519"
)");
  ASSERT_TRUE(c.has_value()) << c.error().message;
  EXPECT_EQ(c->private_patterns, "git.corp.example");
  EXPECT_EQ(c->insecure, "*.lab.example");
  EXPECT_EQ(c->git_max_repo_size, 2ull << 30);
  EXPECT_TRUE(c->direct_private_networks);
  ASSERT_EQ(c->routes.size(), 2u);
  EXPECT_EQ(c->routes[0].patterns, "corp.example/*,git.corp.example");
  ASSERT_EQ(c->routes[0].upstreams.size(), 2u);
  EXPECT_TRUE(c->routes[0].upstreams[0].fall_back_on_error);
  EXPECT_EQ(c->routes[0].upstreams[1].kind, protocol::UpstreamKind::kDirect);
  EXPECT_FALSE(c->routes[0].check_sums);
  EXPECT_TRUE(c->routes[1].check_sums);
  ASSERT_EQ(c->rewrites.size(), 1u);
  EXPECT_EQ(c->rewrites[0].url, "https://git.corp.example/scm/{path}.git");
  ASSERT_EQ(c->credentials.size(), 2u);
  EXPECT_EQ(c->credentials[0].username, "git");  // a token alone: basic auth as "git"
  EXPECT_EQ(c->credentials[0].password, "t0ken");
  EXPECT_EQ(c->credentials[1].ssh_key, "/keys/id_ed25519");
  // Private paths and routes without sums join --nosumdb; the others do not.
  EXPECT_EQ(NoSumdbPatterns(*c), "git.corp.example,corp.example/*,git.corp.example");
}

TEST(RuleTablesTest, BadTablesStopStartUpNamingTheProblem) {
  struct Case {
    const char* text;
    const char* message;
  } cases[] = {
      {"[[route]]\nupstream = \"direct\"\n", "[[route]] #1: missing field \"pattern\""},
      {"[[route]]\npattern = \"a.example\"\nupstream = \"ftp://x\"\n", "invalid upstream"},
      {"[[route]]\npattern = \"a.example\"\nupstream = \"direct\"\nsumdb = \"no\"\n",
       "\"sumdb\" must be true or false"},
      {"[[route]]\npattern = \"a.example\"\nupstream = \"direct\"\nextra = 1\n",
       "unknown field \"extra\""},
      {"route = \"x\"\n", "must be written [[route]]"},
      {"[[rewrite]]\nmodule = \"a.example/*\"\nurl = \"git.a.example/x\"\n", "needs a scheme"},
      {"[[rewrite]]\nmodule = \"a.example,b.example\"\nurl = \"https://x\"\n", "no commas"},
      {"[[credentials]]\nhost = \"a.example\"\n", "needs \"password\", \"token\" or \"ssh_key\""},
      {"[[credentials]]\nhost = \"a.example\"\npassword = \"p\"\ntoken = \"t\"\n", "not both"},
  };
  for (const Case& c : cases) {
    Result<Config> config = LoadFile(c.text);
    ASSERT_FALSE(config.has_value()) << c.text;
    EXPECT_NE(config.error().message.find(c.message), std::string::npos) << config.error().message;
    // A secret never appears in a message.
    EXPECT_EQ(config.error().message.find("\"p\""), std::string::npos);
  }
  EXPECT_FALSE(LoadFile("", {{"git_fetch_timeout", "10ms"}}).has_value());
  EXPECT_FALSE(LoadFile("", {{"direct_private_networks", "yes"}}).has_value());
  EXPECT_FALSE(LoadFile("", {{"git_max_repo_size", "0"}}).has_value());
}

}  // namespace
}  // namespace modproxy::config
