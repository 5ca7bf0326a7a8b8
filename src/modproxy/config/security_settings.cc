#include "modproxy/config/security_settings.h"

#include <charconv>
#include <cmath>
#include <set>

namespace modproxy::config {
namespace {

Error Invalid(std::string message) {
  return MakeError(ErrorCode::kInvalidArgument, std::move(message));
}

// Rates and bursts: a finite number >= 0 (fractions allowed: 0.5 is one
// request every two seconds).
Result<double> ParseRate(const std::string& key, const std::string& text) {
  double value = -1;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || !std::isfinite(value) || value < 0 ||
      value > 1e9) {
    return Invalid("invalid " + key + " \"" + text + "\": want a number >= 0, e.g. 10 or 0.5");
  }
  return value;
}

Result<int> ParseCount(const std::string& key, const std::string& text) {
  int value = -1;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value < 0 || value > 1000000) {
    return Invalid("invalid " + key + " \"" + text + "\": want a number from 0 to 1000000");
  }
  return value;
}

Result<bool> ParseBool(const std::string& key, const std::string& text) {
  if (text != "true" && text != "false") {
    return Invalid("invalid " + key + " \"" + text + "\": want true or false");
  }
  return text == "true";
}

template <typename T>
Result<void> Store(Result<T> parsed, T& out) {
  if (!parsed) return parsed.error();
  out = *parsed;
  return {};
}

// A number field of a [limits] table.
Result<double> TableNumber(const toml::table& table, const std::string& where,
                           const std::string& field) {
  const toml::node* node = table.get(field);
  if (node == nullptr) return 0.0;
  std::optional<double> value = node->value<double>();
  if (!value || !(node->is_integer() || node->is_floating_point()) || !std::isfinite(*value) ||
      *value < 0 || *value > 1e9) {
    return Invalid(where + ": \"" + field + "\" must be a number >= 0");
  }
  return *value;
}

Result<LimitSetting> ReadLimitTable(const toml::table& table, const std::string& where,
                                    bool named) {
  static const std::set<std::string> kFields = {"rate", "burst", "fetch_rate", "fetch_burst",
                                                "max_fetches"};
  for (const auto& [k, node] : table) {
    const std::string field(k.str());
    if (!kFields.count(field) && !(named && field == "name")) {
      return Invalid(where + ": unknown field \"" + field + "\"");
    }
  }
  LimitSetting limits;
  for (auto [field, out] : {std::pair{"rate", &limits.rate},
                            {"burst", &limits.burst},
                            {"fetch_rate", &limits.fetch_rate},
                            {"fetch_burst", &limits.fetch_burst}}) {
    Result<double> v = TableNumber(table, where, field);
    if (!v) return v.error();
    *out = *v;
  }
  Result<double> max_fetches = TableNumber(table, where, "max_fetches");
  if (!max_fetches) return max_fetches.error();
  if (*max_fetches != std::floor(*max_fetches) || *max_fetches > 1000000) {
    return Invalid(where + ": \"max_fetches\" must be a whole number");
  }
  limits.max_fetches = static_cast<int>(*max_fetches);
  return limits;
}

}  // namespace

const std::vector<SettingSpec>& SecuritySettingSpecs() {
  static const std::vector<SettingSpec> kSpecs = {
      {"tls_cert", "serve HTTPS with this PEM certificate (chain) file; reloaded on SIGHUP", ""},
      {"tls_key", "the PEM private key of --tls-cert", ""},
      {"tls_client_ca", "PEM bundle of the CAs that sign client certificates (mutual TLS)", ""},
      {"tls_client_auth",
       "client certificates: off, optional (verified ones identify the client) or require", "off"},
      {"auth_file",
       "TOML file of identities with hashed tokens and allowed module paths; reloaded on SIGHUP",
       ""},
      {"allow_anonymous",
       "serve requests without credentials when --auth-file or client certificates are in use "
       "(true/false)",
       "false"},
      {"metrics_auth", "/metrics only for identities with metrics = true (true/false)", "false"},
      {"rate_limit", "requests per second for an anonymous client (0: off)", "0"},
      {"rate_burst", "bucket size for an anonymous client (0: the rate, at least 1)", "0"},
      {"fetch_rate_limit",
       "upstream fetches (cache misses) per second for an anonymous client (0: off)", "0"},
      {"fetch_rate_burst", "fetch bucket size for an anonymous client (0: the rate, at least 1)",
       "0"},
      {"max_fetches_per_client",
       "concurrent upstream fetches per client, unless [limits] says otherwise (0: off)", "0"},
      {"trusted_proxies",
       "comma-separated IPs or CIDRs of reverse proxies whose X-Forwarded-For is believed", ""},
      {"max_connections_per_ip",
       "open connections per client IP (0: unlimited; behind a load balancer every connection "
       "has its address)",
       "0"},
      {"header_timeout", "longest a TLS handshake or a request head may take to arrive", "10s"},
      {"idle_timeout", "longest a kept-alive connection may wait for its next request", "60s"},
      {"max_header_size",
       "largest request head (request line and headers); larger: 400, then close", "16KiB"},
      {"max_request_line", "longest request target; longer: 400, then close", "8KiB"},
  };
  return kSpecs;
}

std::optional<Result<void>> ApplySecuritySetting(const std::string& key, const std::string& value,
                                                 Config& config) {
  SecuritySettings& s = config.security;
  if (key == "tls_cert") return Store(Result<std::string>(value), s.tls_cert);
  if (key == "tls_key") return Store(Result<std::string>(value), s.tls_key);
  if (key == "tls_client_ca") return Store(Result<std::string>(value), s.tls_client_ca);
  if (key == "auth_file") return Store(Result<std::string>(value), s.auth_file);
  if (key == "trusted_proxies") return Store(Result<std::string>(value), s.trusted_proxies);
  if (key == "tls_client_auth") {
    if (value == "off") {
      s.client_auth = ClientAuth::kOff;
    } else if (value == "optional") {
      s.client_auth = ClientAuth::kOptional;
    } else if (value == "require") {
      s.client_auth = ClientAuth::kRequire;
    } else {
      return Invalid("invalid tls_client_auth \"" + value + "\": want off, optional or require");
    }
    return Result<void>();
  }
  if (key == "allow_anonymous") return Store(ParseBool(key, value), s.allow_anonymous);
  if (key == "metrics_auth") return Store(ParseBool(key, value), s.metrics_auth);
  if (key == "rate_limit") return Store(ParseRate(key, value), s.anonymous.rate);
  if (key == "rate_burst") return Store(ParseRate(key, value), s.anonymous.burst);
  if (key == "fetch_rate_limit") return Store(ParseRate(key, value), s.anonymous.fetch_rate);
  if (key == "fetch_rate_burst") return Store(ParseRate(key, value), s.anonymous.fetch_burst);
  if (key == "max_fetches_per_client") {
    return Store(ParseCount(key, value), s.anonymous.max_fetches);
  }
  if (key == "max_connections_per_ip") {
    return Store(ParseCount(key, value), s.max_connections_per_ip);
  }
  if (key == "header_timeout" || key == "idle_timeout") {
    Result<std::chrono::milliseconds> d = ParseDuration(value);
    if (!d || d->count() < 100) {
      return Invalid("invalid " + key + " \"" + value + "\": want a duration of at least 100ms");
    }
    (key == "header_timeout" ? s.header_timeout : s.idle_timeout) = *d;
    return Result<void>();
  }
  if (key == "max_header_size" || key == "max_request_line") {
    Result<std::uint64_t> size = ParseSize(value);
    if (!size || *size < 256 || *size > (1u << 20)) {
      return Invalid("invalid " + key + " \"" + value + "\": want a size from 256 to 1MiB");
    }
    (key == "max_header_size" ? s.max_header_size : s.max_request_line) = *size;
    return Result<void>();
  }
  return std::nullopt;
}

bool IsLimitTableKey(std::string_view key) { return key == "limits"; }

Result<void> ApplyLimitTables(const toml::table& table, const std::string& path, Config& config) {
  // max_fetches_per_client is the default of every class.
  config.security.authenticated.max_fetches = config.security.anonymous.max_fetches;
  const toml::node* node = table.get("limits");
  if (node == nullptr) return {};
  const std::string where = "config file " + path + ": [limits]";
  const toml::table* limits = node->as_table();
  if (limits == nullptr) return Invalid(where + " must be a table");
  for (const auto& [k, child] : *limits) {
    const std::string name(k.str());
    if (name == "authenticated") {
      const toml::table* t = child.as_table();
      if (t == nullptr) return Invalid(where + ": \"authenticated\" must be a table");
      const bool has_max = t->contains("max_fetches");
      Result<LimitSetting> read =
          ReadLimitTable(*t, "config file " + path + ": [limits.authenticated]", false);
      if (!read) return read.error();
      if (!has_max) read->max_fetches = config.security.anonymous.max_fetches;
      config.security.authenticated = *read;
    } else if (name == "identity") {
      const toml::array* array = child.as_array();
      if (array == nullptr) return Invalid(where + ": write identities as [[limits.identity]]");
      std::size_t index = 0;
      for (const toml::node& item : *array) {
        ++index;
        const std::string at =
            "config file " + path + ": [[limits.identity]] #" + std::to_string(index);
        const toml::table* t = item.as_table();
        if (t == nullptr) return Invalid(at + ": not a table");
        std::optional<std::string> id = (*t)["name"].value<std::string>();
        if (!id || id->empty()) return Invalid(at + ": missing \"name\"");
        const bool has_max = t->contains("max_fetches");
        Result<LimitSetting> read = ReadLimitTable(*t, at + " (" + *id + ")", true);
        if (!read) return read.error();
        if (!has_max) read->max_fetches = config.security.authenticated.max_fetches;
        if (!config.security.identities.emplace(*id, *read).second) {
          return Invalid(at + ": identity \"" + *id + "\" has limits twice");
        }
      }
    } else {
      return Invalid(where + ": unknown table \"" + name +
                     "\" (want [limits.authenticated] or [[limits.identity]])");
    }
  }
  return {};
}

Result<void> CheckSecuritySettings(const Config& config) {
  const SecuritySettings& s = config.security;
  if (s.tls_cert.empty() != s.tls_key.empty()) {
    return Invalid(s.tls_cert.empty() ? "--tls-key needs --tls-cert"
                                      : "--tls-cert needs --tls-key");
  }
  if (s.client_auth != ClientAuth::kOff) {
    if (s.tls_cert.empty()) return Invalid("--tls-client-auth needs --tls-cert and --tls-key");
    if (s.tls_client_ca.empty()) return Invalid("--tls-client-auth needs --tls-client-ca");
  } else if (!s.tls_client_ca.empty()) {
    // Silently ignoring the CA would leave a server the operator believes
    // is protected open to everyone.
    return Invalid("--tls-client-ca needs --tls-client-auth optional or require");
  }
  if (s.metrics_auth && s.auth_file.empty()) {
    return Invalid("--metrics-auth needs --auth-file (its identities with metrics = true)");
  }
  return {};
}

}  // namespace modproxy::config
