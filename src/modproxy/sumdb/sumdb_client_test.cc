#include "modproxy/sumdb/sumdb_client.h"

#include <algorithm>
#include <atomic>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "modproxy/sumdb/test_database.h"

namespace modproxy::sumdb {
namespace {

// ClientOps over a TestDatabase (which can be swapped for another, as a
// misbehaving server would), with per-path overrides and an in-memory latest.
class FakeOps final : public ClientOps {
 public:
  explicit FakeOps(const TestDatabase* db) : db_(db) {}

  Result<std::string> ReadRemote(std::string_view path) override {
    std::lock_guard<std::mutex> lock(mutex_);
    reads_.emplace_back(path);
    if (const auto found = overrides_.find(std::string(path)); found != overrides_.end()) {
      return found->second;
    }
    // Like a database that drops a partial tile once the full one exists.
    if (const std::size_t p = path.find(".p/"); only_full_tiles_ && p != std::string_view::npos &&
                                                db_->Serve(path.substr(0, p)).has_value()) {
      return MakeError(ErrorCode::kNotFound, "not found: tile completed");
    }
    return db_->Serve(path);
  }
  Result<std::string> ReadLatest() override {
    std::lock_guard<std::mutex> lock(mutex_);
    return latest_;
  }
  Result<bool> WriteLatest(std::string_view expected_old, std::string_view note) override {
    std::function<void()> hook;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      hook = std::move(before_write_);
      before_write_ = nullptr;
    }
    if (hook) hook();
    std::lock_guard<std::mutex> lock(mutex_);
    if (latest_ != expected_old) return false;
    latest_ = std::string(note);
    ++writes_;
    return true;
  }

  void set_database(const TestDatabase* db) {
    std::lock_guard<std::mutex> lock(mutex_);
    db_ = db;
  }
  void Override(const std::string& path, Result<std::string> body) {
    std::lock_guard<std::mutex> lock(mutex_);
    overrides_.insert_or_assign(path, std::move(body));
  }
  void set_only_full_tiles(bool only) { only_full_tiles_ = only; }
  void set_latest(std::string note) {
    std::lock_guard<std::mutex> lock(mutex_);
    latest_ = std::move(note);
  }
  // Runs once, at the start of the next WriteLatest (another writer racing us).
  void set_before_write(std::function<void()> hook) {
    std::lock_guard<std::mutex> lock(mutex_);
    before_write_ = std::move(hook);
  }
  std::string latest() {
    std::lock_guard<std::mutex> lock(mutex_);
    return latest_;
  }
  std::vector<std::string> reads() {
    std::lock_guard<std::mutex> lock(mutex_);
    return reads_;
  }
  int writes() {
    std::lock_guard<std::mutex> lock(mutex_);
    return writes_;
  }

 private:
  std::mutex mutex_;
  const TestDatabase* db_;
  std::map<std::string, Result<std::string>> overrides_;
  std::atomic<bool> only_full_tiles_ = false;
  std::string latest_;
  std::vector<std::string> reads_;
  int writes_ = 0;
  std::function<void()> before_write_;
};

std::string Module(int i) { return "example.com/m" + std::to_string(i); }

void AddModules(TestDatabase& db, int from, int to) {
  for (int i = from; i < to; ++i) db.AddModule(Module(i), "v1.0.0");
}

void ExpectOneLine(const Error& error) {
  EXPECT_EQ(error.message.find('\n'), std::string::npos) << error.message;
}

void ExpectSecurityError(const Result<std::vector<std::string>>& result,
                         std::string_view words = "") {
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().code, ErrorCode::kIntegrity) << result.error().message;
  EXPECT_EQ(result.error().message.rfind("SECURITY ERROR", 0), 0u) << result.error().message;
  EXPECT_NE(result.error().message.find(words), std::string::npos) << result.error().message;
  ExpectOneLine(result.error());
}

void ExpectVerified(const Result<std::vector<std::string>>& lines, const std::string& module) {
  ASSERT_TRUE(lines.has_value()) << lines.error().message;
  EXPECT_EQ(*lines, TestDatabase::GoSumLines(module, "v1.0.0"));
}

TEST(SumdbClientTest, VerifiesALookupAndStoresTheTree) {
  TestDatabase db("sum.test");
  AddModules(db, 0, 10);
  FakeOps ops(&db);
  SumdbClient client(db.verifier(), ops);

  ExpectVerified(client.Lookup(Module(3), "v1.0.0"), Module(3));
  EXPECT_EQ(ops.latest(), db.SignedTree());
  EXPECT_EQ(ops.reads(),
            (std::vector<std::string>{"lookup/example.com/m3@v1.0.0", "tile/8/0/000.p/10"}));
  // A second lookup in the same tree needs no tile: the tile is authenticated.
  ExpectVerified(client.Lookup(Module(7), "v1.0.0"), Module(7));
  EXPECT_EQ(ops.reads().size(), 3u);
  EXPECT_EQ(ops.writes(), 1);
}

TEST(SumdbClientTest, EscapesModulePathsAndVersions) {
  TestDatabase db("sum.test");
  db.AddModule("github.com/BurntSushi/toml", "v1.0.0-RC1");
  FakeOps ops(&db);
  SumdbClient client(db.verifier(), ops);
  Result<std::vector<std::string>> lines =
      client.Lookup("github.com/BurntSushi/toml", "v1.0.0-RC1");
  ASSERT_TRUE(lines.has_value()) << lines.error().message;
  EXPECT_EQ(*lines, TestDatabase::GoSumLines("github.com/BurntSushi/toml", "v1.0.0-RC1"));
  EXPECT_EQ(ops.reads().front(), "lookup/github.com/!burnt!sushi/toml@v1.0.0-!r!c1");
}

TEST(SumdbClientTest, FollowsTheTreeAsItGrowsThroughFullAndPartialTiles) {
  TestDatabase db("sum.test");
  AddModules(db, 0, 10);
  FakeOps ops(&db);
  SumdbClient client(db.verifier(), ops);
  ExpectVerified(client.Lookup(Module(3), "v1.0.0"), Module(3));
  const std::string old_lookup = *db.Serve("lookup/example.com/m3@v1.0.0");

  // 600 records: two full level-0 tiles, a level-1 tile; the old tree is
  // proved a prefix of the new one.
  AddModules(db, 10, 600);
  ExpectVerified(client.Lookup(Module(500), "v1.0.0"), Module(500));
  EXPECT_EQ(ops.latest(), db.SignedTree());

  // An answer signed with the older tree (a cached lookup) is still fine:
  // that tree is proved a prefix of the latest.
  ops.Override("lookup/example.com/m3@v1.0.0", old_lookup);
  ExpectVerified(client.Lookup(Module(3), "v1.0.0"), Module(3));
  EXPECT_EQ(ops.latest(), db.SignedTree());
  EXPECT_EQ(ops.writes(), 2);
}

TEST(SumdbClientTest, FallsBackToTheFullTileWhenAPartialOneIsNotServed) {
  TestDatabase db("sum.test");
  AddModules(db, 0, 300);
  FakeOps ops(&db);
  {
    SumdbClient first(db.verifier(), ops);
    ExpectVerified(first.Lookup(Module(299), "v1.0.0"), Module(299));
  }
  const std::string lookup300 = *db.Serve("lookup/example.com/m299@v1.0.0");
  AddModules(db, 300, 520);
  // A cached answer signed with tree 300: proving record 299 in it needs
  // tile/8/0/001.p/44, which the database now serves only as tile/8/0/001.
  ops.set_only_full_tiles(true);
  ops.Override("lookup/example.com/m299@v1.0.0", lookup300);
  SumdbClient client(db.verifier(), ops);
  ExpectVerified(client.Lookup(Module(299), "v1.0.0"), Module(299));
  const std::vector<std::string> reads = ops.reads();
  EXPECT_NE(std::find(reads.begin(), reads.end(), "tile/8/0/001.p/44"), reads.end());
  EXPECT_EQ(reads.back(), "tile/8/0/001");
}

TEST(SumdbClientTest, RefusesATreeSignedByAnotherKey) {
  TestDatabase db("sum.test");
  TestDatabase impostor("sum.test", "another key");
  AddModules(db, 0, 3);
  AddModules(impostor, 0, 3);
  FakeOps ops(&impostor);
  SumdbClient client(db.verifier(), ops);
  ExpectSecurityError(client.Lookup(Module(1), "v1.0.0"), "no signature by key sum.test+");
  EXPECT_EQ(ops.latest(), "");
}

TEST(SumdbClientTest, RefusesANoteWithoutTheVerifiersSignature) {
  TestDatabase db("sum.test");
  TestDatabase other("other.test");
  AddModules(db, 0, 3);
  AddModules(other, 0, 3);
  FakeOps ops(&other);
  SumdbClient client(db.verifier(), ops);
  ExpectSecurityError(client.Lookup(Module(1), "v1.0.0"), "other.test+");
  EXPECT_EQ(ops.latest(), "");
}

TEST(SumdbClientTest, RefusesABadSignatureByTheVerifier) {
  TestDatabase db("sum.test");
  AddModules(db, 0, 3);
  FakeOps ops(&db);
  std::string body = *db.Serve("lookup/example.com/m1@v1.0.0");
  body[body.size() - 10] = body[body.size() - 10] == 'A' ? 'B' : 'A';
  ops.Override("lookup/example.com/m1@v1.0.0", body);
  SumdbClient client(db.verifier(), ops);
  ExpectSecurityError(client.Lookup(Module(1), "v1.0.0"), "invalid signature");
  EXPECT_EQ(ops.latest(), "");
}

TEST(SumdbClientTest, DetectsAForkOfTheSameSizeAndKeepsTheVerifiedTree) {
  TestDatabase db("sum.test");
  TestDatabase fork("sum.test");  // same key, different history
  AddModules(db, 0, 10);
  fork.AddModule("example.com/evil", "v1.0.0");
  AddModules(fork, 1, 10);
  FakeOps ops(&db);
  SumdbClient client(db.verifier(), ops);
  ExpectVerified(client.Lookup(Module(3), "v1.0.0"), Module(3));
  const std::string verified = ops.latest();

  ops.set_database(&fork);
  ExpectSecurityError(client.Lookup(Module(3), "v1.0.0"),
                      "checksum database sum.test tree 10 is inconsistent with tree 10 verified "
                      "earlier");
  EXPECT_EQ(ops.latest(), verified);
}

TEST(SumdbClientTest, DetectsANewTreeThatDoesNotContainTheVerifiedOne) {
  TestDatabase db("sum.test");
  TestDatabase fork("sum.test");
  AddModules(db, 0, 10);
  fork.AddModule("example.com/evil", "v1.0.0");
  AddModules(fork, 1, 40);
  FakeOps ops(&db);
  SumdbClient client(db.verifier(), ops);
  ExpectVerified(client.Lookup(Module(3), "v1.0.0"), Module(3));
  const std::string verified = ops.latest();

  ops.set_database(&fork);
  ExpectSecurityError(client.Lookup(Module(20), "v1.0.0"),
                      "tree 40 is inconsistent with tree 10 verified earlier");
  EXPECT_EQ(ops.latest(), verified);
  // Still refused later: the bad tree was never adopted.
  ExpectSecurityError(client.Lookup(Module(30), "v1.0.0"), "inconsistent");
  EXPECT_EQ(ops.latest(), verified);
}

TEST(SumdbClientTest, DetectsAnOlderTreeThatIsNotAPrefixOfTheVerifiedOne) {
  TestDatabase db("sum.test");
  TestDatabase fork("sum.test");
  AddModules(db, 0, 40);
  fork.AddModule("example.com/evil", "v1.0.0");
  AddModules(fork, 1, 10);
  FakeOps ops(&db);
  SumdbClient client(db.verifier(), ops);
  ExpectVerified(client.Lookup(Module(3), "v1.0.0"), Module(3));
  const std::string verified = ops.latest();

  ops.set_database(&fork);
  ExpectSecurityError(client.Lookup(Module(3), "v1.0.0"),
                      "tree 10 is inconsistent with tree 40 verified earlier");
  EXPECT_EQ(ops.latest(), verified);
}

TEST(SumdbClientTest, RefusesARecordForAnotherModule) {
  TestDatabase db("sum.test");
  AddModules(db, 0, 3);
  db.Add("example.com/a", "v1.0.0",
         "example.com/b v1.0.0 h1:L/nIJOxRkFmfc5xWc5zi2OY88eOj1UIHImdsCpyL6Sw=\n"
         "example.com/b v1.0.0/go.mod h1:/e89k18/YPK2tKb/SZ+fXRKQE7ccT7r6I4hbIHESRTc=\n");
  db.Add("example.com/c", "v1.0.0",
         "example.com/c v1.0.0 h1:L/nIJOxRkFmfc5xWc5zi2OY88eOj1UIHImdsCpyL6Sw=\n"
         "example.com/c v1.0.01/go.mod h1:/e89k18/YPK2tKb/SZ+fXRKQE7ccT7r6I4hbIHESRTc=\n");
  FakeOps ops(&db);
  SumdbClient client(db.verifier(), ops);
  ExpectSecurityError(client.Lookup("example.com/a", "v1.0.0"), "\"example.com/b v1.0.0\"");
  ExpectSecurityError(client.Lookup("example.com/c", "v1.0.0"), "example.com/c v1.0.01/go.mod");
}

TEST(SumdbClientTest, RefusesARecordThatIsNotInTheSignedTree) {
  TestDatabase db("sum.test");
  AddModules(db, 0, 5);
  FakeOps ops(&db);
  const std::string body = *db.Serve("lookup/example.com/m1@v1.0.0");
  const std::string note = body.substr(body.find("\n\n") + 2);
  const std::string lines = body.substr(2, body.find("\n\n") - 1);

  // Another record text under the same id.
  const std::string changed = "1\n" + TestDatabase::GoSumLines(Module(1), "v1.0.0")[0] + "\n" +
                              Module(1) + " v1.0.0/go.mod h1:AAAA\n\n" + note;
  ops.Override("lookup/example.com/m1@v1.0.0", changed);
  SumdbClient client(db.verifier(), ops);
  ExpectSecurityError(client.Lookup(Module(1), "v1.0.0"), "is not the record 1");

  // A record id past the end of the tree.
  ops.Override("lookup/example.com/m1@v1.0.0", "5\n" + lines + "\n" + note);
  ExpectSecurityError(client.Lookup(Module(1), "v1.0.0"), "record 5 is not in its signed tree 5");
}

TEST(SumdbClientTest, RefusesTilesThatDoNotHashToTheSignedTree) {
  TestDatabase db("sum.test");
  AddModules(db, 0, 10);
  FakeOps ops(&db);
  std::string tile = *db.Serve("tile/8/0/000.p/10");
  tile[40] ^= 1;
  ops.Override("tile/8/0/000.p/10", tile);
  SumdbClient client(db.verifier(), ops);
  ExpectSecurityError(client.Lookup(Module(3), "v1.0.0"), "tiles do not hash to the signed tree");
}

TEST(SumdbClientTest, PassesNotFoundAndGoneThrough) {
  TestDatabase db("sum.test");
  AddModules(db, 0, 3);
  FakeOps ops(&db);
  SumdbClient client(db.verifier(), ops);
  Result<std::vector<std::string>> missing = client.Lookup("example.com/nope", "v1.0.0");
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
  ops.Override("lookup/example.com/gone@v1.0.0", MakeError(ErrorCode::kGone, "gone"));
  EXPECT_EQ(client.Lookup("example.com/gone", "v1.0.0").error().code, ErrorCode::kGone);
  ops.Override("lookup/example.com/slow@v1.0.0", MakeError(ErrorCode::kTimeout, "slow"));
  EXPECT_EQ(client.Lookup("example.com/slow", "v1.0.0").error().code, ErrorCode::kTimeout);
  EXPECT_EQ(ops.latest(), "");
}

TEST(SumdbClientTest, AMissingTileIsNotAMissingModule) {
  TestDatabase db("sum.test");
  AddModules(db, 0, 3);
  FakeOps ops(&db);
  ops.Override("tile/8/0/000.p/3", MakeError(ErrorCode::kNotFound, "not found"));
  ops.Override("tile/8/0/000", MakeError(ErrorCode::kNotFound, "not found"));
  SumdbClient client(db.verifier(), ops);
  Result<std::vector<std::string>> lines = client.Lookup(Module(1), "v1.0.0");
  ASSERT_FALSE(lines.has_value());
  EXPECT_EQ(lines.error().code, ErrorCode::kUpstreamInvalid) << lines.error().message;
  ExpectOneLine(lines.error());
}

TEST(SumdbClientTest, MalformedAnswersAreUpstreamErrors) {
  TestDatabase db("sum.test");
  AddModules(db, 0, 3);
  FakeOps ops(&db);
  SumdbClient client(db.verifier(), ops);
  const std::string body = *db.Serve("lookup/example.com/m1@v1.0.0");
  for (const std::string& bad : {std::string("garbage"), body.substr(0, body.find("\n\n") + 2),
                                 body.substr(0, body.size() - 1), "x" + body}) {
    ops.Override("lookup/example.com/m1@v1.0.0", bad);
    Result<std::vector<std::string>> lines = client.Lookup(Module(1), "v1.0.0");
    ASSERT_FALSE(lines.has_value()) << bad;
    EXPECT_EQ(lines.error().code, ErrorCode::kUpstreamInvalid) << lines.error().message;
    ExpectOneLine(lines.error());
  }
}

TEST(SumdbClientTest, ASecondClientChecksAgainstTheStoredTree) {
  TestDatabase db("sum.test");
  TestDatabase fork("sum.test");
  AddModules(db, 0, 10);
  fork.AddModule("example.com/evil", "v1.0.0");
  AddModules(fork, 1, 12);
  FakeOps ops(&db);
  {
    SumdbClient first(db.verifier(), ops);
    ExpectVerified(first.Lookup(Module(3), "v1.0.0"), Module(3));
  }
  const std::string verified = ops.latest();
  ops.set_database(&fork);
  SumdbClient second(db.verifier(), ops);
  ExpectSecurityError(second.Lookup(Module(3), "v1.0.0"),
                      "tree 12 is inconsistent with tree 10 verified earlier");
  EXPECT_EQ(ops.latest(), verified);

  AddModules(db, 10, 20);
  ops.set_database(&db);
  SumdbClient third(db.verifier(), ops);
  ExpectVerified(third.Lookup(Module(15), "v1.0.0"), Module(15));
  EXPECT_EQ(ops.latest(), db.SignedTree());
}

TEST(SumdbClientTest, AStoredNoteByAnotherKeyIsRefused) {
  TestDatabase db("sum.test");
  TestDatabase impostor("sum.test", "another key");
  AddModules(db, 0, 3);
  FakeOps ops(&db);
  ops.set_latest(impostor.SignedTree());
  SumdbClient client(db.verifier(), ops);
  ExpectSecurityError(client.Lookup(Module(1), "v1.0.0"), "stored latest");
  ops.set_latest("not a note");
  SumdbClient client2(db.verifier(), ops);
  EXPECT_EQ(client2.Lookup(Module(1), "v1.0.0").error().code, ErrorCode::kStorage);
}

TEST(SumdbClientTest, MergesATreeAnotherClientStoredMeanwhile) {
  TestDatabase db("sum.test");
  AddModules(db, 0, 10);
  FakeOps ops(&db);
  SumdbClient client(db.verifier(), ops);
  const std::string lookup10 = *db.Serve("lookup/example.com/m3@v1.0.0");
  AddModules(db, 10, 30);
  const std::string tree30 = db.SignedTree();
  // While this client stores tree 10, another one stores tree 30 first.
  ops.Override("lookup/example.com/m3@v1.0.0", lookup10);
  ops.set_before_write([&] { ops.set_latest(tree30); });
  ExpectVerified(client.Lookup(Module(3), "v1.0.0"), Module(3));
  EXPECT_EQ(ops.latest(), tree30);
}

TEST(SumdbClientTest, ConcurrentLookupsWhileTheDatabaseGrows) {
  TestDatabase db("sum.test");
  AddModules(db, 0, 20);
  FakeOps ops(&db);
  SumdbClient client(db.verifier(), ops);
  std::atomic<int> failures = 0;
  std::vector<std::thread> threads;
  threads.reserve(4);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 25; ++i) {
        Result<std::vector<std::string>> lines = client.Lookup(Module((t * 5 + i) % 20), "v1.0.0");
        if (!lines) {
          ADD_FAILURE() << lines.error().message;
          ++failures;
        }
      }
    });
  }
  for (int i = 20; i < 300; ++i) db.AddModule(Module(i), "v1.0.0");
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(failures, 0);
  ExpectVerified(client.Lookup(Module(299), "v1.0.0"), Module(299));
  EXPECT_EQ(ops.latest(), db.SignedTree());
}

}  // namespace
}  // namespace modproxy::sumdb
