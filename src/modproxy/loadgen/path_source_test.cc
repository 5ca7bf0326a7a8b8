#include "modproxy/loadgen/path_source.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace modproxy::loadgen {
namespace {

namespace fs = std::filesystem;

// A fresh directory under the test temp dir, removed at the end.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "loadgen-test-XXXXXX").string();
    path_ = mkdtemp(pattern.data());
  }
  ~TempDir() { fs::remove_all(path_); }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const fs::path& path() const { return path_; }
  void Write(const std::string& rel, const std::string& content = "x") const {
    const fs::path file = path_ / rel;
    fs::create_directories(file.parent_path());
    std::ofstream(file) << content;
  }

 private:
  fs::path path_;
};

Endpoints All() { return {true, true, true, true}; }

TEST(PathSourceTest, ParsesEndpointLists) {
  Result<Endpoints> endpoints = ParseEndpoints("info,mod, list");
  ASSERT_TRUE(endpoints.has_value());
  EXPECT_TRUE(endpoints->info);
  EXPECT_TRUE(endpoints->mod);
  EXPECT_TRUE(endpoints->list);
  EXPECT_FALSE(endpoints->zip);
  EXPECT_TRUE(ParseEndpoints("zip")->zip);
  for (const char* bad : {"", "info,,mod", "latest", "INFO"}) {
    EXPECT_FALSE(ParseEndpoints(bad).has_value()) << bad;
  }
}

TEST(PathSourceTest, WalksAGoproxyTreeSkippingDotDirectories) {
  TempDir dir;
  dir.Write("github.com/!azure/x/@v/v1.0.0.info");
  dir.Write("github.com/!azure/x/@v/v1.0.0.mod");
  dir.Write("github.com/!azure/x/@v/v1.0.0.zip");
  dir.Write("github.com/!azure/x/@v/list");
  dir.Write("golang.org/x/text/@v/v0.3.7.info");
  dir.Write("golang.org/x/text/@v/v1.0.0+incompatible.mod");
  dir.Write("golang.org/x/text/@latest");
  dir.Write(".modproxy/tmp/example.com/a/@v/v1.0.0.info");
  dir.Write("example.com/.hidden/@v/v1.0.0.info");
  dir.Write("sumdb/sum.golang.org/latest");
  dir.Write("README.md");
  dir.Write("@v/list");  // no module path in front: not a GOPROXY file

  Result<std::vector<std::string>> paths = WalkCache(dir.path().string(), All());
  ASSERT_TRUE(paths.has_value()) << paths.error().message;
  EXPECT_EQ(*paths, (std::vector<std::string>{
                        "/github.com/!azure/x/@v/list",
                        "/github.com/!azure/x/@v/v1.0.0.info",
                        "/github.com/!azure/x/@v/v1.0.0.mod",
                        "/github.com/!azure/x/@v/v1.0.0.zip",
                        "/golang.org/x/text/@v/v0.3.7.info",
                        "/golang.org/x/text/@v/v1.0.0+incompatible.mod",
                    }));

  Result<std::vector<std::string>> info = WalkCache(dir.path().string(), *ParseEndpoints("info"));
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(*info, (std::vector<std::string>{"/github.com/!azure/x/@v/v1.0.0.info",
                                             "/golang.org/x/text/@v/v0.3.7.info"}));
}

TEST(PathSourceTest, PercentEncodesBytesThatCannotAppearInAPath) {
  TempDir dir;
  dir.Write("example.com/odd name%/@v/v1.0.0.info");
  Result<std::vector<std::string>> paths = WalkCache(dir.path().string(), All());
  ASSERT_TRUE(paths.has_value());
  EXPECT_EQ(*paths, std::vector<std::string>{"/example.com/odd%20name%25/@v/v1.0.0.info"});
}

TEST(PathSourceTest, WalkOfMissingDirectoryIsAnError) {
  Result<std::vector<std::string>> paths = WalkCache("/nonexistent/loadgen-test", All());
  ASSERT_FALSE(paths.has_value());
  EXPECT_NE(paths.error().message.find("/nonexistent/loadgen-test"), std::string::npos);
}

TEST(PathSourceTest, LoadsPathsFileSkippingBlanksAndComments) {
  TempDir dir;
  dir.Write("paths.txt",
            "# popular modules\n/github.com/!azure/x/@v/v1.0.0.info\r\n\n   \n"
            "  /golang.org/x/text/@v/list  \n#/commented/out\n");
  Result<std::vector<std::string>> paths = LoadPathsFile((dir.path() / "paths.txt").string());
  ASSERT_TRUE(paths.has_value()) << paths.error().message;
  EXPECT_EQ(*paths, (std::vector<std::string>{"/github.com/!azure/x/@v/v1.0.0.info",
                                              "/golang.org/x/text/@v/list"}));
}

TEST(PathSourceTest, PathsFileErrorsNameFileAndLine) {
  TempDir dir;
  dir.Write("paths.txt", "/ok\ngithub.com/no/slash\n");
  Result<std::vector<std::string>> paths = LoadPathsFile((dir.path() / "paths.txt").string());
  ASSERT_FALSE(paths.has_value());
  EXPECT_NE(paths.error().message.find("paths.txt:2"), std::string::npos) << paths.error().message;
  EXPECT_FALSE(LoadPathsFile((dir.path() / "missing.txt").string()).has_value());
}

TEST(PathSourceTest, BuiltinListIsEscapedAndFollowsEndpoints) {
  const std::vector<std::string> paths = BuiltinPaths(*ParseEndpoints("info,mod"));
  ASSERT_GE(paths.size(), 40u);
  EXPECT_NE(std::find(paths.begin(), paths.end(), "/github.com/pkg/errors/@v/v0.9.1.info"),
            paths.end());
  EXPECT_NE(std::find(paths.begin(), paths.end(), "/github.com/!burnt!sushi/toml/@v/v1.2.1.mod"),
            paths.end());
  for (const std::string& path : paths) {
    EXPECT_EQ(path.front(), '/');
    EXPECT_TRUE(path.ends_with(".info") || path.ends_with(".mod")) << path;
    EXPECT_EQ(path.find_first_of("ABCDEFGHIJKLMNOPQRSTUVWXYZ"), std::string::npos) << path;
  }
  const std::vector<std::string> lists = BuiltinPaths(*ParseEndpoints("list"));
  EXPECT_EQ(lists.size() * 2, paths.size());
  EXPECT_TRUE(lists.front().ends_with("/@v/list"));
}

}  // namespace
}  // namespace modproxy::loadgen
