#include "modproxy/sumdb/sumdb_client.h"

#include <algorithm>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "modproxy/protocol/module_path.h"
#include "modproxy/protocol/text.h"

namespace modproxy::sumdb {
namespace {

using protocol::detail::Quote;

constexpr std::string_view kSecurity = "SECURITY ERROR: ";
// Compare-and-swap rounds before giving up on storing a newer tree.
constexpr int kMaxWriteAttempts = 16;

}  // namespace

// Reads tiles for TileHashReader: authenticated tiles from memory, others
// from the database, trying the exact (maybe partial) tile first and then
// the full one, cut down (§7.6: a database may serve only the full tile once
// it is complete).
class SumdbClient::Tiles final : public tlog::TileReader {
 public:
  explicit Tiles(SumdbClient& client) : client_(client) {}
  int Height() const override { return kTileHeight; }

  Result<std::vector<std::string>> ReadTiles(const std::vector<tlog::Tile>& tiles) override {
    std::vector<std::string> data;
    data.reserve(tiles.size());
    for (const tlog::Tile& tile : tiles) {
      Result<std::string> body = client_.ReadTile(tile);
      if (!body) return body.error();
      data.push_back(std::move(*body));
    }
    return data;
  }

  void SaveTiles(const std::vector<tlog::Tile>& tiles,
                 const std::vector<std::string>& data) override {
    std::lock_guard<std::mutex> lock(client_.tiles_mutex_);
    for (std::size_t i = 0; i < tiles.size(); ++i) client_.tiles_.emplace(tiles[i], data[i]);
  }

 private:
  SumdbClient& client_;
};

SumdbClient::SumdbClient(tlog::Verifier verifier, ClientOps& ops)
    : verifier_(std::move(verifier)), ops_(ops) {}

Result<std::vector<std::string>> SumdbClient::Lookup(std::string_view module,
                                                     std::string_view version) {
  const std::string what = std::string(module) + "@" + std::string(version);
  Result<std::string> escaped_module = protocol::EscapePath(module);
  if (!escaped_module) return escaped_module.error();
  Result<std::string> escaped_version = protocol::EscapeVersion(version);
  if (!escaped_version) return escaped_version.error();
  if (Result<void> loaded = LoadLatest(); !loaded) return loaded.error();

  Result<std::string> body = ops_.ReadRemote("lookup/" + *escaped_module + "@" + *escaped_version);
  if (!body) return body.error();
  Result<tlog::ParsedRecord> record = tlog::ParseRecord(*body);
  if (!record) {
    return MakeError(ErrorCode::kUpstreamInvalid, "checksum database " + verifier_.name +
                                                      ": malformed lookup answer for " + what);
  }
  Result<tlog::Tree> tree = OpenTreeNote(record->rest);
  if (!tree) return tree.error();
  if (Result<void> merged = MergeLatest(*tree, record->rest); !merged) return merged.error();
  if (Result<void> in_tree = CheckRecord(record->id, record->text); !in_tree) {
    return in_tree.error();
  }

  // The record is authentic; it must also be the one asked for.
  const std::string prefix = std::string(module) + " " + std::string(version);
  std::vector<std::string> lines;
  std::string_view text = record->text;
  while (!text.empty()) {
    const std::string_view line = text.substr(0, text.find('\n'));
    text.remove_prefix(line.size() + 1);
    const std::string_view rest = line.substr(std::min(prefix.size(), line.size()));
    if (!line.starts_with(prefix) || !(rest.starts_with(" ") || rest.starts_with("/go.mod "))) {
      return MakeError(ErrorCode::kIntegrity, std::string(kSecurity) + "checksum database " +
                                                  verifier_.name + " answered the lookup of " +
                                                  what + " with record " +
                                                  std::to_string(record->id) + " for " +
                                                  Quote(line.substr(0, line.find(" h1:"))));
    }
    lines.emplace_back(line);
  }
  return lines;
}

Result<tlog::Tree> SumdbClient::OpenTreeNote(std::string_view note) {
  Result<std::string> text = tlog::OpenNote(note, verifier_);
  if (!text) {
    const Error& error = text.error();
    if (error.code == ErrorCode::kIntegrity) {
      std::string_view reason = error.message;
      if (reason.starts_with(kSecurity)) reason.remove_prefix(kSecurity.size());
      return MakeError(ErrorCode::kIntegrity, std::string(kSecurity) + "checksum database " +
                                                  verifier_.name + ": " + std::string(reason));
    }
    return MakeError(ErrorCode::kUpstreamInvalid,
                     "checksum database " + verifier_.name + " sent a " + error.message);
  }
  Result<tlog::Tree> tree = tlog::ParseTree(*text);
  if (!tree) {
    return MakeError(ErrorCode::kUpstreamInvalid,
                     "checksum database " + verifier_.name + " signed a malformed tree note");
  }
  return tree;
}

Result<void> SumdbClient::LoadLatest() {
  std::lock_guard<std::mutex> lock(latest_mutex_);
  if (loaded_) return {};
  Result<std::string> note = ops_.ReadLatest();
  if (!note) return note.error();
  if (!note->empty()) {
    Result<tlog::Tree> tree = OpenTreeNote(*note);
    if (!tree) {
      const Error& error = tree.error();
      if (error.code == ErrorCode::kIntegrity) {
        return MakeError(ErrorCode::kIntegrity,
                         error.message + " (the stored latest verified tree note)");
      }
      return MakeError(ErrorCode::kStorage, "the stored latest tree note of checksum database " +
                                                verifier_.name +
                                                " is unreadable: " + error.message);
    }
    latest_ = *tree;
    latest_note_ = std::move(*note);
  }
  loaded_ = true;
  return {};
}

// The lookup's tree is merged into the latest verified one in memory; a newer
// tree that checked out is then written back with compare-and-swap, merging
// whatever another client stored meanwhile (x/mod sumdb.Client.mergeLatest).
Result<void> SumdbClient::MergeLatest(const tlog::Tree& tree, std::string_view note) {
  Result<When> when = MergeLatestMemory(tree, note);
  if (!when) return when.error();
  if (*when != When::kFuture) return {};
  for (int attempt = 0;; ++attempt) {
    if (attempt == kMaxWriteAttempts) {
      return MakeError(ErrorCode::kStorage, "the stored latest tree note of checksum database " +
                                                verifier_.name + " keeps changing; not updated");
    }
    Result<std::string> stored = ops_.ReadLatest();
    if (!stored) return stored.error();
    tlog::Tree stored_tree;
    if (!stored->empty()) {
      Result<tlog::Tree> parsed = OpenTreeNote(*stored);
      if (!parsed) {
        return MakeError(parsed.error().code == ErrorCode::kIntegrity ? ErrorCode::kIntegrity
                                                                      : ErrorCode::kStorage,
                         parsed.error().message + " (the stored latest verified tree note)");
      }
      stored_tree = *parsed;
    }
    Result<When> stored_when = MergeLatestMemory(stored_tree, *stored);
    if (!stored_when) return stored_when.error();
    if (*stored_when != When::kPast) return {};
    std::string mine;
    {
      std::lock_guard<std::mutex> lock(latest_mutex_);
      mine = latest_note_;
    }
    Result<bool> written = ops_.WriteLatest(*stored, mine);
    if (!written) return written.error();
    if (*written) return {};
  }
}

Result<SumdbClient::When> SumdbClient::MergeLatestMemory(const tlog::Tree& tree,
                                                         std::string_view note) {
  tlog::Tree latest;
  {
    std::lock_guard<std::mutex> lock(latest_mutex_);
    latest = latest_;
  }
  // Tile fetches run without the lock, so the latest tree may move meanwhile.
  for (;;) {
    if (note.empty()) {
      return latest.n == 0 ? When::kNow : When::kPast;
    }
    if (tree.n <= latest.n) {
      if (Result<void> ok = CheckTrees(tree, latest, false); !ok) return ok.error();
      return tree.n < latest.n ? When::kPast : When::kNow;
    }
    if (Result<void> ok = CheckTrees(latest, tree, true); !ok) return ok.error();
    std::lock_guard<std::mutex> lock(latest_mutex_);
    if (latest_ == latest) {
      latest_ = tree;
      latest_note_ = std::string(note);
      return When::kFuture;
    }
    latest = latest_;
  }
}

Result<void> SumdbClient::CheckTrees(const tlog::Tree& older, const tlog::Tree& newer,
                                     bool newer_is_new) {
  // The empty tree is a prefix of every tree.
  if (older.n == 0) return {};
  tlog::Hash hash = newer.hash;
  if (older.n != newer.n) {
    Tiles tiles(*this);
    std::unique_ptr<tlog::HashReader> reader = tlog::NewTileHashReader(newer, tiles);
    Result<tlog::Hash> computed = tlog::TreeHash(older.n, *reader);
    if (!computed) return TileError(computed.error(), newer);
    hash = *computed;
  }
  if (hash == older.hash) return {};
  const tlog::Tree& lookup = newer_is_new ? newer : older;
  const tlog::Tree& verified = newer_is_new ? older : newer;
  return MakeError(ErrorCode::kIntegrity,
                   std::string(kSecurity) + "checksum database " + verifier_.name + " tree " +
                       std::to_string(lookup.n) + " is inconsistent with tree " +
                       std::to_string(verified.n) + " verified earlier (tree " +
                       std::to_string(newer.n) + " gives tree " + std::to_string(older.n) +
                       " the hash " + tlog::FormatHash(hash) + ", not " +
                       tlog::FormatHash(older.hash) + ")");
}

Result<void> SumdbClient::CheckRecord(std::int64_t id, std::string_view text) {
  tlog::Tree latest;
  {
    std::lock_guard<std::mutex> lock(latest_mutex_);
    latest = latest_;
  }
  if (id < 0 || id >= latest.n) {
    return MakeError(ErrorCode::kIntegrity, std::string(kSecurity) + "checksum database " +
                                                verifier_.name + " record " + std::to_string(id) +
                                                " is not in its signed tree " +
                                                std::to_string(latest.n));
  }
  Tiles tiles(*this);
  std::unique_ptr<tlog::HashReader> reader = tlog::NewTileHashReader(latest, tiles);
  Result<std::vector<tlog::Hash>> hashes = reader->ReadHashes({tlog::StoredHashIndex(0, id)});
  if (!hashes) return TileError(hashes.error(), latest);
  if ((*hashes)[0] != tlog::RecordHash(text)) {
    return MakeError(ErrorCode::kIntegrity, std::string(kSecurity) + "checksum database " +
                                                verifier_.name + " record " + std::to_string(id) +
                                                " is not the record " + std::to_string(id) +
                                                " of its signed tree " + std::to_string(latest.n));
  }
  return {};
}

Error SumdbClient::TileError(const Error& error, const tlog::Tree& tree) const {
  std::string_view reason = error.message;
  if (error.code == ErrorCode::kIntegrity && reason.starts_with(kSecurity)) {
    reason.remove_prefix(kSecurity.size());
    return MakeError(ErrorCode::kIntegrity, std::string(kSecurity) + "checksum database " +
                                                verifier_.name + ": " + std::string(reason));
  }
  return MakeError(error.code, "checksum database " + verifier_.name + ": reading tiles of tree " +
                                   std::to_string(tree.n) + ": " + std::string(reason));
}

Result<std::string> SumdbClient::ReadTile(const tlog::Tile& tile) {
  tlog::Tile full = tile;
  full.w = std::int64_t{1} << tile.h;
  const auto bytes = static_cast<std::size_t>(tile.w) * 32;
  {
    std::lock_guard<std::mutex> lock(tiles_mutex_);
    if (const auto found = tiles_.find(tile); found != tiles_.end()) return found->second;
    // An authenticated full tile holds every partial tile as its prefix.
    if (const auto found = tiles_.find(full); found != tiles_.end()) {
      return found->second.substr(0, bytes);
    }
  }
  const std::string path = tlog::TilePath(tile);
  Result<std::string> body = ops_.ReadRemote(path);
  if (body) return body;
  if (tile.w != full.w) {
    Result<std::string> full_body = ops_.ReadRemote(tlog::TilePath(full));
    if (full_body && full_body->size() >= bytes) return full_body->substr(0, bytes);
  }
  // A tile of a signed tree that the database cannot serve is not "no such
  // module": never pass its 404 on as one.
  if (IsNotFound(body.error())) {
    return MakeError(ErrorCode::kUpstreamInvalid,
                     "tile " + path + " is missing (" + body.error().message + ")");
  }
  return MakeError(body.error().code, "tile " + path + ": " + body.error().message);
}

}  // namespace modproxy::sumdb
