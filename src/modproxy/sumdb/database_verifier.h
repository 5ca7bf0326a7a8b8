#pragma once

#include <map>
#include <mutex>
#include <string>
#include <string_view>

#include "modproxy/cache/sum_verifier.h"
#include "modproxy/storage/storage.h"
#include "modproxy/sumdb/sumdb_service.h"
#include "modproxy/tlog/note.h"

namespace modproxy::sumdb {

struct DatabaseVerifierOptions {
  std::string name;     // the database, e.g. "sum.golang.org"
  tlog::Verifier key;   // its verifier key
  std::string nosumdb;  // GONOSUMDB globs: these paths are never looked up
  // Ask the database for every lookup even when one is cached (modproxy
  // verify --online: the database's current tree must be consistent with the
  // last one verified). Tiles may still come from the cache: they are
  // authenticated against the new tree either way.
  bool fresh_lookups = false;
};

// cache::SumVerifier over a real checksum database (go-modules-reference.md
// §7.7): each check looks the version up through `service` (so from wherever
// the database is proxied, and from the cache when it was verified before),
// proves the record and the tree through tiles, and checks the tree against
// the last one verified, which is kept under .modproxy/sumdb/<name>/latest
// across restarts. What the database sent is cached only once it verified.
class DatabaseVerifier final : public cache::SumVerifier {
 public:
  DatabaseVerifier(DatabaseVerifierOptions options, SumdbService& service,
                   storage::Storage& storage);

  Result<cache::SumVerdict> Check(std::string_view module, std::string_view version, bool go_mod,
                                  std::string_view h1) override;

  // The go.sum lines the database records for module@version, verified.
  Result<std::vector<std::string>> Lookup(std::string_view module, std::string_view version);

  // The stored latest verified tree note, and a compare-and-swap on it (the
  // ClientOps of every lookup share these).
  Result<std::string> ReadLatest();
  Result<bool> WriteLatest(std::string_view expected_old, std::string_view note);

  bool Exempt(std::string_view module) const;
  const std::string& name() const { return options_.name; }

 private:
  DatabaseVerifierOptions options_;
  SumdbService& service_;
  storage::Storage& storage_;
  std::mutex latest_mutex_;
};

}  // namespace modproxy::sumdb
