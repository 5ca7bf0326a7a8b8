#include "modproxy/config/config.h"

#include <cctype>
#include <charconv>
#include <set>

#include <toml++/toml.h>

#include "modproxy/config/rule_tables.h"
#include "modproxy/config/security_settings.h"
#include "modproxy/tlog/note.h"

namespace modproxy::config {
namespace {

Error Invalid(std::string message) {
  return MakeError(ErrorCode::kInvalidArgument, std::move(message));
}

Result<int> ParsePositiveInt(const std::string& key, const std::string& text, int max) {
  int value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value < 0 || value > max) {
    return Invalid("invalid " + key + " \"" + text + "\": want a number from 0 to " +
                   std::to_string(max));
  }
  return value;
}

Result<void> ParseListen(const std::string& text, Config& config) {
  std::size_t colon = text.rfind(':');
  if (colon == std::string::npos) {
    return Invalid("invalid listen \"" + text + "\": want HOST:PORT, e.g. 127.0.0.1:8080");
  }
  std::string host = text.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  Result<int> port = ParsePositiveInt("listen port", text.substr(colon + 1), 65535);
  if (!port) return Invalid("invalid listen \"" + text + "\": bad port");
  config.listen_host = host.empty() ? "0.0.0.0" : host;
  config.listen_port = static_cast<std::uint16_t>(*port);
  return {};
}

// Applies one setting's final text to the typed configuration.
Result<void> Apply(const std::string& key, const std::string& value, Config& config) {
  auto duration = [&](std::chrono::milliseconds& out) -> Result<void> {
    Result<std::chrono::milliseconds> d = ParseDuration(value);
    if (!d) return Invalid("invalid " + key + " \"" + value + "\": " + d.error().message);
    out = *d;
    return {};
  };
  if (key == "listen") return ParseListen(value, config);
  if (key == "cache_dir") {
    if (value.empty()) return Invalid("invalid cache_dir: empty");
    config.cache_dir = value;
    return {};
  }
  if (key == "upstream") {
    Result<std::vector<protocol::UpstreamEntry>> list = protocol::ParseGoproxyList(value);
    if (!list) return Invalid("invalid upstream \"" + value + "\": " + list.error().message);
    config.upstreams = std::move(*list);
    return {};
  }
  if (key == "sumdb") {
    Result<std::vector<SumdbSetting>> sumdbs = ParseSumdbList(value);
    if (!sumdbs) return Invalid("invalid sumdb \"" + value + "\": " + sumdbs.error().message);
    for (const SumdbSetting& db : *sumdbs) {
      if (db.key.empty()) continue;
      if (Result<tlog::Verifier> verifier = tlog::ParseVerifierKey(db.key); !verifier) {
        return Invalid("invalid sumdb \"" + value + "\": " + verifier.error().message);
      }
    }
    if (!sumdbs->empty() && sumdbs->front().key.empty()) {
      return Invalid("invalid sumdb \"" + value + "\": downloads are verified against " +
                     sumdbs->front().name +
                     ", which needs its verifier key: give it as name+hash+key");
    }
    config.sumdbs = std::move(*sumdbs);
    return {};
  }
  if (key == "nosumdb") {
    config.nosumdb = value;
    return {};
  }
  if (key == "private") {
    config.private_patterns = value;
    return {};
  }
  if (key == "insecure") {
    config.insecure = value;
    return {};
  }
  if (key == "netrc") {
    config.netrc = value;
    return {};
  }
  if (key == "git_fresh_for") return duration(config.git_fresh_for);
  if (key == "git_fetch_timeout") {
    if (Result<void> r = duration(config.git_fetch_timeout); !r) return r;
    if (config.git_fetch_timeout.count() < 1000) {
      return Invalid("invalid git_fetch_timeout \"" + value + "\": must be at least 1s");
    }
    return {};
  }
  if (key == "git_max_repo_size") {
    Result<std::uint64_t> size = ParseSize(value);
    if (!size || *size == 0) {
      return Invalid("invalid git_max_repo_size \"" + value + "\": want a size, e.g. 2GiB");
    }
    config.git_max_repo_size = *size;
    return {};
  }
  if (key == "direct_private_networks") {
    if (value != "true" && value != "false") {
      return Invalid("invalid direct_private_networks \"" + value + "\": want true or false");
    }
    config.direct_private_networks = value == "true";
    return {};
  }
  if (key == "list_ttl") return duration(config.list_ttl);
  if (key == "negative_ttl") return duration(config.negative_ttl);
  if (key == "upstream_timeout") {
    if (Result<void> r = duration(config.upstream_timeout); !r) return r;
    if (config.upstream_timeout.count() < 1000) {
      return Invalid("invalid upstream_timeout \"" + value + "\": must be at least 1s");
    }
    return {};
  }
  if (key == "max_zip_size") {
    Result<std::uint64_t> size = ParseSize(value);
    if (!size || *size == 0 || *size > protocol::kMaxZipBytes) {
      return Invalid("invalid max_zip_size \"" + value +
                     "\": want a size from 1 byte to 500MiB, e.g. 100MiB");
    }
    config.max_zip_size = *size;
    return {};
  }
  if (key == "memory_cache_size") {
    Result<std::uint64_t> size = ParseSize(value);
    if (!size || *size > (std::uint64_t{64} << 30)) {
      return Invalid("invalid memory_cache_size \"" + value +
                     "\": want a size up to 64GiB, e.g. 256MiB, or 0 to turn it off");
    }
    config.memory_cache_size = *size;
    return {};
  }
  if (key == "threads" || key == "fetch_workers") {
    Result<int> n = ParsePositiveInt(key, value, 1024);
    if (!n) return n.error();
    if (key == "fetch_workers" && *n == 0) return Invalid("invalid fetch_workers \"0\"");
    (key == "threads" ? config.threads : config.fetch_workers) = *n;
    return {};
  }
  if (std::optional<Result<void>> applied = ApplySecuritySetting(key, value, config)) {
    return *applied;
  }
  if (key == "log_level") {
    static const std::set<std::string> kLevels = {"debug", "info", "warn", "error"};
    if (!kLevels.count(value)) {
      return Invalid("invalid log_level \"" + value + "\": want debug, info, warn or error");
    }
    config.log_level = value;
    return {};
  }
  return Invalid("unknown setting \"" + key + "\"");
}

// TOML values of any scalar type become the same text a flag would carry.
Result<std::string> TomlScalarText(const std::string& key, const toml::node& node) {
  if (auto s = node.value<std::string>(); s && node.is_string()) return *s;
  if (node.is_integer()) return std::to_string(*node.value<std::int64_t>());
  if (node.is_floating_point()) return std::to_string(*node.value<double>());
  if (node.is_boolean()) return std::string(*node.value<bool>() ? "true" : "false");
  return Invalid("invalid value for config key \"" + key + "\": want a string or number");
}

struct ConfigFile {
  std::map<std::string, std::string> values;  // the scalar settings
  toml::table table;                          // for the rule tables
};

Result<ConfigFile> ReadConfigFile(const std::string& path) {
  std::map<std::string, std::string> values;
  toml::table table;
  // Debian builds toml++ with exceptions; start-up is the one place we catch them.
  try {
    table = toml::parse_file(path);
  } catch (const toml::parse_error& err) {
    return Invalid("config file " + path + ":" + std::to_string(err.source().begin.line) + ": " +
                   std::string(err.description()));
  }
  std::set<std::string> known;
  for (const SettingSpec& spec : Settings()) known.insert(spec.key);
  for (const auto& [k, node] : table) {
    std::string key(k.str());
    if (IsRuleTableKey(key) || IsLimitTableKey(key)) continue;
    if (!known.count(key)) return Invalid("unknown config key \"" + key + "\" in " + path);
    Result<std::string> text = TomlScalarText(key, node);
    if (!text) return text.error();
    values[key] = *text;
  }
  return ConfigFile{std::move(values), std::move(table)};
}

std::vector<SettingSpec> GeneralSettings();

}  // namespace

const std::vector<SettingSpec>& Settings() {
  static const std::vector<SettingSpec> kSettings = [] {
    std::vector<SettingSpec> all = GeneralSettings();
    const std::vector<SettingSpec>& security = SecuritySettingSpecs();
    all.insert(all.end(), security.begin(), security.end());
    return all;
  }();
  return kSettings;
}

namespace {

std::vector<SettingSpec> GeneralSettings() {
  return {
      {"listen", "address to serve on (HOST:PORT; port 0 picks a free one)", "127.0.0.1:8080"},
      {"cache_dir", "cache directory, laid out as a GOPROXY file tree", "./modproxy-cache"},
      {"upstream", "upstream chain in GOPROXY syntax", "https://proxy.golang.org,direct"},
      {"sumdb",
       "checksum databases to proxy (GOSUMDB syntax: off, name, name+key, name+key URL; "
       "several separated by commas)",
       "sum.golang.org"},
      {"nosumdb",
       "module path patterns never checked against nor sent to a checksum database (GONOSUMDB "
       "syntax: comma-separated globs)",
       ""},
      {"private",
       "module path patterns fetched direct only and never sent to a proxy or checksum database "
       "(GOPRIVATE syntax)",
       ""},
      {"insecure", "module path patterns direct mode may fetch over plain http (GOINSECURE syntax)",
       ""},
      {"netrc", "netrc file with credentials for direct mode (default: $NETRC, else ~/.netrc)", ""},
      {"git_fresh_for", "how long a git mirror is used before it is fetched again", "60s"},
      {"git_max_repo_size", "largest repository direct mode fetches", "1GiB"},
      {"git_fetch_timeout", "longest a git fetch may take", "5m"},
      {"direct_private_networks",
       "let direct mode reach loopback, link-local and private addresses for paths outside "
       "--private (true/false)",
       "false"},
      {"list_ttl", "how long @v/list, @latest and sumdb latest are served before a refresh", "60s"},
      {"negative_ttl", "how long an upstream 404/410 is remembered", "30s"},
      {"upstream_timeout", "upstream connect and stall timeout (total for small files)", "30s"},
      {"max_zip_size", "largest module zip fetched from an upstream (at most 500MiB)", "500MiB"},
      {"memory_cache_size",
       "memory for small cached files up to 64KiB (.info, .mod, lists, small zips) kept hot; 0 "
       "turns it off",
       "64MiB"},
      {"threads", "event-loop threads (0: one per core)", "0"},
      {"fetch_workers", "threads running upstream fetches", "16"},
      {"log_level", "debug, info, warn or error", "info"},
  };
}

}  // namespace

std::string FlagName(const std::string& key) {
  std::string flag = "--" + key;
  for (char& c : flag) c = c == '_' ? '-' : c;
  return flag;
}

std::string EnvName(const std::string& key) {
  std::string env = "MODPROXY_" + key;
  for (char& c : env) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return env;
}

Result<Config> LoadConfig(const std::map<std::string, std::string>& flags, const EnvLookup& env) {
  std::map<std::string, std::string> file_values;
  std::optional<ConfigFile> file;
  std::optional<std::string> config_path;
  if (auto it = flags.find("config"); it != flags.end()) {
    config_path = it->second;
  } else {
    config_path = env("MODPROXY_CONFIG");
  }
  if (config_path) {
    Result<ConfigFile> read = ReadConfigFile(*config_path);
    if (!read) return read.error();
    file = std::move(*read);
    file_values = file->values;
  }
  Config config;
  for (const SettingSpec& spec : Settings()) {
    std::string value = spec.default_value;
    if (auto it = file_values.find(spec.key); it != file_values.end()) value = it->second;
    if (std::optional<std::string> e = env(EnvName(spec.key))) value = *e;
    if (auto it = flags.find(spec.key); it != flags.end()) value = it->second;
    if (Result<void> r = Apply(spec.key, value, config); !r) return r.error();
  }
  for (const auto& [key, value] : flags) {
    if (key != "config" && std::none_of(Settings().begin(), Settings().end(),
                                        [&](const SettingSpec& s) { return s.key == key; })) {
      return Invalid("unknown flag " + FlagName(key));
    }
  }
  if (file) {
    if (Result<void> r = ApplyRuleTables(file->table, *config_path, config); !r) return r.error();
  }
  if (Result<void> r =
          ApplyLimitTables(file ? file->table : toml::table(), config_path.value_or(""), config);
      !r) {
    return r.error();
  }
  if (Result<void> r = CheckSecuritySettings(config); !r) return r.error();
  return config;
}

std::string NoSumdbPatterns(const Config& config) {
  std::string joined;
  auto add = [&joined](const std::string& patterns) {
    if (patterns.empty()) return;
    if (!joined.empty()) joined += ',';
    joined += patterns;
  };
  add(config.nosumdb);
  add(config.private_patterns);
  for (const RouteRule& route : config.routes) {
    if (!route.check_sums) add(route.patterns);
  }
  return joined;
}

Result<std::chrono::milliseconds> ParseDuration(std::string_view text) {
  if (text.empty()) return Invalid("empty duration");
  double total_ms = 0;
  std::string_view rest = text;
  bool bare_number = text.find_first_not_of("0123456789.") == std::string_view::npos;
  while (!rest.empty()) {
    std::size_t digits = rest.find_first_not_of("0123456789.");
    if (digits == 0) return Invalid("want a duration like 500ms, 30s, 5m or 1h");
    double number = 0;
    auto [end, ec] = std::from_chars(rest.data(), rest.data() + digits, number);
    if (ec != std::errc() || end != rest.data() + std::min(digits, rest.size())) {
      return Invalid("want a duration like 500ms, 30s, 5m or 1h");
    }
    rest.remove_prefix(std::min(digits, rest.size()));
    if (bare_number) {
      total_ms += number * 1000;
      break;
    }
    std::size_t unit_len = rest.find_first_of("0123456789.");
    std::string_view unit = rest.substr(0, unit_len);
    rest.remove_prefix(std::min(unit_len, rest.size()));
    if (unit == "ms") {
      total_ms += number;
    } else if (unit == "s") {
      total_ms += number * 1000;
    } else if (unit == "m") {
      total_ms += number * 60000;
    } else if (unit == "h") {
      total_ms += number * 3600000;
    } else {
      return Invalid("unknown unit \"" + std::string(unit) + "\" (use ms, s, m or h)");
    }
  }
  if (total_ms > 1e12) return Invalid("duration too long");
  return std::chrono::milliseconds(static_cast<std::int64_t>(total_ms));
}

Result<std::uint64_t> ParseSize(std::string_view text) {
  std::size_t digits = text.find_first_not_of("0123456789");
  if (digits == 0 || text.empty()) return Invalid("want a size like 100MiB");
  std::uint64_t number = 0;
  auto [end, ec] =
      std::from_chars(text.data(), text.data() + std::min(digits, text.size()), number);
  if (ec != std::errc()) return Invalid("size out of range");
  std::string_view unit = digits == std::string_view::npos ? "" : text.substr(digits);
  static const std::pair<std::string_view, std::uint64_t> kUnits[] = {
      {"", 1},      {"B", 1},     {"KiB", 1 << 10}, {"MiB", 1 << 20},  {"GiB", 1 << 30},
      {"kB", 1000}, {"KB", 1000}, {"MB", 1000000},  {"GB", 1000000000}};
  for (const auto& [name, factor] : kUnits) {
    if (unit != name) continue;
    if (number > UINT64_MAX / factor) return Invalid("size out of range");
    return number * factor;
  }
  return Invalid("unknown size unit \"" + std::string(unit) + "\" (use B, KiB, MiB or GiB)");
}

Result<std::vector<SumdbSetting>> ParseSumdbList(std::string_view text) {
  std::vector<SumdbSetting> list;
  if (text == "off") return list;
  std::set<std::string> names;
  std::size_t start = 0;
  for (;;) {
    std::size_t comma = text.find(',', start);
    std::string_view item =
        text.substr(start, comma == std::string_view::npos ? comma : comma - start);
    std::size_t first = item.find_first_not_of(" \t");
    std::size_t last = item.find_last_not_of(" \t");
    item = first == std::string_view::npos ? "" : item.substr(first, last - first + 1);
    if (item.empty()) return Invalid("empty database entry");
    if (item == "off") return Invalid("\"off\" cannot be combined with databases");
    Result<SumdbSetting> setting = ParseSumdb(item);
    if (!setting) return setting.error();
    if (!names.insert(setting->name).second) {
      return Invalid("database " + setting->name + " named twice");
    }
    list.push_back(std::move(*setting));
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return list;
}

Result<SumdbSetting> ParseSumdb(std::string_view text) {
  SumdbSetting setting;
  std::string value(text);
  if (value == "off") {
    setting.off = true;
    return setting;
  }
  std::size_t space = value.find_first_of(" \t");
  std::string name_key = value.substr(0, space);
  if (space != std::string::npos) {
    std::string url = value.substr(value.find_first_not_of(" \t", space));
    if (url.rfind("https://", 0) != 0 && url.rfind("http://", 0) != 0) {
      return Invalid("database URL must start with http:// or https://");
    }
    if (url.find_first_of(" \t") != std::string::npos) return Invalid("too many fields");
    while (!url.empty() && url.back() == '/') url.pop_back();
    setting.url = url;
  }
  // cmd/go's known databases: the published key, and the mirror in China.
  if (name_key == "sum.golang.google.cn") {
    name_key = "sum.golang.org";
    if (setting.url.empty()) setting.url = "https://sum.golang.google.cn";
  }
  if (name_key == "sum.golang.org") name_key = kSumGolangOrgKey;
  std::size_t plus = name_key.find('+');
  setting.name = name_key.substr(0, plus);
  if (plus != std::string::npos) {
    setting.key = name_key;
    // A verifier key is name+hash+key: eight hex digits, then base64.
    std::string rest = name_key.substr(plus + 1);
    std::size_t second = rest.find('+');
    if (second != 8 || rest.find_first_not_of("0123456789abcdef") != 8 || rest.size() <= 9) {
      return Invalid("malformed verifier key (want name+hash+key)");
    }
  }
  if (setting.name.empty() || setting.name.find_first_not_of(
                                  "abcdefghijklmnopqrstuvwxyz0123456789.-") != std::string::npos) {
    return Invalid("invalid database name \"" + setting.name + "\"");
  }
  return setting;
}

}  // namespace modproxy::config
