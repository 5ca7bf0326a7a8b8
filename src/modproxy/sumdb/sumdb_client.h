#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "modproxy/core/result.h"
#include "modproxy/tlog/note.h"
#include "modproxy/tlog/tile.h"
#include "modproxy/tlog/tlog.h"

namespace modproxy::sumdb {

// The I/O a checksum-database client needs (x/mod sumdb.ClientOps, narrowed).
// Called from any thread running a Lookup; implementations must be thread-safe.
class ClientOps {
 public:
  virtual ~ClientOps() = default;
  // GET <database>/<path>, path like "lookup/golang.org/x/text@v0.3.8" (already
  // case-escaped) or "tile/8/0/000.p/5". kNotFound/kGone when the database says
  // so; other errors as they come.
  virtual Result<std::string> ReadRemote(std::string_view path) = 0;
  // The last verified signed tree note of this database; "" when none yet.
  virtual Result<std::string> ReadLatest() = 0;
  // Stores `note` as the latest verified note, durably, if the stored one is
  // still `expected_old` (compare-and-swap); false when someone changed it first.
  virtual Result<bool> WriteLatest(std::string_view expected_old, std::string_view note) = 0;
};

// Verifies lookups the way the go command's sumdb.Client does
// (go-modules-reference.md §7.7): the lookup's signed tree note must carry a
// valid signature by `verifier`; the tree must be consistent with the last
// verified tree, whether older or newer (proved through tiles of height 8,
// each authenticated against a signed tree); the record must be in the tree.
// The newest verified tree is persisted through ops.WriteLatest, never one
// that failed a check. Thread-safe: concurrent Lookups may run on several
// threads. The stored latest note is read at the first Lookup.
class SumdbClient {
 public:
  SumdbClient(tlog::Verifier verifier, ClientOps& ops);
  SumdbClient(const SumdbClient&) = delete;
  SumdbClient& operator=(const SumdbClient&) = delete;

  // The go.sum lines for module@version ("M V h1:..." and "M V/go.mod h1:..."),
  // both verified. module and version are NOT escaped. Errors: kIntegrity with
  // a one-line message starting "SECURITY ERROR" (bad signature, inconsistent
  // trees, a record not in the tree, a record for a different module);
  // kNotFound/kGone when the database has no such module version;
  // kUpstreamInvalid for a malformed answer; kInvalidArgument for a module or
  // version that cannot be escaped; others as ClientOps gave them.
  Result<std::vector<std::string>> Lookup(std::string_view module, std::string_view version);

  // The tile height the client reads (sum.golang.org serves 8).
  static constexpr int kTileHeight = 8;

 private:
  class Tiles;
  friend class Tiles;
  // Where a tree stands relative to the latest verified one.
  enum class When { kPast, kNow, kFuture };

  Result<void> LoadLatest();
  Result<void> MergeLatest(const tlog::Tree& tree, std::string_view note);
  Result<When> MergeLatestMemory(const tlog::Tree& tree, std::string_view note);
  Result<void> CheckTrees(const tlog::Tree& older, const tlog::Tree& newer, bool newer_is_new);
  Result<void> CheckRecord(std::int64_t id, std::string_view text);
  Result<tlog::Tree> OpenTreeNote(std::string_view note);
  Result<std::string> ReadTile(const tlog::Tile& tile);
  Error TileError(const Error& error, const tlog::Tree& tree) const;

  const tlog::Verifier verifier_;
  ClientOps& ops_;

  std::mutex latest_mutex_;
  bool loaded_ = false;      // guarded by latest_mutex_
  tlog::Tree latest_;        // guarded by latest_mutex_
  std::string latest_note_;  // guarded by latest_mutex_; "" for the empty tree

  std::mutex tiles_mutex_;
  std::map<tlog::Tile, std::string> tiles_;  // authenticated tiles; guarded by tiles_mutex_
};

}  // namespace modproxy::sumdb
