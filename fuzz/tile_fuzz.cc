// Tiles (tlog/tile.h). The input starts with a tile path (up to the first
// '\n'), which must parse exactly when it is the path of the tile it parses
// to; the rest drives a small log served through tiles, which a
// tile-reading HashReader must either authenticate or refuse, never return
// a wrong hash from, even when one tile byte is corrupted.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <fuzzer/FuzzedDataProvider.h>

#include "fuzz_input.h"
#include "modproxy/core/check.h"
#include "modproxy/protocol/request_path.h"
#include "modproxy/tlog/tile.h"
#include "modproxy/tlog/tlog.h"

namespace {

using namespace modproxy::tlog;  // NOLINT(google-build-using-namespace)

void CheckTilePath(std::string_view path) {
  const modproxy::Result<Tile> tile = ParseTilePath(path);
  const std::optional<modproxy::protocol::SumdbTile> sumdb =
      modproxy::protocol::ParseSumdbTilePath(path);
  if (sumdb) MODPROXY_CHECK(modproxy::protocol::FormatSumdbTilePath(*sumdb) == path);
  if (!tile) {
    MODPROXY_CHECK(!sumdb || sumdb->l > 63);
    return;
  }
  MODPROXY_CHECK(sumdb.has_value());
  MODPROXY_CHECK(tile->h >= 1 && tile->h <= 30 && tile->l >= -1 && tile->l <= 63);
  MODPROXY_CHECK(tile->n >= 0 && tile->w >= 1 && tile->w <= (std::int64_t{1} << tile->h));
  MODPROXY_CHECK(TilePath(*tile) == path);
}

// Serves the tiles of an in-memory log, with one byte of one tile changed
// when `corrupt` is set.
class LogTiles final : public TileReader {
 public:
  LogTiles(int h, const std::vector<Hash>& stored, bool corrupt, std::size_t which,
           std::uint8_t flip)
      : h_(h), stored_(stored), corrupt_(corrupt), which_(which), flip_(flip) {}

  int Height() const override { return h_; }

  modproxy::Result<std::vector<std::string>> ReadTiles(const std::vector<Tile>& tiles) override {
    std::vector<std::string> out;
    VectorHashReader reader(stored_);
    for (const Tile& tile : tiles) {
      MODPROXY_CHECK(tile.h == h_ && tile.l >= 0);
      modproxy::Result<std::string> data = ReadTileData(tile, reader);
      MODPROXY_CHECK(data.has_value());  // it never asks for a tile the log lacks
      if (corrupt_ && served_++ == which_ % 4) {
        (*data)[flip_ % data->size()] ^= static_cast<char>(flip_ | 1);
      }
      out.push_back(std::move(*data));
    }
    return out;
  }

 private:
  int h_;
  const std::vector<Hash>& stored_;
  bool corrupt_;
  std::size_t which_;
  std::uint8_t flip_;
  std::size_t served_ = 0;
};

void CheckLog(FuzzedDataProvider& fdp) {
  const int h = fdp.ConsumeIntegralInRange(1, 4);
  const int records = fdp.ConsumeIntegralInRange(1, 80);
  std::vector<Hash> stored;
  for (int i = 0; i < records; ++i) {
    const std::vector<Hash> added = StoredHashes(i, fdp.ConsumeRandomLengthString(8), stored);
    stored.insert(stored.end(), added.begin(), added.end());
  }
  VectorHashReader reader(stored);
  const auto count = static_cast<std::int64_t>(stored.size());

  // Every stored hash can be found in the least tile that holds it.
  for (std::int64_t index = 0; index < count; ++index) {
    const Tile tile = TileForIndex(h, index);
    const modproxy::Result<std::string> data = ReadTileData(tile, reader);
    MODPROXY_CHECK(data.has_value());
    const modproxy::Result<Hash> hash = HashFromTile(tile, *data, index);
    MODPROXY_CHECK(hash.has_value() && *hash == stored[static_cast<std::size_t>(index)]);
    MODPROXY_CHECK(!HashFromTile(tile, data->substr(0, data->size() - 1), index));
    const modproxy::Result<Tile> parsed = ParseTilePath(TilePath(tile));
    MODPROXY_CHECK(parsed.has_value() && *parsed == tile);
  }
  // The tiles a log publishes as it grows all exist.
  const std::int64_t old_size = fdp.ConsumeIntegralInRange<std::int64_t>(0, records);
  for (const Tile& tile : NewTiles(h, old_size, records)) {
    MODPROXY_CHECK(ReadTileData(tile, reader).has_value());
  }

  // Through tiles, the hashes come back authenticated against the tree, or not at all.
  const modproxy::Result<Hash> root = TreeHash(records, reader);
  MODPROXY_CHECK(root.has_value());
  const Tree tree{records, *root};
  std::vector<std::int64_t> indexes;
  const int wanted = fdp.ConsumeIntegralInRange(1, 4);
  for (int i = 0; i < wanted; ++i) {
    indexes.push_back(fdp.ConsumeIntegralInRange<std::int64_t>(0, count - 1));
  }
  const bool corrupt = fdp.ConsumeBool();
  LogTiles tiles(h, stored, corrupt, fdp.ConsumeIntegral<std::uint8_t>(),
                 fdp.ConsumeIntegral<std::uint8_t>());
  const std::unique_ptr<HashReader> through_tiles = NewTileHashReader(tree, tiles);
  const modproxy::Result<std::vector<Hash>> hashes = through_tiles->ReadHashes(indexes);
  if (!hashes) {
    MODPROXY_CHECK(corrupt && hashes.error().code == modproxy::ErrorCode::kIntegrity);
    return;
  }
  MODPROXY_CHECK(hashes->size() == indexes.size());
  for (std::size_t i = 0; i < indexes.size(); ++i) {
    MODPROXY_CHECK((*hashes)[i] == stored[static_cast<std::size_t>(indexes[i])]);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input = modproxy::fuzz::AsText(data, size);
  const auto parts = modproxy::fuzz::SplitInput(input, '\n', 2);
  CheckTilePath(parts[0]);

  // Any tile, any body, any index: an answer or kInvalidArgument.
  FuzzedDataProvider fdp(data, size);
  const Tile tile{fdp.ConsumeIntegralInRange(-2, 31), fdp.ConsumeIntegralInRange(-2, 64),
                  fdp.ConsumeIntegral<std::int64_t>(), fdp.ConsumeIntegral<std::int64_t>()};
  const auto index = fdp.ConsumeIntegral<std::int64_t>();
  const std::string body = fdp.ConsumeRandomLengthString(256);
  const modproxy::Result<Hash> hash = HashFromTile(tile, body, index);
  if (!hash) MODPROXY_CHECK(hash.error().code == modproxy::ErrorCode::kInvalidArgument);

  CheckLog(fdp);
  return 0;
}
