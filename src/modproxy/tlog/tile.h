#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "modproxy/core/result.h"
#include "modproxy/tlog/tlog.h"

// Tiles: how a checksum database serves its stored hashes
// (go-modules-reference.md §7.6; x/mod sumdb/tlog tile.go). Pure, no I/O.
namespace modproxy::tlog {

// The w hashes at tree level h*l numbered n*2^h .. n*2^h+w-1 (l = -1: record
// data). Full when w == 2^h; a partial tile (w < 2^h) is a prefix of the full one.
struct Tile {
  int h = 0;  // 1..30
  int l = 0;  // -1..63
  std::int64_t n = 0;
  std::int64_t w = 0;  // 1..2^h
  friend bool operator==(const Tile&, const Tile&) = default;
  friend bool operator<(const Tile& a, const Tile& b) {
    return std::tie(a.h, a.l, a.n, a.w) < std::tie(b.h, b.l, b.n, b.w);
  }
};

// "tile/8/0/x001/x234/067.p/5" (protocol::FormatSumdbTilePath).
std::string TilePath(const Tile& tile);
// The inverse of TilePath, as strict as x/mod; kInvalidArgument when malformed
// (or a level above 63).
Result<Tile> ParseTilePath(std::string_view path);

// The tile of height h >= 1 and least width that holds stored hash `index`.
Tile TileForIndex(int h, std::int64_t index);

// The hash at stored-hash `index` from `tile`'s body `data` (w*32 bytes), where
// `tile` is TileForIndex(tile.h, index) or a wider tile of the same position;
// hashes at levels between tile levels are recomputed from the tile's entries.
// kInvalidArgument when the index is not in the tile or the data is short.
Result<Hash> HashFromTile(const Tile& tile, std::string_view data, std::int64_t index);

// The tiles of height h to publish when a log grows from old_tree_size to
// new_tree_size records: each new or wider tile, partial ones at every width.
std::vector<Tile> NewTiles(int h, std::int64_t old_tree_size, std::int64_t new_tree_size);

// A hash tile's body (w*32 bytes), from the log's stored hashes.
Result<std::string> ReadTileData(const Tile& tile, HashReader& reader);

// Where a tile-reading HashReader gets tile bodies (a remote database, a cache).
class TileReader {
 public:
  virtual ~TileReader() = default;
  // The tile height the database serves (8 for sum.golang.org).
  virtual int Height() const = 0;
  // The bodies of `tiles` (each exactly w*32 bytes), in order, or an error.
  // Downloaded tiles are unverified until SaveTiles names them.
  virtual Result<std::vector<std::string>> ReadTiles(const std::vector<Tile>& tiles) = 0;
  // `tiles` (as read by ReadTiles) have been authenticated against a signed
  // tree: they may now be cached.
  virtual void SaveTiles(const std::vector<Tile>& /*tiles*/,
                         const std::vector<std::string>& /*data*/) {}
};

// A HashReader that reads hashes of `tree` through tiles from `reader`, and
// authenticates every tile it uses against tree.hash before returning
// anything (x/mod TileHashReader): the hashes it returns are proven to be in
// the tree. Errors: kInvalidArgument for an index outside the tree;
// kUpstreamInvalid for a tile body of the wrong size; kIntegrity ("SECURITY
// ERROR: ...") when the tiles do not hash to the tree; the reader's errors.
// Keeps references to nothing but `reader`, which must outlive it.
std::unique_ptr<HashReader> NewTileHashReader(const Tree& tree, TileReader& reader);

}  // namespace modproxy::tlog
