#include "modproxy/tlog/tile.h"

#include <bit>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "modproxy/protocol/request_path.h"
#include "modproxy/protocol/text.h"

namespace modproxy::tlog {
namespace {

constexpr std::int64_t kHashSize = 32;

Error Invalid(std::string message) {
  return MakeError(ErrorCode::kInvalidArgument, std::move(message));
}

// A tile holding `index`, and where that hash's subtree lies in the tile body.
struct TilePosition {
  Tile tile;
  std::int64_t begin = 0;  // byte offsets into the body
  std::int64_t end = 0;
};

TilePosition PositionOf(int h, std::int64_t index) {
  int level = 0;
  std::int64_t n = 0;
  SplitStoredHashIndex(index, &level, &n);
  Tile tile;
  tile.h = h;
  tile.l = level / h;
  const int within = level - tile.l * h;  // the hash's level inside the tile
  tile.n = (n << within) >> h;
  // The hash covers entries [first, first + 2^within) of the tile.
  const std::int64_t first = (n << within) - (tile.n << h);
  const std::int64_t count = std::int64_t{1} << within;
  tile.w = first + count;
  return {tile, first * kHashSize, (first + count) * kHashSize};
}

// The Merkle hash of a power-of-two run of tile entries.
Hash TileHash(std::string_view data) {
  if (data.size() == kHashSize) {
    Hash hash{};
    std::copy(data.begin(), data.end(), hash.begin());
    return hash;
  }
  const std::size_t half = data.size() / 2;
  return NodeHash(TileHash(data.substr(0, half)), TileHash(data.substr(half)));
}

// The tile k levels of tiles above `tile` in a tree of `tree_size` records,
// clipped to what that tree has; nullopt when the tree has nothing there.
std::optional<Tile> TileParent(Tile tile, int k, std::int64_t tree_size) {
  tile.l += k;
  const int shift = tile.l * tile.h;
  tile.n = k * tile.h >= 63 ? 0 : tile.n >> (k * tile.h);
  tile.w = std::int64_t{1} << tile.h;
  // The number of hashes the tree has at the tile's level.
  const std::int64_t available = shift >= 63 ? 0 : tree_size >> shift;
  const std::int64_t start = tile.n << tile.h;
  if (start >= available) return std::nullopt;
  if (start + tile.w > available) tile.w = available - start;
  return tile;
}

class TileHashReader final : public HashReader {
 public:
  TileHashReader(const Tree& tree, TileReader& reader) : tree_(tree), reader_(reader) {}

  Result<std::vector<Hash>> ReadHashes(const std::vector<std::int64_t>& indexes) override;

 private:
  std::size_t Add(const Tile& tile) {
    order_.emplace(tile, tiles_.size());
    tiles_.push_back(tile);
    return tiles_.size() - 1;
  }
  Result<void> Authenticate(const std::vector<std::int64_t>& root_indexes,
                            const std::vector<std::size_t>& root_tiles, std::size_t root_count,
                            const std::vector<std::string>& data);

  const Tree tree_;
  TileReader& reader_;
  // Per call: the tiles to fetch, parents before children.
  std::vector<Tile> tiles_;
  std::map<Tile, std::size_t> order_;
};

Result<std::vector<Hash>> TileHashReader::ReadHashes(const std::vector<std::int64_t>& indexes) {
  const int h = reader_.Height();
  if (h < 1 || h > 30) return Invalid("tlog: invalid tile height " + std::to_string(h));
  tiles_.clear();
  order_.clear();

  // First the tiles holding the hashes that fold into the tree's root:
  // checking that fold against the signed root authenticates them.
  std::vector<std::int64_t> root_indexes;
  for (std::int64_t lo = 0; lo < tree_.n;) {
    const int level = 63 - std::countl_zero(static_cast<std::uint64_t>(tree_.n - lo));
    root_indexes.push_back(StoredHashIndex(level, lo >> level));
    lo += std::int64_t{1} << level;
  }
  std::vector<std::size_t> root_tiles;
  for (const std::int64_t index : root_indexes) {
    const std::optional<Tile> tile = TileParent(PositionOf(h, index).tile, 0, tree_.n);
    if (!tile) return MakeError(ErrorCode::kInternal, "tlog: root hash outside the tree");
    const auto found = order_.find(*tile);
    root_tiles.push_back(found != order_.end() ? found->second : Add(*tile));
  }
  const std::size_t root_count = tiles_.size();

  // Then each requested hash's tile, with the chain of full tiles between it
  // and an already planned ancestor, each to be checked against its parent.
  std::vector<std::size_t> index_tiles;
  const std::int64_t end = StoredHashIndex(0, tree_.n);
  for (const std::int64_t index : indexes) {
    if (index < 0 || index >= end) {
      return Invalid("tlog: stored hash " + std::to_string(index) + " is not in tree " +
                     std::to_string(tree_.n));
    }
    const Tile tile = PositionOf(h, index).tile;
    int k = 0;
    std::optional<std::size_t> at;
    for (;; ++k) {
      const std::optional<Tile> parent = TileParent(tile, k, tree_.n);
      if (!parent) return MakeError(ErrorCode::kInternal, "tlog: lost the parent tile");
      if (const auto found = order_.find(*parent); found != order_.end()) {
        at = found->second;
        break;
      }
    }
    for (--k; k >= 0; --k) {
      const std::optional<Tile> child = TileParent(tile, k, tree_.n);
      // A tile with a parent tile is complete.
      if (!child || child->w != (std::int64_t{1} << h)) {
        return MakeError(ErrorCode::kInternal, "tlog: partial tile below another tile");
      }
      at = Add(*child);
    }
    index_tiles.push_back(*at);
  }

  Result<std::vector<std::string>> data = reader_.ReadTiles(tiles_);
  if (!data) return data.error();
  if (data->size() != tiles_.size()) {
    return MakeError(ErrorCode::kInternal, "tlog: TileReader returned " +
                                               std::to_string(data->size()) + " tiles for " +
                                               std::to_string(tiles_.size()));
  }
  for (std::size_t i = 0; i < tiles_.size(); ++i) {
    if (static_cast<std::int64_t>((*data)[i].size()) != tiles_[i].w * kHashSize) {
      return MakeError(ErrorCode::kUpstreamInvalid,
                       "tile " + TilePath(tiles_[i]) + " has " + std::to_string((*data)[i].size()) +
                           " bytes, want " + std::to_string(tiles_[i].w * kHashSize));
    }
  }
  if (Result<void> ok = Authenticate(root_indexes, root_tiles, root_count, *data); !ok) {
    return ok.error();
  }
  reader_.SaveTiles(tiles_, *data);

  std::vector<Hash> hashes;
  for (std::size_t i = 0; i < indexes.size(); ++i) {
    const std::size_t j = index_tiles[i];
    Result<Hash> hash = HashFromTile(tiles_[j], (*data)[j], indexes[i]);
    if (!hash) return MakeError(ErrorCode::kInternal, "tlog: " + hash.error().message);
    hashes.push_back(*hash);
  }
  return hashes;
}

Result<void> TileHashReader::Authenticate(const std::vector<std::int64_t>& root_indexes,
                                          const std::vector<std::size_t>& root_tiles,
                                          std::size_t root_count,
                                          const std::vector<std::string>& data) {
  std::optional<Hash> root;
  for (std::size_t i = root_indexes.size(); i-- > 0;) {
    const std::size_t j = root_tiles[i];
    Result<Hash> hash = HashFromTile(tiles_[j], data[j], root_indexes[i]);
    if (!hash) return MakeError(ErrorCode::kInternal, "tlog: " + hash.error().message);
    root = root ? NodeHash(*hash, *root) : *hash;
  }
  if (root && *root != tree_.hash) {
    return MakeError(ErrorCode::kIntegrity,
                     "SECURITY ERROR: downloaded tiles do not hash to the signed tree " +
                         std::to_string(tree_.n) + " (" + FormatHash(tree_.hash) + ")");
  }
  // Every other tile (x/mod starts this loop at the number of root hashes,
  // not root tiles, which can skip some) is checked against its parent's
  // entry; parents come first, so each parent is already authenticated.
  for (std::size_t i = root_count; i < tiles_.size(); ++i) {
    const std::optional<Tile> parent = TileParent(tiles_[i], 1, tree_.n);
    const auto found = parent ? order_.find(*parent) : order_.end();
    if (found == order_.end()) return MakeError(ErrorCode::kInternal, "tlog: lost a parent tile");
    Result<Hash> expected = HashFromTile(*parent, data[found->second],
                                         StoredHashIndex(parent->l * parent->h, tiles_[i].n));
    if (!expected) return MakeError(ErrorCode::kInternal, "tlog: " + expected.error().message);
    if (*expected != TileHash(data[i])) {
      return MakeError(ErrorCode::kIntegrity,
                       "SECURITY ERROR: downloaded tile " + TilePath(tiles_[i]) +
                           " is inconsistent with the signed tree " + std::to_string(tree_.n));
    }
  }
  return {};
}

}  // namespace

std::string TilePath(const Tile& tile) {
  return protocol::FormatSumdbTilePath({tile.h, tile.l, tile.n, tile.w});
}

Result<Tile> ParseTilePath(std::string_view path) {
  const std::optional<protocol::SumdbTile> tile = protocol::ParseSumdbTilePath(path);
  if (!tile || tile->l > 63) {
    return Invalid("malformed tile path " + protocol::detail::Quote(path));
  }
  return Tile{static_cast<int>(tile->h), static_cast<int>(tile->l), tile->n, tile->w};
}

Tile TileForIndex(int h, std::int64_t index) { return PositionOf(h, index).tile; }

Result<Hash> HashFromTile(const Tile& tile, std::string_view data, std::int64_t index) {
  if (tile.h < 1 || tile.h > 30 || tile.l < 0 || tile.l > 63 || tile.n < 0 || tile.w < 1 ||
      tile.w > (std::int64_t{1} << tile.h) || index < 0) {
    // Described field by field: TilePath only formats valid tiles.
    return Invalid("invalid tile (H " + std::to_string(tile.h) + ", L " + std::to_string(tile.l) +
                   ", N " + std::to_string(tile.n) + ", W " + std::to_string(tile.w) +
                   ") or index " + std::to_string(index));
  }
  if (static_cast<std::int64_t>(data.size()) < tile.w * kHashSize) {
    return Invalid("tile " + TilePath(tile) + " data has " + std::to_string(data.size()) +
                   " bytes, want " + std::to_string(tile.w * kHashSize));
  }
  const TilePosition at = PositionOf(tile.h, index);
  if (at.tile.l != tile.l || at.tile.n != tile.n || at.tile.w > tile.w) {
    return Invalid("stored hash " + std::to_string(index) + " is in " + TilePath(at.tile) +
                   ", not in " + TilePath(tile));
  }
  return TileHash(
      data.substr(static_cast<std::size_t>(at.begin), static_cast<std::size_t>(at.end - at.begin)));
}

std::vector<Tile> NewTiles(int h, std::int64_t old_tree_size, std::int64_t new_tree_size) {
  std::vector<Tile> tiles;
  for (int level = 0; level * h < 63 && (new_tree_size >> (level * h)) > 0; ++level) {
    const std::int64_t old_count = old_tree_size >> (level * h);
    const std::int64_t new_count = new_tree_size >> (level * h);
    for (std::int64_t n = old_count >> h; n < (new_count >> h); ++n) {
      tiles.push_back(Tile{h, level, n, std::int64_t{1} << h});
    }
    const std::int64_t n = new_count >> h;
    const std::int64_t max_w = new_count - (n << h);
    const std::int64_t min_w = old_count > (n << h) ? old_count - (n << h) : 1;
    for (std::int64_t w = min_w; w <= max_w; ++w) tiles.push_back(Tile{h, level, n, w});
  }
  return tiles;
}

Result<std::string> ReadTileData(const Tile& tile, HashReader& reader) {
  std::vector<std::int64_t> indexes;
  for (std::int64_t i = 0; i < tile.w; ++i) {
    indexes.push_back(StoredHashIndex(tile.h * tile.l, (tile.n << tile.h) + i));
  }
  Result<std::vector<Hash>> hashes = reader.ReadHashes(indexes);
  if (!hashes) return hashes.error();
  if (hashes->size() != indexes.size()) {
    return MakeError(ErrorCode::kInternal, "tlog: ReadHashes returned too few hashes");
  }
  std::string data;
  for (const Hash& hash : *hashes) data.append(reinterpret_cast<const char*>(hash.data()), 32);
  return data;
}

std::unique_ptr<HashReader> NewTileHashReader(const Tree& tree, TileReader& reader) {
  return std::make_unique<TileHashReader>(tree, reader);
}

}  // namespace modproxy::tlog
