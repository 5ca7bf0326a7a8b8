#include "modproxy/config/rule_tables.h"

#include <set>

namespace modproxy::config {
namespace {

Error Invalid(std::string message) {
  return MakeError(ErrorCode::kInvalidArgument, std::move(message));
}

// One [[name]] entry: its string and boolean fields, checked against the
// fields the table allows.
class Entry {
 public:
  Entry(const toml::table& table, std::string where) : table_(table), where_(std::move(where)) {}

  Result<void> CheckFields(const std::set<std::string>& allowed) const {
    for (const auto& [k, node] : table_) {
      if (!allowed.count(std::string(k.str()))) {
        return Invalid(where_ + ": unknown field \"" + std::string(k.str()) + "\"");
      }
    }
    return {};
  }

  Result<std::string> String(const std::string& field, bool required) const {
    const toml::node* node = table_.get(field);
    if (node == nullptr) {
      if (required) return Invalid(where_ + ": missing field \"" + field + "\"");
      return std::string();
    }
    if (!node->is_string()) return Invalid(where_ + ": \"" + field + "\" must be a string");
    std::string value = *node->value<std::string>();
    if (required && value.empty()) return Invalid(where_ + ": \"" + field + "\" is empty");
    return value;
  }

  Result<bool> Bool(const std::string& field, bool fallback) const {
    const toml::node* node = table_.get(field);
    if (node == nullptr) return fallback;
    if (!node->is_boolean()) return Invalid(where_ + ": \"" + field + "\" must be true or false");
    return *node->value<bool>();
  }

  const std::string& where() const { return where_; }

 private:
  const toml::table& table_;
  std::string where_;
};

Result<RouteRule> ReadRoute(const Entry& e) {
  if (Result<void> r = e.CheckFields({"pattern", "upstream", "sumdb"}); !r) return r.error();
  Result<std::string> pattern = e.String("pattern", true);
  if (!pattern) return pattern.error();
  Result<std::string> upstream = e.String("upstream", true);
  if (!upstream) return upstream.error();
  Result<bool> sumdb = e.Bool("sumdb", true);
  if (!sumdb) return sumdb.error();
  Result<std::vector<protocol::UpstreamEntry>> list = protocol::ParseGoproxyList(*upstream);
  if (!list) {
    return Invalid(e.where() + ": invalid upstream \"" + *upstream + "\": " + list.error().message);
  }
  return RouteRule{*pattern, std::move(*list), *sumdb};
}

Result<RewriteRule> ReadRewrite(const Entry& e) {
  if (Result<void> r = e.CheckFields({"module", "url"}); !r) return r.error();
  Result<std::string> module = e.String("module", true);
  if (!module) return module.error();
  Result<std::string> url = e.String("url", true);
  if (!url) return url.error();
  if (module->find(',') != std::string::npos) {
    return Invalid(e.where() + ": \"module\" is one pattern (no commas)");
  }
  std::size_t scheme = url->find("://");
  if (scheme == std::string::npos || scheme == 0) {
    return Invalid(e.where() + ": \"url\" needs a scheme (https://, http://, ssh://, file://)");
  }
  return RewriteRule{*module, *url};
}

Result<HostCredentials> ReadCredentials(const Entry& e) {
  if (Result<void> r = e.CheckFields(
          {"host", "username", "password", "token", "ssh_key", "ssh_public_key", "ssh_passphrase"});
      !r) {
    return r.error();
  }
  HostCredentials c;
  Result<std::string> host = e.String("host", true);
  if (!host) return host.error();
  c.host = *host;
  for (auto [field, out] : {std::pair{"username", &c.username},
                            {"ssh_key", &c.ssh_key},
                            {"ssh_public_key", &c.ssh_public_key},
                            {"ssh_passphrase", &c.ssh_passphrase}}) {
    Result<std::string> v = e.String(field, false);
    if (!v) return v.error();
    *out = *v;
  }
  Result<std::string> password = e.String("password", false);
  if (!password) return password.error();
  Result<std::string> token = e.String("token", false);
  if (!token) return token.error();
  if (!password->empty() && !token->empty()) {
    return Invalid(e.where() + ": give \"password\" or \"token\", not both");
  }
  c.password = !token->empty() ? *token : *password;
  if (c.password.empty() && c.ssh_key.empty()) {
    return Invalid(e.where() + ": needs \"password\", \"token\" or \"ssh_key\"");
  }
  if (!c.password.empty() && c.username.empty()) c.username = "git";
  return c;
}

template <typename T, typename Reader>
Result<void> ReadArray(const toml::table& table, const std::string& path, const std::string& name,
                       std::vector<T>& out, Reader read) {
  const toml::node* node = table.get(name);
  if (node == nullptr) return {};
  const toml::array* array = node->as_array();
  if (array == nullptr) {
    return Invalid("config file " + path + ": \"" + name + "\" must be written [[" + name + "]]");
  }
  std::size_t index = 0;
  for (const toml::node& item : *array) {
    ++index;
    std::string where = "config file " + path + ": [[" + name + "]] #" + std::to_string(index);
    const toml::table* t = item.as_table();
    if (t == nullptr) return Invalid(where + ": not a table");
    Result<T> value = read(Entry(*t, where));
    if (!value) return value.error();
    out.push_back(std::move(*value));
  }
  return {};
}

}  // namespace

bool IsRuleTableKey(std::string_view key) {
  return key == "route" || key == "rewrite" || key == "credentials";
}

Result<void> ApplyRuleTables(const toml::table& table, const std::string& path, Config& config) {
  if (Result<void> r = ReadArray(table, path, "route", config.routes, &ReadRoute); !r) return r;
  if (Result<void> r = ReadArray(table, path, "rewrite", config.rewrites, &ReadRewrite); !r) {
    return r;
  }
  return ReadArray(table, path, "credentials", config.credentials, &ReadCredentials);
}

}  // namespace modproxy::config
