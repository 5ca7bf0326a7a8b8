#include "modproxy/policy/auth_table.h"

#include <errno.h>

#include <cstdio>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include <boost/beast/core/string.hpp>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <toml++/toml.h>

#include "modproxy/core/check.h"
#include "modproxy/protocol/path_patterns.h"
#include "modproxy/tlog/base64.h"

namespace modproxy::policy {
namespace {

constexpr std::string_view kHashPrefix = "sha256:";
constexpr std::string_view kTokenPrefix = "mpt_";
constexpr std::size_t kTokenBytes = 32;
constexpr std::string_view kSpaces = " \t";

Error Invalid(std::string message) {
  return MakeError(ErrorCode::kInvalidArgument, std::move(message));
}

// Callers put these messages in 401 bodies and logs: they never echo what
// the client sent.
Error Unauthenticated(std::string message) {
  return MakeError(ErrorCode::kUnauthenticated, std::move(message));
}

// Text from the file, quoted so that an error stays one readable line.
std::string Quote(std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "\"";
  for (char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte >= 0x7f || c == '"' || c == '\\') {
      out += "\\x";
      out += kHex[byte >> 4];
      out += kHex[byte & 15];
    } else {
      out += c;
    }
  }
  return out + "\"";
}

SecretHash Sha256(std::string_view bytes) {
  SecretHash digest{};
  unsigned int size = 0;
  MODPROXY_CHECK(
      EVP_Digest(bytes.data(), bytes.size(), digest.data(), &size, EVP_sha256(), nullptr) == 1);
  MODPROXY_CHECK(size == digest.size());
  return digest;
}

std::string HashKey(const SecretHash& hash) {
  return std::string(reinterpret_cast<const char*>(hash.data()), hash.size());
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// "sha256:<64 hex digits>" (either case) as raw bytes.
std::optional<SecretHash> ParseSecretHash(std::string_view text) {
  if (!text.starts_with(kHashPrefix)) return std::nullopt;
  text.remove_prefix(kHashPrefix.size());
  SecretHash hash{};
  if (text.size() != hash.size() * 2) return std::nullopt;
  for (std::size_t i = 0; i < hash.size(); ++i) {
    const int high = HexValue(text[2 * i]);
    const int low = HexValue(text[2 * i + 1]);
    if (high < 0 || low < 0) return std::nullopt;
    hash[i] = static_cast<std::uint8_t>((high << 4) | low);
  }
  return hash;
}

std::string_view TrimSpaces(std::string_view text) {
  const std::size_t begin = text.find_first_not_of(kSpaces);
  if (begin == std::string_view::npos) return {};
  const std::size_t end = text.find_last_not_of(kSpaces);
  return text.substr(begin, end - begin + 1);
}

// One [[identity]] table, read field by field; `where_` names it in errors.
class EntryReader {
 public:
  EntryReader(const toml::table& table, std::string where)
      : table_(table), where_(std::move(where)) {}

  Result<AuthEntry> Read() {
    AuthEntry entry;
    Result<std::string> name = Name();
    if (!name) return name.error();
    entry.name = std::move(*name);
    where_ += " (" + entry.name + ")";
    for (const auto& [key, node] : table_) {
      const std::string_view k = key.str();
      if (k != "name" && k != "secrets" && k != "allow" && k != "deny" && k != "metrics") {
        return Invalid(where_ + ": unknown key " + Quote(k) +
                       " (want name, secrets, allow, deny, metrics)");
      }
    }
    Result<std::vector<SecretHash>> secrets = Secrets();
    if (!secrets) return secrets.error();
    entry.secrets = std::move(*secrets);
    if (const toml::node* allow = table_.get("allow")) {
      Result<std::string> globs = Globs("allow", *allow);
      if (!globs) return globs.error();
      entry.allow = std::move(*globs);
    }
    if (const toml::node* deny = table_.get("deny")) {
      Result<std::string> globs = Globs("deny", *deny);
      if (!globs) return globs.error();
      entry.deny = std::move(*globs);
    }
    if (const toml::node* metrics = table_.get("metrics")) {
      if (!metrics->is_boolean()) return Invalid(where_ + ": \"metrics\" must be true or false");
      entry.metrics = *metrics->value<bool>();
    }
    return entry;
  }

  const std::string& where() const { return where_; }

 private:
  Result<std::string> Name() const {
    const toml::node* node = table_.get("name");
    if (node == nullptr) return Invalid(where_ + ": missing \"name\"");
    if (!node->is_string()) return Invalid(where_ + ": \"name\" must be a string");
    std::string name = *node->value<std::string>();
    if (!IsIdentityName(name)) {
      return Invalid(where_ + ": invalid name " + Quote(name) + " (want [A-Za-z0-9._@-]+)");
    }
    return name;
  }

  // The values are never echoed: a token pasted here by mistake must not
  // end up in a log.
  Result<std::vector<SecretHash>> Secrets() const {
    std::vector<SecretHash> hashes;
    const toml::node* node = table_.get("secrets");
    if (node == nullptr) return hashes;
    const toml::array* array = node->as_array();
    if (array == nullptr) {
      return Invalid(where_ + ": \"secrets\" must be an array of \"sha256:<hex>\" strings");
    }
    for (std::size_t i = 0; i < array->size(); ++i) {
      const toml::node& item = *array->get(i);
      const std::string label = where_ + ": secret " + std::to_string(i + 1);
      if (!item.is_string()) return Invalid(label + " must be a string");
      const std::string text = *item.value<std::string>();
      std::optional<SecretHash> hash = ParseSecretHash(text);
      if (!hash) {
        std::string hint;
        if (text.starts_with(kTokenPrefix)) {
          hint = "; it looks like a token itself: store the output of `modproxy auth hash`";
        }
        return Invalid(label + " is not \"sha256:<64 hex digits>\"" + hint);
      }
      hashes.push_back(*hash);
    }
    return hashes;
  }

  // MatchPrefixPatterns trims nothing: "a/*, b/*" would silently never
  // match its second glob, and a deny that never matches is a hole.
  Result<std::string> Globs(const std::string& field, const toml::node& node) const {
    if (!node.is_string()) {
      return Invalid(where_ + ": \"" + field + "\" must be a string of comma-separated globs");
    }
    std::string globs = *node.value<std::string>();
    if (globs.find_first_of(" \t\r\n") != std::string::npos) {
      return Invalid(where_ + ": \"" + field + "\" " + Quote(globs) +
                     " contains white space (write globs separated by bare commas)");
    }
    return globs;
  }

  const toml::table& table_;
  std::string where_;
};

}  // namespace

Result<AuthTable> AuthTable::Parse(std::string_view text, std::string_view source) {
  const std::string prefix(source);
  toml::table root;
  // Debian builds toml++ with exceptions; loading the file is start-up or a
  // SIGHUP reload, never a request path.
  try {
    root = toml::parse(text, source);
  } catch (const toml::parse_error& err) {
    return Invalid(prefix + ":" + std::to_string(err.source().begin.line) + ": " +
                   std::string(err.description()));
  }
  AuthTable table;
  for (const auto& [key, node] : root) {
    if (key.str() != "identity") {
      return Invalid(prefix + ": unknown key " + Quote(key.str()) +
                     " (an auth file holds only [[identity]] tables)");
    }
  }
  const toml::node* identities = root.get("identity");
  if (identities == nullptr) return table;
  const toml::array* array = identities->as_array();
  if (array == nullptr) return Invalid(prefix + ": \"identity\" must be written [[identity]]");
  for (std::size_t i = 0; i < array->size(); ++i) {
    const std::string where = prefix + ": identity " + std::to_string(i + 1);
    const toml::table* item = array->get(i)->as_table();
    if (item == nullptr) return Invalid(where + ": not a table (write [[identity]])");
    EntryReader reader(*item, where);
    Result<AuthEntry> entry = reader.Read();
    if (!entry) return entry.error();
    const std::size_t index = table.entries_.size();
    if (auto [it, added] = table.by_name_.emplace(entry->name, index); !added) {
      return Invalid(reader.where() + ": name already used by identity " +
                     std::to_string(it->second + 1));
    }
    for (std::size_t s = 0; s < entry->secrets.size(); ++s) {
      auto [it, added] = table.by_hash_.emplace(HashKey(entry->secrets[s]), index);
      if (added) continue;
      const std::string label = reader.where() + ": secret " + std::to_string(s + 1);
      if (it->second == index) return Invalid(label + " is listed twice");
      const AuthEntry& other = table.entries_[it->second];
      return Invalid(label + " is also a secret of identity " + std::to_string(it->second + 1) +
                     " (" + other.name + "); every token must prove one identity");
    }
    table.entries_.push_back(std::move(*entry));
  }
  return table;
}

Result<AuthTable> AuthTable::Load(const std::string& path) {
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> file(std::fopen(path.c_str(), "rb"),
                                                       &std::fclose);
  if (!file) return Invalid("cannot read auth file " + path + ": " + std::strerror(errno));
  std::string text;
  char buffer[8192];
  std::size_t n = 0;
  while ((n = std::fread(buffer, 1, sizeof buffer, file.get())) > 0) text.append(buffer, n);
  if (std::ferror(file.get())) {
    return Invalid("cannot read auth file " + path + ": " + std::strerror(errno));
  }
  return Parse(text, "auth file " + path);
}

const AuthEntry* AuthTable::FindByToken(std::string_view token) const {
  const std::string key = HashKey(Sha256(token));
  auto it = by_hash_.find(key);
  if (it == by_hash_.end()) return nullptr;
  // The lookup compared the bytes already; this comparison is the one that
  // decides, and it takes the same time whichever byte differs.
  if (CRYPTO_memcmp(it->first.data(), key.data(), key.size()) != 0) return nullptr;
  return &entries_[it->second];
}

const AuthEntry* AuthTable::FindByName(std::string_view name) const {
  auto it = by_name_.find(std::string(name));
  return it == by_name_.end() ? nullptr : &entries_[it->second];
}

Result<PresentedCredentials> ParseAuthorization(std::string_view header) {
  const Error malformed = Unauthenticated(
      "malformed Authorization header (want \"Bearer <token>\" or \"Basic "
      "<base64(name:token)>\")");
  header = TrimSpaces(header);
  const std::size_t gap = header.find_first_of(kSpaces);
  if (gap == std::string_view::npos) return malformed;
  const std::string_view scheme = header.substr(0, gap);
  const std::string_view value = TrimSpaces(header.substr(gap));
  if (value.empty() || value.find_first_of(kSpaces) != std::string_view::npos) return malformed;
  PresentedCredentials credentials;
  if (boost::beast::iequals(scheme, "bearer")) {
    credentials.bearer = true;
    credentials.secret = std::string(value);
    return credentials;
  }
  if (!boost::beast::iequals(scheme, "basic")) {
    return Unauthenticated("unsupported Authorization scheme (want Bearer or Basic)");
  }
  // RFC 7617 sends padded base64; unpadded input is accepted as well.
  std::string padded(value);
  if (padded.size() % 4 != 1) padded.append((4 - padded.size() % 4) % 4, '=');
  std::optional<std::string> decoded = tlog::detail::DecodeBase64(padded);
  if (!decoded) return malformed;
  const std::size_t colon = decoded->find(':');
  if (colon == std::string::npos || colon + 1 == decoded->size()) return malformed;
  credentials.username = decoded->substr(0, colon);
  credentials.secret = decoded->substr(colon + 1);
  return credentials;
}

Result<const AuthEntry*> Authenticate(const AuthTable& table,
                                      const PresentedCredentials& credentials) {
  const AuthEntry* entry = table.FindByToken(credentials.secret);
  // One message for both failures: a client must not learn that a token is
  // valid under another name.
  if (entry == nullptr || (!credentials.bearer && credentials.username != entry->name)) {
    return Unauthenticated("invalid credentials");
  }
  return entry;
}

bool MayAccess(const AuthEntry* rules, std::string_view module_path) {
  if (rules == nullptr) return true;
  if (rules->allow && !protocol::MatchPrefixPatterns(*rules->allow, module_path)) return false;
  return !protocol::MatchPrefixPatterns(rules->deny, module_path);
}

bool IsIdentityName(std::string_view name) {
  if (name.empty()) return false;
  for (char c : name) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == '@' || c == '-';
    if (!ok) return false;
  }
  return true;
}

std::string HashToken(std::string_view token) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(kHashPrefix);
  for (std::uint8_t byte : Sha256(token)) {
    out += kHex[byte >> 4];
    out += kHex[byte & 15];
  }
  return out;
}

std::string NewToken() {
  unsigned char bytes[kTokenBytes];
  MODPROXY_CHECK(RAND_bytes(bytes, sizeof bytes) == 1);
  std::string text = tlog::detail::EncodeBase64(
      std::string_view(reinterpret_cast<const char*>(bytes), sizeof bytes));
  OPENSSL_cleanse(bytes, sizeof bytes);
  // base64url (RFC 4648 §5) without padding: safe in headers, URLs and .netrc.
  while (!text.empty() && text.back() == '=') text.pop_back();
  for (char& c : text) {
    if (c == '+') c = '-';
    if (c == '/') c = '_';
  }
  return std::string(kTokenPrefix) + text;
}

}  // namespace modproxy::policy
