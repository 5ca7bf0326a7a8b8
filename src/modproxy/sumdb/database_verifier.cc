#include "modproxy/sumdb/database_verifier.h"

#include <utility>
#include <vector>

#include <spdlog/spdlog.h>

#include "modproxy/protocol/module_path.h"
#include "modproxy/protocol/path_patterns.h"
#include "modproxy/sumdb/sumdb_client.h"

namespace modproxy::sumdb {
namespace {

// The ClientOps of one lookup: reads go to the cache first, then to the
// database through the service; what came from the database is written to
// the cache only by Commit(), after the client verified it.
class LookupOps final : public ClientOps {
 public:
  LookupOps(DatabaseVerifier& verifier, SumdbService& service, storage::Storage& storage,
            bool fresh_lookups)
      : verifier_(verifier), service_(service), storage_(storage), fresh_lookups_(fresh_lookups) {}

  Result<std::string> ReadRemote(std::string_view path) override {
    const std::string key = "sumdb/" + verifier_.name() + "/" + std::string(path);
    const bool fresh = fresh_lookups_ && path.substr(0, 7) == "lookup/";
    if (Result<std::string> cached = storage_.Get(key); cached && !fresh) return cached;
    Result<std::string> body = service_.FetchUncached(verifier_.name(), path);
    if (!body) return body.error();
    fetched_.emplace_back(key, *body);
    return body;
  }
  Result<std::string> ReadLatest() override { return verifier_.ReadLatest(); }
  Result<bool> WriteLatest(std::string_view expected_old, std::string_view note) override {
    return verifier_.WriteLatest(expected_old, note);
  }

  // Caches what this lookup fetched (best effort: it is only a cache).
  void Commit() {
    for (const auto& [key, body] : fetched_) {
      if (Result<void> r = storage_.Put(key, body); !r) {
        spdlog::warn("cache write {} failed: {}", key, r.error().message);
      }
    }
  }

 private:
  DatabaseVerifier& verifier_;
  SumdbService& service_;
  storage::Storage& storage_;
  const bool fresh_lookups_;
  std::vector<std::pair<std::string, std::string>> fetched_;
};

}  // namespace

DatabaseVerifier::DatabaseVerifier(DatabaseVerifierOptions options, SumdbService& service,
                                   storage::Storage& storage)
    : options_(std::move(options)), service_(service), storage_(storage) {}

bool DatabaseVerifier::Exempt(std::string_view module) const {
  return protocol::MatchPrefixPatterns(options_.nosumdb, module);
}

Result<std::vector<std::string>> DatabaseVerifier::Lookup(std::string_view module,
                                                          std::string_view version) {
  LookupOps ops(*this, service_, storage_, options_.fresh_lookups);
  SumdbClient client(options_.key, ops);
  Result<std::vector<std::string>> lines = client.Lookup(module, version);
  if (lines) ops.Commit();
  return lines;
}

Result<cache::SumVerdict> DatabaseVerifier::Check(std::string_view module, std::string_view version,
                                                  bool go_mod, std::string_view h1) {
  if (Exempt(module)) return cache::SumVerdict{};
  const std::string what = std::string(module) + "@" + std::string(version);
  Result<std::vector<std::string>> lines = Lookup(module, version);
  if (!lines) {
    const Error& error = lines.error();
    if (error.code == ErrorCode::kIntegrity) return error;
    if (IsNotFound(error)) {
      return MakeError(ErrorCode::kUnavailable,
                       "cannot verify " + what + ": checksum database " + options_.name +
                           " has no record of it (" + error.message +
                           "); if the module is private, add it to --nosumdb");
    }
    return MakeError(ErrorCode::kUnavailable, "cannot verify " + what + ": checksum database " +
                                                  options_.name + ": " + error.message);
  }
  // As the go command: lines with another hash algorithm are not compared.
  const std::string prefix =
      std::string(module) + " " + std::string(version) + (go_mod ? "/go.mod h1:" : " h1:");
  for (const std::string& line : *lines) {
    if (line.rfind(prefix, 0) != 0) continue;
    std::string_view recorded = std::string_view(line).substr(prefix.size() - 3);
    if (recorded == h1) return cache::SumVerdict{options_.name};
    return MakeError(ErrorCode::kIntegrity,
                     "SECURITY ERROR: " + what + ": " + std::string(cache::kChecksumMismatch) +
                         " for its " + (go_mod ? "go.mod" : "zip") + ": downloaded " +
                         std::string(h1) + ", checksum database " + options_.name + " has " +
                         std::string(recorded) + "; not cached, not served");
  }
  // Like the go command, a record without a line for this file does not
  // refuse it (the record is authentic; it just says nothing about the file).
  spdlog::warn("checksum database {} has no {} line for {}", options_.name,
               go_mod ? "go.mod" : "zip", what);
  return cache::SumVerdict{options_.name};
}

Result<std::string> DatabaseVerifier::ReadLatest() {
  std::lock_guard<std::mutex> lock(latest_mutex_);
  Result<std::string> note = storage_.Get(".modproxy/sumdb/" + options_.name + "/latest");
  if (!note && note.error().code == ErrorCode::kNotFound) return std::string();
  return note;
}

Result<bool> DatabaseVerifier::WriteLatest(std::string_view expected_old, std::string_view note) {
  std::lock_guard<std::mutex> lock(latest_mutex_);
  const std::string key = ".modproxy/sumdb/" + options_.name + "/latest";
  Result<std::string> current = storage_.Get(key);
  if (!current && current.error().code != ErrorCode::kNotFound) return current.error();
  const std::string_view stored = current ? std::string_view(*current) : std::string_view();
  if (stored != expected_old) return false;
  if (Result<void> r = storage_.Put(key, note); !r) return r.error();
  return true;
}

}  // namespace modproxy::sumdb
