#include "modproxy/tlog/tile.h"

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace modproxy::tlog {
namespace {

TEST(TilePathTest, FormatsAndParsesTheReferenceVectors) {
  const struct {
    const char* path;
    Tile tile;
  } cases[] = {
      {"tile/4/0/001", {4, 0, 1, 16}},
      {"tile/4/0/001.p/5", {4, 0, 1, 5}},
      {"tile/3/5/x123/x456/078", {3, 5, 123456078, 8}},
      {"tile/3/5/x123/x456/078.p/2", {3, 5, 123456078, 2}},
      {"tile/1/0/x003/x057/500", {1, 0, 3057500, 2}},
      {"tile/1/data/x003/x057/500", {1, -1, 3057500, 2}},
      {"tile/8/0/000", {8, 0, 0, 256}},
      {"tile/8/0/x001/x234/067.p/5", {8, 0, 1234067, 5}},
      {"tile/8/1/003", {8, 1, 3, 256}},
      {"tile/8/data/017.p/100", {8, -1, 17, 100}},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(TilePath(c.tile), c.path);
    Result<Tile> tile = ParseTilePath(c.path);
    ASSERT_TRUE(tile.has_value()) << c.path;
    EXPECT_EQ(*tile, c.tile) << c.path;
  }
}

TEST(TilePathTest, RejectsMalformedPaths) {
  for (const char* path : {"tile/3/5/123/456/078", "tile/3/-1/123/456/078", "tile/0/0/000",
                           "tile/31/0/000", "tile/8/0/000.p/256", "tile/8/0/x000/001",
                           "tile/8/64/000", "tile/8/0", "lookup/x@v1.0.0"}) {
    Result<Tile> tile = ParseTilePath(path);
    ASSERT_FALSE(tile.has_value()) << path;
    EXPECT_EQ(tile.error().code, ErrorCode::kInvalidArgument);
  }
}

TEST(TileTest, NewTilesOfTheReferenceTreeSizes) {
  // 600 records: two full level-0 tiles, a partial one of 88, and a level-1
  // tile of the two complete 256-leaf subtrees.
  std::vector<std::string> paths;
  for (const Tile& tile : NewTiles(8, 599, 600)) paths.push_back(TilePath(tile));
  // (x/mod republishes the unchanged level-1 tile too.)
  EXPECT_EQ(paths, (std::vector<std::string>{"tile/8/0/002.p/87", "tile/8/0/002.p/88",
                                             "tile/8/1/000.p/2"}));
  paths.clear();
  for (const Tile& tile : NewTiles(8, 0, 600)) {
    if ((tile.l == 0 && (tile.w == 256 || tile.w == 88)) || (tile.l == 1 && tile.w == 2)) {
      paths.push_back(TilePath(tile));
    }
  }
  EXPECT_EQ(paths, (std::vector<std::string>{"tile/8/0/000", "tile/8/0/001", "tile/8/0/002.p/88",
                                             "tile/8/1/000.p/2"}));
}

// A log with height-2 tiles published as it grows (as x/mod's TestTree does).
class TiledLog {
 public:
  static constexpr int kHeight = 2;

  void Add(const std::string& data) {
    const std::int64_t n = static_cast<std::int64_t>(leaves_.size());
    const std::size_t old_stored = stored_.size();
    std::vector<Hash> hashes = StoredHashes(n, data, stored_);
    stored_.insert(stored_.end(), hashes.begin(), hashes.end());
    leaves_.push_back(RecordHash(data));
    VectorHashReader reader(stored_);
    roots_.push_back(*TreeHash(n + 1, reader));
    for (const Tile& tile : NewTiles(kHeight, n, n + 1)) {
      Result<std::string> body = ReadTileData(tile, reader);
      ASSERT_TRUE(body.has_value());
      // Each tile extends the one narrower by one hash.
      const Tile narrower{tile.h, tile.l, tile.n, tile.w - 1};
      const std::string& old = tiles_[narrower];
      ASSERT_EQ(old.size() + 32, body->size()) << TilePath(tile);
      ASSERT_EQ(body->substr(0, old.size()), old) << TilePath(tile);
      tiles_[tile] = *body;
    }
    for (std::size_t i = old_stored; i < stored_.size(); ++i) {
      const Tile tile = TileForIndex(kHeight, static_cast<std::int64_t>(i));
      ASSERT_TRUE(tiles_.count(tile)) << TilePath(tile);
      Result<Hash> hash = HashFromTile(tile, tiles_[tile], static_cast<std::int64_t>(i));
      ASSERT_TRUE(hash.has_value()) << hash.error().message;
      EXPECT_EQ(*hash, stored_[i]) << i;
    }
  }

  std::int64_t size() const { return static_cast<std::int64_t>(leaves_.size()); }
  const std::vector<Hash>& leaves() const { return leaves_; }
  const std::vector<Hash>& roots() const { return roots_; }
  std::map<Tile, std::string>& tiles() { return tiles_; }

 private:
  std::vector<Hash> stored_;
  std::vector<Hash> leaves_;
  std::vector<Hash> roots_;
  std::map<Tile, std::string> tiles_;
};

// Serves tiles from a map; optionally corrupts the body of the k-th tile of
// each request; counts tiles read but not saved.
class MapTileReader final : public TileReader {
 public:
  explicit MapTileReader(const std::map<Tile, std::string>& tiles) : tiles_(tiles) {}
  int Height() const override { return TiledLog::kHeight; }
  Result<std::vector<std::string>> ReadTiles(const std::vector<Tile>& tiles) override {
    std::vector<std::string> out;
    for (const Tile& tile : tiles) {
      const auto found = tiles_.find(tile);
      if (found == tiles_.end()) return MakeError(ErrorCode::kNotFound, TilePath(tile));
      out.push_back(found->second);
    }
    if (corrupt_ >= 0 && static_cast<std::size_t>(corrupt_) < out.size()) {
      out[static_cast<std::size_t>(corrupt_)][0] ^= 1;
    }
    last_count_ = tiles.size();
    unsaved_ += static_cast<int>(tiles.size());
    return out;
  }
  void SaveTiles(const std::vector<Tile>& tiles, const std::vector<std::string>&) override {
    unsaved_ -= static_cast<int>(tiles.size());
  }
  void set_corrupt(int k) { corrupt_ = k; }
  std::size_t last_count() const { return last_count_; }
  int unsaved() const { return unsaved_; }

 private:
  const std::map<Tile, std::string>& tiles_;
  int corrupt_ = -1;
  std::size_t last_count_ = 0;
  int unsaved_ = 0;
};

TEST(TileHashReaderTest, ReadsEveryRecordAndEveryOlderTreeThroughTiles) {
  TiledLog log;
  for (int i = 0; i < 100; ++i) {
    log.Add("leaf " + std::to_string(i));
    const std::int64_t t = log.size();
    const Hash& th = log.roots().back();
    MapTileReader tiles(log.tiles());
    std::unique_ptr<HashReader> reader = NewTileHashReader(Tree{t, th}, tiles);
    for (std::int64_t n = 0; n < t; ++n) {
      Result<std::vector<Hash>> hash = reader->ReadHashes({StoredHashIndex(0, n)});
      ASSERT_TRUE(hash.has_value()) << hash.error().message;
      ASSERT_EQ((*hash)[0], log.leaves()[static_cast<std::size_t>(n)]) << t << " " << n;
      Result<std::vector<Hash>> proof = ProveRecord(t, n, *reader);
      ASSERT_TRUE(proof.has_value()) << proof.error().message;
      ASSERT_TRUE(
          CheckRecord(*proof, t, th, n, log.leaves()[static_cast<std::size_t>(n)]).has_value());
    }
    for (std::int64_t n = 1; n <= t; ++n) {
      Result<Hash> old = TreeHash(n, *reader);
      ASSERT_TRUE(old.has_value()) << old.error().message;
      ASSERT_EQ(*old, log.roots()[static_cast<std::size_t>(n - 1)]) << t << " " << n;
      Result<std::vector<Hash>> proof = ProveTree(t, n, *reader);
      ASSERT_TRUE(proof.has_value()) << proof.error().message;
      ASSERT_TRUE(CheckTree(*proof, t, th, n, *old).has_value());
    }
    EXPECT_EQ(tiles.unsaved(), 0);
    Result<std::vector<Hash>> outside = reader->ReadHashes({StoredHashIndex(0, t)});
    ASSERT_FALSE(outside.has_value());
    EXPECT_EQ(outside.error().code, ErrorCode::kInvalidArgument);
  }
}

TEST(TileHashReaderTest, ACorruptTileIsNeverTrusted) {
  // Flipping a bit in any tile a read uses must fail the read: the tiles that
  // fold into the root are checked against it, every other tile against its
  // parent (including the ones x/mod's loop bound skips when several root
  // hashes share a tile).
  TiledLog log;
  for (int i = 0; i < 70; ++i) {
    log.Add("leaf " + std::to_string(i));
    const Tree tree{log.size(), log.roots().back()};
    for (std::int64_t n = 0; n < tree.n; ++n) {
      MapTileReader tiles(log.tiles());
      std::unique_ptr<HashReader> reader = NewTileHashReader(tree, tiles);
      ASSERT_TRUE(reader->ReadHashes({StoredHashIndex(0, n)}).has_value());
      const std::size_t count = tiles.last_count();
      for (std::size_t k = 0; k < count; ++k) {
        MapTileReader corrupt(log.tiles());
        corrupt.set_corrupt(static_cast<int>(k));
        std::unique_ptr<HashReader> bad = NewTileHashReader(tree, corrupt);
        Result<std::vector<Hash>> hash = bad->ReadHashes({StoredHashIndex(0, n)});
        ASSERT_FALSE(hash.has_value()) << "tree " << tree.n << " record " << n << " tile " << k;
        EXPECT_EQ(hash.error().code, ErrorCode::kIntegrity);
        EXPECT_EQ(hash.error().message.rfind("SECURITY ERROR", 0), 0u);
        EXPECT_EQ(corrupt.unsaved(), static_cast<int>(count)) << "a corrupt tile was saved";
      }
    }
  }
}

TEST(TileHashReaderTest, RejectsTilesOfTheWrongSize) {
  TiledLog log;
  for (int i = 0; i < 5; ++i) log.Add("leaf " + std::to_string(i));
  for (auto& [tile, body] : log.tiles()) body += "x";
  MapTileReader tiles(log.tiles());
  std::unique_ptr<HashReader> reader = NewTileHashReader(Tree{5, log.roots().back()}, tiles);
  Result<std::vector<Hash>> hash = reader->ReadHashes({StoredHashIndex(0, 1)});
  ASSERT_FALSE(hash.has_value());
  EXPECT_EQ(hash.error().code, ErrorCode::kUpstreamInvalid);
}

TEST(TileHashReaderTest, PassesReaderErrorsThrough) {
  TiledLog log;
  for (int i = 0; i < 5; ++i) log.Add("leaf " + std::to_string(i));
  std::map<Tile, std::string> none;
  MapTileReader tiles(none);
  std::unique_ptr<HashReader> reader = NewTileHashReader(Tree{5, log.roots().back()}, tiles);
  Result<std::vector<Hash>> hash = reader->ReadHashes({StoredHashIndex(0, 1)});
  ASSERT_FALSE(hash.has_value());
  EXPECT_EQ(hash.error().code, ErrorCode::kNotFound);
}

TEST(TileTest, HashFromTileRejectsIndexesOutsideTheTile) {
  TiledLog log;
  for (int i = 0; i < 8; ++i) log.Add("leaf " + std::to_string(i));
  const Tile first{2, 0, 0, 4};
  EXPECT_TRUE(HashFromTile(first, log.tiles()[first], StoredHashIndex(0, 3)).has_value());
  EXPECT_EQ(HashFromTile(first, log.tiles()[first], StoredHashIndex(0, 4)).error().code,
            ErrorCode::kInvalidArgument);
  const Tile narrow{2, 0, 0, 2};
  EXPECT_FALSE(HashFromTile(narrow, log.tiles()[narrow], StoredHashIndex(0, 2)).has_value());
  EXPECT_FALSE(HashFromTile(first, "short", StoredHashIndex(0, 0)).has_value());
}

}  // namespace
}  // namespace modproxy::tlog
