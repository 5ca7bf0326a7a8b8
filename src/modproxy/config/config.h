#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "modproxy/core/result.h"
#include "modproxy/protocol/goproxy_list.h"
#include "modproxy/protocol/zip_limits.h"

// `modproxy serve` configuration: the flags, TOML keys and MODPROXY_* variables
// of design.md, with precedence flag > env > config file > default.
namespace modproxy::config {

struct SumdbSetting {
  bool off = false;
  std::string name;  // "sum.golang.org"
  std::string key;   // verifier key, "" when only a name was given
  std::string url;   // "" when not given
};

// A [[route]] of the config file: module paths matching `patterns` (GOPRIVATE
// syntax) are fetched through `upstreams` instead of --upstream, and checked
// against the checksum database only when `check_sums`.
struct RouteRule {
  std::string patterns;
  std::vector<protocol::UpstreamEntry> upstreams;
  bool check_sums = true;
};

// A [[rewrite]]: direct mode fetches module paths matching `module` (one glob,
// GOPRIVATE syntax; the elements it matches are the repository root) from
// `url`, where {root} is that root and {path} the root without its host.
struct RewriteRule {
  std::string module;
  std::string url;
};

// A [[credentials]] entry for direct mode's git and discovery traffic to
// `host`: HTTPS basic auth (a token is a password; the username defaults to
// "git"), or an SSH key. Never logged.
struct HostCredentials {
  std::string host;
  std::string username;
  std::string password;
  std::string ssh_key;
  std::string ssh_public_key;
  std::string ssh_passphrase;
};

// The budgets of one class of clients (issue 6): rates per second, 0 for
// unlimited; a burst of 0 means max(1, ceil(rate)).
struct LimitSetting {
  double rate = 0;
  double burst = 0;
  double fetch_rate = 0;
  double fetch_burst = 0;
  int max_fetches = 0;  // concurrent upstream fetches; 0: unlimited
};

enum class ClientAuth { kOff, kOptional, kRequire };

// TLS, identities, limits and connection hardening (issue 6).
struct SecuritySettings {
  std::string tls_cert;
  std::string tls_key;
  std::string tls_client_ca;
  ClientAuth client_auth = ClientAuth::kOff;
  std::string auth_file;
  bool allow_anonymous = false;  // with credentials required, serve requests without them
  bool metrics_auth = false;     // /metrics only for identities with metrics = true
  LimitSetting anonymous;        // --rate-limit, --rate-burst, --fetch-rate-*, --max-fetches-*
  LimitSetting authenticated;    // [limits.authenticated]
  std::map<std::string, LimitSetting> identities;  // [[limits.identity]]
  std::string trusted_proxies;                     // CIDRs whose X-Forwarded-For counts
  int max_connections_per_ip = 0;                  // 0: unlimited
  std::chrono::milliseconds header_timeout{10000};
  std::chrono::milliseconds idle_timeout{60000};
  std::uint64_t max_header_size = 16 * 1024;
  std::uint64_t max_request_line = 8 * 1024;

  bool tls() const { return !tls_cert.empty(); }
};

struct Config {
  std::string listen_host = "127.0.0.1";
  std::uint16_t listen_port = 8080;
  std::string cache_dir = "./modproxy-cache";
  std::vector<protocol::UpstreamEntry> upstreams;
  // Checksum databases to proxy; empty for "off". Downloads are verified
  // against the first, which always has a verifier key.
  std::vector<SumdbSetting> sumdbs;
  // GONOSUMDB-syntax globs: matching module paths are never checked against,
  // nor sent to, a checksum database.
  std::string nosumdb;
  // GOPRIVATE: matching paths are fetched direct only and never sent to a
  // checksum database (unless a [[route]] says where they go).
  std::string private_patterns;
  // GOINSECURE: direct mode may use plain http for matching paths.
  std::string insecure;
  std::vector<RouteRule> routes;
  std::vector<RewriteRule> rewrites;
  std::vector<HostCredentials> credentials;
  std::string netrc;  // "" = $NETRC, else ~/.netrc, as the go command
  std::chrono::milliseconds git_fresh_for{60000};
  std::uint64_t git_max_repo_size = 1ull << 30;
  std::chrono::milliseconds git_fetch_timeout{300000};
  // Direct fetches of paths outside --private may reach loopback, link-local
  // and private addresses.
  bool direct_private_networks = false;
  std::chrono::milliseconds list_ttl{60000};
  std::chrono::milliseconds negative_ttl{30000};
  std::chrono::milliseconds upstream_timeout{30000};
  std::uint64_t max_zip_size = protocol::kMaxZipBytes;  // the go command's own limit
  std::uint64_t memory_cache_size = 64ull << 20;        // hot small files; 0: off
  int threads = 0;                                      // 0: one per core
  int fetch_workers = 16;
  std::string log_level = "info";
  SecuritySettings security;
};

// Every path pattern exempt from the checksum database: --nosumdb, --private
// and the routes with sumdb = false, joined (GONOSUMDB syntax).
std::string NoSumdbPatterns(const Config& config);

// One setting: its TOML key; the flag is "--" + key with '_' -> '-', the
// environment variable "MODPROXY_" + upper-case key.
struct SettingSpec {
  std::string key;
  std::string help;
  std::string default_value;
};

// Every setting, in --help order. "config" itself is not a TOML key.
const std::vector<SettingSpec>& Settings();

std::string FlagName(const std::string& key);  // "list_ttl" -> "--list-ttl"
std::string EnvName(const std::string& key);   // "list_ttl" -> "MODPROXY_LIST_TTL"

using EnvLookup = std::function<std::optional<std::string>(const std::string& name)>;

// Builds the configuration from the flags the user gave (key -> value, only
// those present on the command line), the environment and the config file
// named by the "config" flag or MODPROXY_CONFIG. kInvalidArgument with one line
// naming the bad value, key, or file on any problem: unknown config keys, bad
// durations, numbers, listen addresses, upstream lists or sumdb values.
Result<Config> LoadConfig(const std::map<std::string, std::string>& flags, const EnvLookup& env);

// Go-style durations: "300ms", "1.5s", "2m", "1h30m"; a bare number is seconds.
Result<std::chrono::milliseconds> ParseDuration(std::string_view text);

// Byte sizes: "1048576", "512KiB", "100MiB", "1GiB" (also kB, MB, GB: powers of 1000).
Result<std::uint64_t> ParseSize(std::string_view text);

// GOSUMDB syntax: "off", "name", "name+key", "name+key url". As with the go
// command, "sum.golang.org" alone gets its published key, and
// "sum.golang.google.cn" means sum.golang.org reached at that host.
Result<SumdbSetting> ParseSumdb(std::string_view text);

// The published verifier key of sum.golang.org (cmd/go's knownGOSUMDB).
inline constexpr const char* kSumGolangOrgKey =
    "sum.golang.org+033de0ae+Ac4zctda0e5eza+HJyk9SxEdh+s3Ux18htTTAD8OuAn8";

// One or more GOSUMDB values separated by ',' (a GOSUMDB value never holds
// one), each database name at most once; "off" alone gives an empty list.
Result<std::vector<SumdbSetting>> ParseSumdbList(std::string_view text);

}  // namespace modproxy::config
