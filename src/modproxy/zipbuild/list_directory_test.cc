#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "modproxy/zipbuild/test_files.h"
#include "modproxy/zipbuild/zipbuild.h"

namespace modproxy::zipbuild {
namespace {

using ::testing::ElementsAre;
using testing_files::Paths;

class ListDirectoryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = ::testing::TempDir() + "zipbuild-XXXXXX";
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    root_ = pattern;
  }
  void TearDown() override { std::filesystem::remove_all(root_); }

  void Write(const std::string& rel, const std::string& content = "x\n") {
    const std::filesystem::path path = std::filesystem::path(root_) / rel;
    std::filesystem::create_directories(path.parent_path());
    std::ofstream(path, std::ios::binary) << content;
  }

  std::vector<std::string> Listed() {
    Result<std::vector<SourceFile>> files = ListDirectory(root_);
    EXPECT_TRUE(files.has_value()) << files.error().message;
    return files ? Paths(*files) : std::vector<std::string>{};
  }

  std::string root_;
};

TEST_F(ListDirectoryTest, WalksInFilepathWalkOrder) {
  // Walk sorts the names of each directory: "a" (a directory) comes before
  // "a.go", although "a.go" < "a/x.go" as whole paths.
  Write("a.go");
  Write("a/x.go");
  Write("B.go");
  Write("go.mod", "module example.com/m\n");
  EXPECT_THAT(Listed(), ElementsAre("B.go", "a/x.go", "a.go", "go.mod"));
}

TEST_F(ListDirectoryTest, SkipsVcsDirectoriesButNotVcsFiles) {
  Write(".git/config");
  Write(".hg/store");
  Write(".svn/entries");
  Write(".bzr/branch");
  Write("sub/.git", "gitdir: elsewhere\n");
  Write(".gitignore");
  EXPECT_THAT(Listed(), ElementsAre(".gitignore", "sub/.git"));
}

TEST_F(ListDirectoryTest, SkipsNestedModulesAndVendoredPackages) {
  Write("go.mod");
  Write("nested/go.mod");
  Write("nested/x.go");
  Write("vendor/modules.txt");
  Write("vendor/a/b.go");
  Write("pkg/vendor/x.go");
  Write("notmod/go.mod/keep.go");  // a directory named go.mod does not make a module
  EXPECT_THAT(Listed(), ElementsAre("go.mod", "notmod/go.mod/keep.go", "vendor/modules.txt"));
}

TEST_F(ListDirectoryTest, ASymlinkedGoModStillMakesANestedModule) {
  Write("real.mod");
  Write("nested/x.go");
  ASSERT_EQ(::symlink("../real.mod", (root_ + "/nested/go.mod").c_str()), 0);
  EXPECT_THAT(Listed(), ElementsAre("real.mod"));
}

TEST_F(ListDirectoryTest, SkipsSymlinksAndFifosWithoutFollowingThem) {
  Write("dir/x.go");
  Write("y.go");
  ASSERT_EQ(::symlink("dir", (root_ + "/linkdir").c_str()), 0);
  ASSERT_EQ(::symlink("y.go", (root_ + "/a:b.go").c_str()), 0);  // never reaches the name check
  ASSERT_EQ(::mkfifo((root_ + "/fifo").c_str(), 0644), 0);
  EXPECT_THAT(Listed(), ElementsAre("dir/x.go", "y.go"));
}

TEST_F(ListDirectoryTest, ReportsLstatSizesAndReadsTheBytes) {
  Write("a.go", "package a\n");
  Result<std::vector<SourceFile>> files = ListDirectory(root_);
  ASSERT_TRUE(files.has_value()) << files.error().message;
  ASSERT_EQ(files->size(), 1u);
  EXPECT_EQ((*files)[0].kind, FileKind::kRegular);
  EXPECT_EQ((*files)[0].size, 10u);
  Result<std::string> bytes = (*files)[0].read();
  ASSERT_TRUE(bytes.has_value()) << bytes.error().message;
  EXPECT_EQ(*bytes, "package a\n");
}

TEST_F(ListDirectoryTest, AMissingDirectoryIsNotFound) {
  Result<std::vector<SourceFile>> files = ListDirectory(root_ + "/missing");
  ASSERT_FALSE(files.has_value());
  EXPECT_EQ(files.error().code, ErrorCode::kNotFound);
}

TEST_F(ListDirectoryTest, AnUnreadableDirectoryFailsTheWalk) {
  if (::geteuid() == 0) GTEST_SKIP() << "root reads every directory";
  Write("locked/x.go");
  ASSERT_EQ(::chmod((root_ + "/locked").c_str(), 0), 0);
  Result<std::vector<SourceFile>> files = ListDirectory(root_);
  ::chmod((root_ + "/locked").c_str(), 0755);
  ASSERT_FALSE(files.has_value());
  EXPECT_EQ(files.error().code, ErrorCode::kStorage);
}

}  // namespace
}  // namespace modproxy::zipbuild
