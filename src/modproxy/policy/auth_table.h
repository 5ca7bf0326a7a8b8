#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "modproxy/core/result.h"

// The auth file (--auth-file): identities with hashed token secrets and the
// module paths each may read. Pure: parsing and checking, no I/O besides
// Load reading the file.
namespace modproxy::policy {

using SecretHash = std::array<std::uint8_t, 32>;  // SHA-256 of a token

struct AuthEntry {
  std::string name;  // [A-Za-z0-9._@-]+, unique in the file
  std::vector<SecretHash> secrets;
  std::optional<std::string> allow;  // GOPRIVATE-syntax globs; nullopt: every path
  std::string deny;                  // GOPRIVATE-syntax globs; wins over allow
  bool metrics = false;              // may read /metrics under --metrics-auth
};

class AuthTable {
 public:
  // The TOML text of an auth file; `source` names it in errors. Only
  // [[identity]] tables; an empty text is an empty table. Errors are
  // kInvalidArgument with one line: "<source>: identity 3 (bob): ..." for
  // unknown keys, wrong types, duplicate names, malformed or duplicate
  // secrets (anywhere in the file), and allow/deny globs with white space;
  // "<source>: identity 3: ..." when the name itself is missing or bad;
  // "<source>:LINE: ..." for TOML syntax. A secret's text is never echoed.
  // An explicit `allow = ""` allows no path at all.
  static Result<AuthTable> Parse(std::string_view text, std::string_view source);
  // Parse of the file's text with source "auth file <path>"; an unreadable
  // file is kInvalidArgument "cannot read auth file <path>: <strerror>".
  static Result<AuthTable> Load(const std::string& path);

  // The entry one of whose secrets is SHA-256(token); nullptr otherwise.
  const AuthEntry* FindByToken(std::string_view token) const;
  // The entry called `name` (certificate identities find their rules so).
  const AuthEntry* FindByName(std::string_view name) const;
  const std::vector<AuthEntry>& entries() const { return entries_; }

 private:
  std::vector<AuthEntry> entries_;
  std::unordered_map<std::string, std::size_t> by_name_;
  std::unordered_map<std::string, std::size_t> by_hash_;  // key: the 32 raw hash bytes
};

// What an Authorization header carries.
struct PresentedCredentials {
  bool bearer = false;
  std::string username;  // basic auth only
  std::string secret;
};

// "Bearer <token>" or "Basic <base64(user:secret)>" (scheme case-insensitive).
// kUnauthenticated for anything else (other schemes, bad base64, no colon).
Result<PresentedCredentials> ParseAuthorization(std::string_view header);

// The entry the credentials prove, or kUnauthenticated (wrong token, or a
// basic-auth username that is not the token's entry). The message never
// contains the secret.
Result<const AuthEntry*> Authenticate(const AuthTable& table,
                                      const PresentedCredentials& credentials);

// Whether an identity with these rules may read `module_path` (nullptr: no
// rules, everything allowed).
bool MayAccess(const AuthEntry* rules, std::string_view module_path);

// Whether `name` may name an auth-file entry: [A-Za-z0-9._@-]+.
bool IsIdentityName(std::string_view name);

// "sha256:<64 lower-case hex>", the form the auth file stores.
std::string HashToken(std::string_view token);
// A new random token: "mpt_" + 43 base64url characters (256 bits, OpenSSL RAND).
std::string NewToken();

}  // namespace modproxy::policy
