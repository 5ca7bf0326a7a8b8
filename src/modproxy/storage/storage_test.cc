#include "modproxy/storage/storage.h"

#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "modproxy/storage/dir_syncer.h"

namespace modproxy::storage {
namespace {

namespace fs = std::filesystem;

std::string TempDir() {
  std::string pattern = (fs::temp_directory_path() / "modproxy-storage-XXXXXX").string();
  return ::mkdtemp(pattern.data());
}

// One contract, every backend.
class StorageContractTest : public testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (GetParam() == "memory") {
      storage_ = NewMemoryStorage();
    } else {
      root_ = TempDir();
      Result<std::unique_ptr<Storage>> disk = NewDiskStorage({root_});
      ASSERT_TRUE(disk.has_value()) << disk.error().message;
      storage_ = std::move(*disk);
    }
  }
  void TearDown() override {
    if (!root_.empty()) fs::remove_all(root_);
  }

  std::string root_;
  std::unique_ptr<Storage> storage_;
};

TEST_P(StorageContractTest, MissingKeyIsNotFound) {
  Result<std::string> got = storage_->Get("example.com/a/@v/v1.0.0.mod");
  ASSERT_FALSE(got.has_value());
  EXPECT_EQ(got.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(storage_->Stat("example.com/a/@v/list").error().code, ErrorCode::kNotFound);
}

TEST_P(StorageContractTest, PutThenGetAndStat) {
  ASSERT_TRUE(storage_->Put("example.com/a/@v/v1.0.0.mod", "module example.com/a\n"));
  Result<std::string> got = storage_->Get("example.com/a/@v/v1.0.0.mod");
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(*got, "module example.com/a\n");
  EXPECT_EQ(storage_->Stat("example.com/a/@v/v1.0.0.mod")->size, 21u);
}

TEST_P(StorageContractTest, WriterIsInvisibleUntilCommit) {
  Result<std::unique_ptr<BlobWriter>> writer = storage_->OpenWrite("m.com/x/@v/v1.0.0.zip");
  ASSERT_TRUE(writer.has_value());
  ASSERT_TRUE((*writer)->Write("PK"));
  EXPECT_FALSE(storage_->Get("m.com/x/@v/v1.0.0.zip").has_value());
  EXPECT_TRUE(fs::exists((*writer)->staging_path()));
  ASSERT_TRUE((*writer)->Commit());
  EXPECT_EQ(*storage_->Get("m.com/x/@v/v1.0.0.zip"), "PK");
}

TEST_P(StorageContractTest, AbandonedWriterLeavesNothing) {
  std::string staged;
  {
    Result<std::unique_ptr<BlobWriter>> writer = storage_->OpenWrite("m.com/x/@v/v1.0.0.zip");
    ASSERT_TRUE(writer.has_value());
    ASSERT_TRUE((*writer)->Write("partial"));
    staged = (*writer)->staging_path();
  }
  EXPECT_FALSE(storage_->Stat("m.com/x/@v/v1.0.0.zip").has_value());
  EXPECT_FALSE(fs::exists(staged));
}

TEST_P(StorageContractTest, StreamsLargeObjectsInChunks) {
  std::string big(3 * 1024 * 1024 + 7, 'z');
  ASSERT_TRUE(storage_->Put("m.com/x/@v/v1.0.0.zip", big));
  Result<std::unique_ptr<BlobReader>> reader = storage_->OpenRead("m.com/x/@v/v1.0.0.zip");
  ASSERT_TRUE(reader.has_value());
  EXPECT_EQ((*reader)->size(), big.size());
  std::string back;
  char buffer[65536];
  for (;;) {
    Result<std::size_t> n = (*reader)->Read(buffer, sizeof buffer);
    ASSERT_TRUE(n.has_value());
    if (*n == 0) break;
    back.append(buffer, *n);
  }
  EXPECT_EQ(back, big);
}

TEST_P(StorageContractTest, ListDirNamesDirectChildrenOnly) {
  ASSERT_TRUE(storage_->Put("m.com/x/@v/v1.0.0.info", "{}"));
  ASSERT_TRUE(storage_->Put("m.com/x/@v/v1.1.0.info", "{}"));
  ASSERT_TRUE(storage_->Put("m.com/x/sub/@v/v1.0.0.info", "{}"));
  Result<std::vector<std::string>> names = storage_->ListDir("m.com/x/@v");
  ASSERT_TRUE(names.has_value());
  std::sort(names->begin(), names->end());
  EXPECT_EQ(*names, (std::vector<std::string>{"v1.0.0.info", "v1.1.0.info"}));
  EXPECT_TRUE(storage_->ListDir("absent.com/y/@v")->empty());
}

TEST_P(StorageContractTest, PutReplacesAtomically) {
  ASSERT_TRUE(storage_->Put("m.com/x/@v/list", "v1.0.0\n"));
  ASSERT_TRUE(storage_->Put("m.com/x/@v/list", "v1.0.0\nv1.1.0\n"));
  EXPECT_EQ(*storage_->Get("m.com/x/@v/list"), "v1.0.0\nv1.1.0\n");
}

TEST_P(StorageContractTest, ReaderTellsWhenTheObjectWasStored) {
  const auto before = std::chrono::system_clock::now();
  ASSERT_TRUE(storage_->Put("m.com/x/@v/list", "v1.0.0\n"));
  const auto after = std::chrono::system_clock::now();
  Result<std::unique_ptr<BlobReader>> reader = storage_->OpenRead("m.com/x/@v/list");
  ASSERT_TRUE(reader.has_value());
  EXPECT_EQ((*reader)->modified(), storage_->Stat("m.com/x/@v/list")->modified);
  // File systems stamp with a coarse clock: allow it to lag a little.
  EXPECT_GE((*reader)->modified(), before - std::chrono::seconds(1));
  EXPECT_LE((*reader)->modified(), after);
}

INSTANTIATE_TEST_SUITE_P(Backends, StorageContractTest, testing::Values("memory", "disk"));

TEST(DiskStorageTest, LaysOutAGoproxyTreeWithBookkeepingInDotDir) {
  std::string root = TempDir();
  Result<std::unique_ptr<Storage>> disk = NewDiskStorage({root});
  ASSERT_TRUE(disk.has_value());
  ASSERT_TRUE((*disk)->Put("github.com/!burnt!sushi/toml/@v/v1.0.0.mod", "module x\n"));
  EXPECT_TRUE(fs::is_regular_file(root + "/github.com/!burnt!sushi/toml/@v/v1.0.0.mod"));
  for (const auto& entry : fs::recursive_directory_iterator(root)) {
    if (!entry.is_regular_file()) continue;
    std::string rel = fs::relative(entry.path(), root).string();
    EXPECT_EQ(rel, "github.com/!burnt!sushi/toml/@v/v1.0.0.mod");
  }
  fs::remove_all(root);
}

// modproxy verify opens a cache a running server may be writing to.
TEST(DiskStorageTest, ToolsOpeningTheCacheLeaveTempFilesAlone) {
  std::string root = TempDir();
  fs::create_directories(root + "/.modproxy/tmp");
  std::ofstream(root + "/.modproxy/tmp/123-4-5") << "a zip being downloaded";
  Result<std::unique_ptr<Storage>> disk = NewDiskStorage({root, /*clear_temp_files=*/false});
  ASSERT_TRUE(disk.has_value());
  EXPECT_TRUE(fs::exists(root + "/.modproxy/tmp/123-4-5"));
  fs::remove_all(root);
}

TEST(DiskStorageTest, StartUpRemovesTempFilesOfAKilledProcess) {
  std::string root = TempDir();
  fs::create_directories(root + "/.modproxy/tmp");
  std::ofstream(root + "/.modproxy/tmp/123-4-5") << "half a zip";
  Result<std::unique_ptr<Storage>> disk = NewDiskStorage({root});
  ASSERT_TRUE(disk.has_value());
  EXPECT_TRUE(fs::is_empty(root + "/.modproxy/tmp"));
  fs::remove_all(root);
}

}  // namespace
}  // namespace modproxy::storage

namespace modproxy::storage {
namespace {

TEST(DirSyncerTest, SyncsEveryQueuedDirectoryAndReportsFailures) {
  const std::string root = TempDir();
  DirSyncer syncer;
  for (int i = 0; i < 50; ++i) syncer.Queue(root);  // one directory, queued many times
  syncer.Queue(root + "/does-not-exist");
  syncer.Drain();
  EXPECT_EQ(syncer.failures(), 1u);
}

TEST(DiskStorageTest, CommittedFileIsVisibleBeforeItsDirectoryIsSynced) {
  const std::string root = TempDir();
  Result<std::unique_ptr<Storage>> storage = NewDiskStorage({root});
  ASSERT_TRUE(storage.has_value());
  ASSERT_TRUE((*storage)->Put("example.com/m/@v/v1.0.0.info", "{}"));
  // Visible to the next reader at once, whatever the background sync does.
  EXPECT_EQ(*(*storage)->Get("example.com/m/@v/v1.0.0.info"), "{}");
  struct stat st {};
  EXPECT_EQ(::stat((root + "/example.com/m/@v/v1.0.0.info").c_str(), &st), 0);
}

}  // namespace
}  // namespace modproxy::storage
