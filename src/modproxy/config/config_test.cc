#include "modproxy/config/config.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

namespace modproxy::config {
namespace {

using std::chrono::milliseconds;

EnvLookup FakeEnv(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

std::string WriteConfig(const std::string& text) {
  std::string path = (std::filesystem::temp_directory_path() /
                      ("modproxy-config-" + std::to_string(std::rand()) + ".toml"))
                         .string();
  std::ofstream(path) << text;
  return path;
}

TEST(ConfigTest, DefaultsMatchTheDesign) {
  Result<Config> c = LoadConfig({}, FakeEnv({}));
  ASSERT_TRUE(c.has_value()) << c.error().message;
  EXPECT_EQ(c->listen_host, "127.0.0.1");
  EXPECT_EQ(c->listen_port, 8080);
  EXPECT_EQ(c->cache_dir, "./modproxy-cache");
  ASSERT_EQ(c->upstreams.size(), 2u);
  EXPECT_EQ(c->upstreams[0].url, "https://proxy.golang.org");
  EXPECT_EQ(c->upstreams[1].kind, protocol::UpstreamKind::kDirect);
  ASSERT_EQ(c->sumdbs.size(), 1u);
  EXPECT_EQ(c->sumdbs[0].name, "sum.golang.org");
  EXPECT_EQ(c->sumdbs[0].key, kSumGolangOrgKey);
  EXPECT_EQ(c->nosumdb, "");
  EXPECT_EQ(LoadConfig({{"nosumdb", "*.corp.example,corp.example/x"}}, FakeEnv({}))->nosumdb,
            "*.corp.example,corp.example/x");
}

TEST(ConfigTest, FlagBeatsEnvBeatsFileBeatsDefault) {
  std::string file = WriteConfig(
      "listen = \"127.0.0.1:1111\"\ncache_dir = \"/from/file\"\nlist_ttl = \"5s\"\n"
      "negative_ttl = 7\n");
  Result<Config> c = LoadConfig(
      {{"config", file}, {"listen", "127.0.0.1:3333"}},
      FakeEnv({{"MODPROXY_LISTEN", "127.0.0.1:2222"}, {"MODPROXY_CACHE_DIR", "/from/env"}}));
  ASSERT_TRUE(c.has_value()) << c.error().message;
  EXPECT_EQ(c->listen_port, 3333);                      // flag
  EXPECT_EQ(c->cache_dir, "/from/env");                 // env over file
  EXPECT_EQ(c->list_ttl, milliseconds(5000));           // file over default
  EXPECT_EQ(c->negative_ttl, milliseconds(7000));       // TOML integer = seconds
  EXPECT_EQ(c->upstream_timeout, milliseconds(30000));  // default
  std::filesystem::remove(file);
}

TEST(ConfigTest, ConfigFileComesFromEnvWhenNoFlag) {
  std::string file = WriteConfig("cache_dir = \"/x\"\n");
  Result<Config> c = LoadConfig({}, FakeEnv({{"MODPROXY_CONFIG", file}}));
  ASSERT_TRUE(c.has_value()) << c.error().message;
  EXPECT_EQ(c->cache_dir, "/x");
  std::filesystem::remove(file);
}

TEST(ConfigTest, UnknownConfigKeyIsNamed) {
  std::string file = WriteConfig("listen = \"127.0.0.1:1\"\nlisten_port = 9\n");
  Result<Config> c = LoadConfig({{"config", file}}, FakeEnv({}));
  ASSERT_FALSE(c.has_value());
  EXPECT_NE(c.error().message.find("unknown config key \"listen_port\""), std::string::npos);
  std::filesystem::remove(file);
}

TEST(ConfigTest, MissingOrBrokenConfigFileIsAnError) {
  EXPECT_FALSE(LoadConfig({{"config", "/nonexistent/modproxy.toml"}}, FakeEnv({})).has_value());
  std::string file = WriteConfig("listen = \n");
  Result<Config> c = LoadConfig({{"config", file}}, FakeEnv({}));
  ASSERT_FALSE(c.has_value());
  EXPECT_NE(c.error().message.find(file), std::string::npos);
  std::filesystem::remove(file);
}

TEST(ConfigTest, InvalidValuesNameTheValue) {
  struct Case {
    std::string key, value, expect;
  };
  for (const Case& bad : std::vector<Case>{
           {"listen", "nonsense", "invalid listen \"nonsense\""},
           {"listen", "127.0.0.1:70000", "invalid listen"},
           {"upstream", "ftp://x", "invalid upstream \"ftp://x\""},
           {"upstream", ",", "invalid upstream"},
           {"list_ttl", "5 parsecs", "invalid list_ttl"},
           {"negative_ttl", "-1s", "invalid negative_ttl"},
           {"upstream_timeout", "10ms", "invalid upstream_timeout"},
           {"threads", "many", "invalid threads"},
           {"max_zip_size", "1TiB", "invalid max_zip_size"},
           {"max_zip_size", "600MiB", "invalid max_zip_size"},
           {"memory_cache_size", "lots", "invalid memory_cache_size"},
           {"memory_cache_size", "65GiB", "invalid memory_cache_size"},
           {"fetch_workers", "0", "invalid fetch_workers"},
           {"log_level", "loud", "invalid log_level"},
           {"sumdb", "Bad_Name", "invalid sumdb"},
           {"sumdb", "sum.example.com+zz+key", "invalid sumdb"},
           {"sumdb", "sum.example.com ftp://x", "invalid sumdb"},
           {"sumdb", "sum.golang.org,sum.golang.org", "named twice"},
           {"sumdb", "sum.golang.org,off", "cannot be combined"},
           {"sumdb", "sum.golang.org,,x.example", "empty database entry"},
           {"sumdb", "sum.example.com,sum.golang.org", "needs its verifier key"},
           {"sumdb", "sum.example.com+4a1b2c3d+AbCdEf0123456789", "invalid sumdb"},
       }) {
    Result<Config> c = LoadConfig({{bad.key, bad.value}}, FakeEnv({}));
    ASSERT_FALSE(c.has_value()) << bad.key << "=" << bad.value;
    EXPECT_NE(c.error().message.find(bad.expect), std::string::npos) << c.error().message;
    EXPECT_EQ(c.error().message.find('\n'), std::string::npos);
  }
}

TEST(ConfigTest, ParsesGoDurations) {
  EXPECT_EQ(*ParseDuration("500ms"), milliseconds(500));
  EXPECT_EQ(*ParseDuration("1.5s"), milliseconds(1500));
  EXPECT_EQ(*ParseDuration("2m"), milliseconds(120000));
  EXPECT_EQ(*ParseDuration("1h30m"), milliseconds(5400000));
  EXPECT_EQ(*ParseDuration("45"), milliseconds(45000));
  EXPECT_EQ(*ParseDuration("0"), milliseconds(0));
  EXPECT_FALSE(ParseDuration("").has_value());
  EXPECT_FALSE(ParseDuration("s").has_value());
  EXPECT_FALSE(ParseDuration("3d").has_value());
}

TEST(ConfigTest, ParsesSizes) {
  EXPECT_EQ(*ParseSize("1048576"), 1048576u);
  EXPECT_EQ(*ParseSize("512KiB"), 512u * 1024);
  EXPECT_EQ(*ParseSize("100MiB"), 100u << 20);
  EXPECT_EQ(*ParseSize("2MB"), 2000000u);
  EXPECT_FALSE(ParseSize("MiB").has_value());
  EXPECT_FALSE(ParseSize("5 MiB").has_value());
  EXPECT_FALSE(ParseSize("99999999999999999999").has_value());
  Result<Config> c = LoadConfig({{"max_zip_size", "1MiB"}}, FakeEnv({}));
  ASSERT_TRUE(c.has_value()) << c.error().message;
  EXPECT_EQ(c->max_zip_size, 1u << 20);
  EXPECT_EQ(LoadConfig({}, FakeEnv({}))->max_zip_size, 500u << 20);
  EXPECT_EQ(LoadConfig({}, FakeEnv({}))->memory_cache_size, 64u << 20);
  EXPECT_EQ(LoadConfig({{"memory_cache_size", "0"}}, FakeEnv({}))->memory_cache_size, 0u);
  EXPECT_EQ(LoadConfig({{"memory_cache_size", "1GiB"}}, FakeEnv({}))->memory_cache_size, 1u << 30);
}

TEST(ConfigTest, ParsesSeveralDatabases) {
  Result<std::vector<SumdbSetting>> list = ParseSumdbList(
      "sum.golang.org, sum.example.com+4a1b2c3d+AbCdEf0123456789 http://127.0.0.1:9/db");
  ASSERT_TRUE(list.has_value()) << list.error().message;
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].name, "sum.golang.org");
  EXPECT_EQ((*list)[0].url, "");
  EXPECT_EQ((*list)[1].name, "sum.example.com");
  EXPECT_EQ((*list)[1].url, "http://127.0.0.1:9/db");
  EXPECT_TRUE(ParseSumdbList("off")->empty());
}

TEST(ConfigTest, ParsesGosumdbSyntax) {
  EXPECT_TRUE(ParseSumdb("off")->off);
  Result<SumdbSetting> name_only = ParseSumdb("sum.golang.org");
  EXPECT_EQ(name_only->name, "sum.golang.org");
  EXPECT_EQ(name_only->key, kSumGolangOrgKey);
  EXPECT_EQ(name_only->url, "");
  Result<SumdbSetting> mirror = ParseSumdb("sum.golang.google.cn");
  EXPECT_EQ(mirror->name, "sum.golang.org");
  EXPECT_EQ(mirror->key, kSumGolangOrgKey);
  EXPECT_EQ(mirror->url, "https://sum.golang.google.cn");
  Result<SumdbSetting> full =
      ParseSumdb("sum.example.com+4a1b2c3d+AbCdEf0123456789 http://127.0.0.1:9999/");
  ASSERT_TRUE(full.has_value()) << full.error().message;
  EXPECT_EQ(full->name, "sum.example.com");
  EXPECT_EQ(full->key, "sum.example.com+4a1b2c3d+AbCdEf0123456789");
  EXPECT_EQ(full->url, "http://127.0.0.1:9999");
}

TEST(ConfigTest, FlagAndEnvNamesFollowTheKey) {
  EXPECT_EQ(FlagName("cache_dir"), "--cache-dir");
  EXPECT_EQ(EnvName("cache_dir"), "MODPROXY_CACHE_DIR");
}

}  // namespace
}  // namespace modproxy::config
