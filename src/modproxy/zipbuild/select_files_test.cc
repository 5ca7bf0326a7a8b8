#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "modproxy/zipbuild/test_files.h"
#include "modproxy/zipbuild/zip_names.h"
#include "modproxy/zipbuild/zipbuild.h"

// Expected messages are x/mod v0.7.0's zip.Create errors for the same inputs
// (printed by a Go program over the same file lists).
namespace modproxy::zipbuild {
namespace {

using ::testing::ElementsAre;
using testing_files::Other;
using testing_files::Paths;
using testing_files::Regular;
using testing_files::Sized;
using testing_files::Symlink;

constexpr char kModule[] = "example.com/m";
constexpr char kVersion[] = "v1.0.0";
constexpr std::uint64_t kMiB = std::uint64_t{1} << 20;

std::vector<std::string> Selected(std::vector<SourceFile> files) {
  Result<std::vector<SourceFile>> selected = SelectModuleFiles(kModule, kVersion, std::move(files));
  EXPECT_TRUE(selected.has_value()) << selected.error().message;
  return selected ? Paths(*selected) : std::vector<std::string>{};
}

std::string Refusal(std::vector<SourceFile> files) {
  Result<std::vector<SourceFile>> selected = SelectModuleFiles(kModule, kVersion, std::move(files));
  if (selected) return "selected: " + ::testing::PrintToString(Paths(*selected));
  EXPECT_EQ(selected.error().code, ErrorCode::kNotFound);
  return selected.error().message;
}

TEST(SelectModuleFilesTest, KeepsRegularFilesInTheirOrder) {
  EXPECT_THAT(
      Selected({Regular("z.go"), Regular("go.mod"), Regular("a/b/c.go"), Regular("LICENSE"),
                Regular(".gitignore"), Regular("sub/.hg_archival.txt")}),
      ElementsAre("z.go", "go.mod", "a/b/c.go", "LICENSE", ".gitignore", "sub/.hg_archival.txt"));
}

TEST(SelectModuleFilesTest, OmitsVendoredPackagesWithGoOneNineteensRule) {
  EXPECT_THAT(
      Selected({Regular("vendor/modules.txt"), Regular("vendor/x.go"), Regular("vendor/a/b.go"),
                Regular("pkg/vendor/x.go"), Regular("pkg/vendor/a/b.go"), Regular("vendorx/a/b.go"),
                Regular("pkg/vendor")}),
      ElementsAre("vendor/modules.txt", "vendor/x.go", "vendorx/a/b.go", "pkg/vendor"));
}

TEST(SelectModuleFilesTest, OnlyALowercaseVendorDirectoryVendors) {
  EXPECT_THAT(Selected({Regular("Vendor/a/b.go"), Regular("x/VENDOR/a/b.go")}),
              ElementsAre("Vendor/a/b.go", "x/VENDOR/a/b.go"));
}

TEST(SelectModuleFilesTest, OmitsNestedModulesIncludingTheirGoMod) {
  EXPECT_THAT(Selected({Regular("go.mod"), Regular("sub/go.mod"), Regular("sub/x.go"),
                        Regular("sub/deep/y.go"), Regular("other/GO.MOD"), Regular("other/x.go"),
                        Regular("subx/x.go")}),
              ElementsAre("go.mod", "subx/x.go"));
}

TEST(SelectModuleFilesTest, ASymlinkedGoModDoesNotMakeANestedModule) {
  EXPECT_THAT(Selected({Symlink("link/go.mod"), Regular("link/x.go")}), ElementsAre("link/x.go"));
}

TEST(SelectModuleFilesTest, OmitsHgArchivalTxtOnlyAtTheRoot) {
  EXPECT_THAT(Selected({Regular(".hg_archival.txt"), Regular("a/.hg_archival.txt")}),
              ElementsAre("a/.hg_archival.txt"));
}

TEST(SelectModuleFilesTest, OmitsSymlinksAndOtherIrregularFiles) {
  EXPECT_THAT(Selected({Symlink("link.go"), Other("fifo"), Regular("x.go")}), ElementsAre("x.go"));
}

TEST(SelectModuleFilesTest, KeepsVcsDirectoriesThatCreateIsGiven) {
  // Only CreateFromDir's walk prunes them (ListDirectory).
  EXPECT_THAT(Selected({Regular(".git/config"), Regular(".hg/x")}),
              ElementsAre(".git/config", ".hg/x"));
}

TEST(SelectModuleFilesTest, ReportsEveryInvalidFileWithGosMessages) {
  EXPECT_EQ(Refusal({Regular("a/../b.go"), Regular("./a.go"), Regular("/a.go"), Regular("a:b.go"),
                     Regular("GO.MOD"), Regular("b.go"), Regular("B.go"), Regular("a/x.go"),
                     Regular("A/y.go"), Regular("f"), Regular("f/b.go"), Regular("x.go"),
                     Regular("x.go"), Symlink("bad:link"), Regular("s.go"), Regular("\xc5\xbf.go"),
                     Regular("h\xc3\xa9llo.go"), Regular("tab\tx.go")}),
            "create zip: a/../b.go: file path is not clean\n"
            "./a.go: file path is not clean\n"
            "/a.go: file path is not relative\n"
            "a:b.go: malformed file path \"a:b.go\": invalid char ':'\n"
            "GO.MOD: go.mod files must have lowercase names\n"
            "B.go: case-insensitive file name collision: \"b.go\" and \"B.go\"\n"
            "A/y.go: case-insensitive file name collision: \"a\" and \"A\"\n"
            "f/b.go: entry \"f\" is both a file and a directory\n"
            "x.go: multiple entries for file \"x.go\"\n"
            "bad:link: malformed file path \"bad:link\": invalid char ':'\n"
            "\xc5\xbf.go: case-insensitive file name collision: \"s.go\" and \"\xc5\xbf.go\"\n"
            "tab\tx.go: malformed file path \"tab\\tx.go\": invalid char '\\t'");
}

TEST(SelectModuleFilesTest, ASymlinkWithAnInvalidNameIsFatal) {
  EXPECT_EQ(Refusal({Regular("x.go"), Symlink("a:b")}),
            "create zip: a:b: malformed file path \"a:b\": invalid char ':'");
}

TEST(SelectModuleFilesTest, AnInvalidNameInsideANestedModuleOrVendoredPackageIsOmitted) {
  EXPECT_THAT(Selected({Regular("sub/go.mod"), Regular("sub/a:b.go"), Regular("vendor/a/b:c.go")}),
              ElementsAre());
}

TEST(SelectModuleFilesTest, AnInvalidNameDirectlyInVendorIsFatal) {
  EXPECT_EQ(Refusal({Regular("vendor/a:b.go")}),
            "create zip: vendor/a:b.go: malformed file path \"vendor/a:b.go\": invalid char ':'");
}

TEST(SelectModuleFilesTest, ReportsAPathOnceAndNotAtAllAfterOmittingIt) {
  // Go's errPaths: the regular "q" after the symlink "q" collides, but the
  // path was already decided (omitted), so it is dropped without an error.
  EXPECT_THAT(Selected({Symlink("q"), Regular("q")}), ElementsAre());
  EXPECT_EQ(Refusal({Regular("a:b"), Regular("a:b")}),
            "create zip: a:b: malformed file path \"a:b\": invalid char ':'");
}

TEST(SelectModuleFilesTest, CollisionsUseUnicodeSimpleFolding) {
  // U+212A KELVIN SIGN folds with 'k'; U+0130 does not fold with 'i'.
  EXPECT_EQ(Refusal({Regular("k.go"), Regular("\xe2\x84\xaa.go")}),
            "create zip: \xe2\x84\xaa.go: case-insensitive file name collision: \"k.go\" and "
            "\"\xe2\x84\xaa.go\"");
  EXPECT_THAT(Selected({Regular("i.go"), Regular("\xc4\xb0.go")}),
              ElementsAre("i.go", "\xc4\xb0.go"));
}

TEST(SelectModuleFilesTest, RefusesOversizedGoModAndLicenseAtTheRootOnly) {
  EXPECT_THAT(Selected({Sized("go.mod", 16 * kMiB), Sized("LICENSE", 16 * kMiB),
                        Sized("sub/LICENSE", 16 * kMiB + 1)}),
              ElementsAre("go.mod", "LICENSE", "sub/LICENSE"));
  EXPECT_EQ(
      Refusal({Sized("go.mod", 16 * kMiB + 1), Sized("LICENSE", 16 * kMiB + 1), Regular("a:b")}),
      "create zip: go.mod: go.mod file too large (max size is 16777216 bytes)\n"
      "LICENSE: LICENSE file too large (max size is 16777216 bytes)\n"
      "a:b: malformed file path \"a:b\": invalid char ':'");
}

TEST(SelectModuleFilesTest, TheTotalSizeErrorIsReportedAlone) {
  EXPECT_THAT(Selected({Sized("a", 500 * kMiB)}), ElementsAre("a"));
  EXPECT_EQ(Refusal({Sized("big1", 500 * kMiB), Regular("a:b"), Sized("big2", 1)}),
            "create zip: module source tree too large (max size is 524288000 bytes)");
}

TEST(SelectModuleFilesTest, PathsThatAreNotFilesAreInvalid) {
  EXPECT_EQ(Refusal({Regular("."), Regular(""), Regular("a/")}),
            "create zip: .: malformed file path \".\": invalid path element \".\"\n"
            ": file path is not clean\n"
            "a/: file path is not clean");
}

TEST(SelectModuleFilesTest, ChecksModuleAndVersionFirst) {
  const auto refusal = [](const char* module, const char* version) {
    Result<std::vector<SourceFile>> r = SelectModuleFiles(module, version, {Regular("a:b")});
    EXPECT_FALSE(r.has_value());
    if (r) return std::string();
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
    return r.error().message;
  };
  EXPECT_EQ(refusal("example.com/m", "v1.0"),
            "create zip: version \"v1.0\" is not canonical (should be \"v1.0.0\")");
  EXPECT_EQ(refusal("example.com/m", "master"),
            "create zip: version \"master\" is not canonical (should be \"\")");
  EXPECT_EQ(refusal("example.com/m/v2", "v1.0.0"),
            "create zip: example.com/m/v2@v1.0.0: invalid version: should be v2, not v1");
  EXPECT_EQ(refusal("example.com/m", "v2.0.0"),
            "create zip: example.com/m@v2.0.0: invalid version: should be v0 or v1, not v2");
  EXPECT_EQ(refusal("Example.com/m", "v1.0.0"),
            "create zip: malformed module path \"Example.com/m\": invalid char 'E' in first path "
            "element");
}

TEST(SelectModuleFilesTest, RefusesIncompatibleOnACompatibleVersionAsTheGoCommandDoes) {
  // x/mod's Create alone would accept this; the go command never asks for it.
  Result<std::vector<SourceFile>> r = SelectModuleFiles("example.com/m", "v1.0.0+incompatible", {});
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().message,
            "create zip: example.com/m@v1.0.0+incompatible: invalid version: +incompatible suffix "
            "not allowed: major version v1 is compatible");
  EXPECT_TRUE(SelectModuleFiles("example.com/m", "v2.0.0+incompatible", {}).has_value());
}

TEST(ZipNamesTest, VendoredPackageRule) {
  EXPECT_FALSE(detail::IsVendoredPackage("vendor/modules.txt"));
  EXPECT_TRUE(detail::IsVendoredPackage("vendor/a/b.go"));
  EXPECT_TRUE(detail::IsVendoredPackage("x/vendor/b.go"));  // golang.org/issue/31562
  EXPECT_FALSE(detail::IsVendoredPackage("xvendor/b.go"));
  EXPECT_FALSE(detail::IsVendoredPackage("vendor"));
}

TEST(ZipNamesTest, GoQuoteKeepsLettersAndEscapesTheRest) {
  EXPECT_EQ(detail::GoQuote("h\xc3\xa9\"\\\n\x01"), "\"h\xc3\xa9\\\"\\\\\\n\\x01\"");
  EXPECT_EQ(detail::GoQuote("\xe2\x82\xac\xff"), "\"\\u20ac\\xff\"");
}

}  // namespace
}  // namespace modproxy::zipbuild
