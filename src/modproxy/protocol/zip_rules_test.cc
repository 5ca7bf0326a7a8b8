#include "modproxy/protocol/zip_rules.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "modproxy/protocol/case_fold.h"
#include "modproxy/protocol/zip_limits.h"

namespace modproxy::protocol {
namespace {

using Violations = std::vector<std::string>;

ZipEntry Entry(std::string name, std::uint64_t size = 0) {
  ZipEntry e;
  e.name = std::move(name);
  e.uncompressed_size = size;
  e.creator_system = 3;
  e.external_attributes = 0100644u << 16;
  return e;
}

std::vector<ZipEntry> Entries(const std::vector<std::string>& names) {
  std::vector<ZipEntry> entries;
  entries.reserve(names.size());
  for (const std::string& name : names) entries.push_back(Entry(name));
  return entries;
}

Violations Check(const std::vector<std::string>& names, std::string_view module = "example.com/m",
                 std::string_view version = "v1.0.0") {
  return CheckModuleZip(module, version, 1000, Entries(names));
}

// x/mod zip/testdata/check_zip/various.txt.
TEST(ZipRulesTest, ReportsEveryViolationInEntryOrderLikeXModVarious) {
  const Violations got = CheckModuleZip(
      "example.com/various", "v1.0.0", 1000,
      Entries({"noprefix", "example.com/various@v1.0.0/valid.go",
               "example.com/various@v1.0.0/not/../clean", "example.com/various@v1.0.0/invalid.go'",
               "example.com/various@v1.0.0/GO.MOD", "example.com/various@v1.0.0/valid.go"}));
  ASSERT_EQ(got.size(), 5u);
  EXPECT_EQ(got[0], "noprefix: path does not have prefix \"example.com/various@v1.0.0/\"");
  EXPECT_EQ(got[1], "example.com/various@v1.0.0/not/../clean: file path is not clean");
  EXPECT_TRUE(got[2].starts_with(
      "example.com/various@v1.0.0/invalid.go': malformed file path \"invalid.go'\": invalid char"))
      << got[2];
  EXPECT_EQ(got[3], "example.com/various@v1.0.0/GO.MOD: go.mod files must have lowercase names");
  EXPECT_EQ(got[4], "example.com/various@v1.0.0/valid.go: multiple entries for file \"valid.go\"");
}

// x/mod zip/testdata/check_zip/empty.txt.
TEST(ZipRulesTest, EmptyZipPasses) { EXPECT_EQ(Check({}), Violations{}); }

TEST(ZipRulesTest, OrdinaryModulePasses) {
  EXPECT_EQ(Check({"example.com/m@v1.0.0/go.mod", "example.com/m@v1.0.0/LICENSE",
                   "example.com/m@v1.0.0/m.go", "example.com/m@v1.0.0/internal/x/x.go",
                   "example.com/m@v1.0.0/vendor/a/b.go", "example.com/m@v1.0.0/ü/ß.go"}),
            Violations{});
}

// x/mod zip/testdata/unzip/*.txt, the cases CheckZip decides.
TEST(ZipRulesTest, GoModBelowTheRootIsRefused) {
  EXPECT_EQ(
      Check({"example.com/m@v1.0.0/go.mod", "example.com/m@v1.0.0/sub/go.mod"}),
      Violations{"example.com/m@v1.0.0/sub/go.mod: go.mod file not in module root directory"});
  EXPECT_EQ(Check({"example.com/m@v1.0.0/a.go", "example.com/m@v1.0.0/b/GO.MOD",
                   "example.com/m@v1.0.0/b/b.go"}),
            Violations{"example.com/m@v1.0.0/b/GO.MOD: go.mod file not in module root directory"});
}

TEST(ZipRulesTest, GoModAsADirectoryIsAllowed) {
  EXPECT_EQ(Check({"example.com/m@v1.0.0/go.mod/a.go"}), Violations{});
}

TEST(ZipRulesTest, FileAndDirectoryWithOneName) {
  EXPECT_EQ(Check({"example.com/m@v1.0.0/a.go", "example.com/m@v1.0.0/a.go/b.go"}),
            Violations{"example.com/m@v1.0.0/a.go/b.go: entry \"a.go\" is both a file and a "
                       "directory"});
  EXPECT_EQ(Check({"example.com/m@v1.0.0/x/", "example.com/m@v1.0.0/x"}),
            Violations{"example.com/m@v1.0.0/x: entry \"x\" is both a file and a directory"});
}

TEST(ZipRulesTest, CaseInsensitiveCollisions) {
  EXPECT_EQ(Check({"example.com/m@v1.0.0/m.go", "example.com/m@v1.0.0/M.GO"}),
            Violations{"example.com/m@v1.0.0/M.GO: case-insensitive file name collision: "
                       "\"m.go\" and \"M.GO\""});
  // Directories collide too, on every level.
  EXPECT_EQ(Check({"example.com/m@v1.0.0/A/x.go", "example.com/m@v1.0.0/a/y.go"}),
            Violations{"example.com/m@v1.0.0/a/y.go: case-insensitive file name collision: "
                       "\"A\" and \"a\""});
  EXPECT_EQ(Check({"example.com/m@v1.0.0/p/Q/r/x.go", "example.com/m@v1.0.0/p/q/r/y.go"}).size(),
            1u);
}

TEST(ZipRulesTest, CollisionsUseUnicodeSimpleFolding) {
  // U+212A KELVIN SIGN folds with k; U+017F LONG S with s; final sigma with sigma.
  EXPECT_EQ(Check({"example.com/m@v1.0.0/k.go", "example.com/m@v1.0.0/\u212A.go"}).size(), 1u);
  EXPECT_EQ(Check({"example.com/m@v1.0.0/s.go", "example.com/m@v1.0.0/\u017F.go"}).size(), 1u);
  EXPECT_EQ(Check({"example.com/m@v1.0.0/\u03C3.go", "example.com/m@v1.0.0/\u03C2.go"}).size(), 1u);
  EXPECT_EQ(
      Check({"example.com/m@v1.0.0/\u00C9t\u00E9.go", "example.com/m@v1.0.0/\u00E9T\u00C9.go"})
          .size(),
      1u);
  // Full folding would equate ß and ss; simple folding (EqualFold) does not.
  EXPECT_EQ(Check({"example.com/m@v1.0.0/\u00DF.go", "example.com/m@v1.0.0/ss.go"}), Violations{});
}

TEST(ZipRulesTest, CollisionMessagesQuoteLikeGo) {
  // Checked against x/mod CheckZip: letters are printed as they are.
  EXPECT_EQ(
      Check({"example.com/m@v1.0.0/\u00E9t\u00E9.go", "example.com/m@v1.0.0/\u00C9T\u00C9.go"}),
      Violations{"example.com/m@v1.0.0/\u00C9T\u00C9.go: case-insensitive file name collision: "
                 "\"\u00E9t\u00E9.go\" and \"\u00C9T\u00C9.go\""});
}

TEST(ZipRulesTest, FoldCaseMatchesGoStrToFold) {
  EXPECT_EQ(detail::FoldCase("ABC/xyz"), "abc/xyz");
  EXPECT_EQ(detail::FoldCase("\u212A"), "k");
  EXPECT_EQ(detail::FoldCase("\u017F"), "s");
  EXPECT_EQ(detail::FoldCase("\u03A3\u03C3\u03C2"), "\u03A3\u03A3\u03A3");
  EXPECT_EQ(detail::FoldCase("\u00E9"), "\u00C9");
  EXPECT_EQ(detail::FoldCase("\xff"), "\uFFFD");
}

TEST(ZipRulesTest, ParentCollisionIsReportedForEveryEntryBelowIt) {
  EXPECT_EQ(
      Check({"example.com/m@v1.0.0/a", "example.com/m@v1.0.0/a/b/c", "example.com/m@v1.0.0/a/b/d"}),
      (Violations{"example.com/m@v1.0.0/a/b/c: entry \"a\" is both a file and a directory",
                  "example.com/m@v1.0.0/a/b/d: entry \"a\" is both a file and a directory"}));
}

TEST(ZipRulesTest, DirectoryEntriesMayRepeat) {
  EXPECT_EQ(
      Check({"example.com/m@v1.0.0/d/", "example.com/m@v1.0.0/d/", "example.com/m@v1.0.0/d/x"}),
      Violations{});
}

TEST(ZipRulesTest, PrefixOnlyEntryIsSkippedButPrefixWithoutSlashIsNot) {
  EXPECT_EQ(Check({"example.com/m@v1.0.0/", "example.com/m@v1.0.0/go.mod"}), Violations{});
  EXPECT_EQ(Check({"example.com/m@v1.0.0", "example.com/m@v1.0.0/go.mod"}),
            Violations{"example.com/m@v1.0.0: path does not have prefix "
                       "\"example.com/m@v1.0.0/\""});
}

TEST(ZipRulesTest, UncleanAndAbsolutePaths) {
  EXPECT_EQ(Check({"example.com/m@v1.0.0/a/../x"}),
            Violations{"example.com/m@v1.0.0/a/../x: file path is not clean"});
  // path.Clean leaves a leading ".." alone: CheckFilePath is what refuses it.
  EXPECT_EQ(Check({"example.com/m@v1.0.0/../x"}),
            Violations{"example.com/m@v1.0.0/../x: malformed file path \"../x\": invalid path "
                       "element \"..\""});
  EXPECT_EQ(Check({"example.com/m@v1.0.0/./x", "example.com/m@v1.0.0/a//b",
                   "example.com/m@v1.0.0/a/" + std::string("./")})
                .size(),
            3u);
  EXPECT_EQ(Check({"example.com/m@v1.0.0//etc/passwd"}),
            Violations{"example.com/m@v1.0.0//etc/passwd: malformed file path \"/etc/passwd\": "
                       "empty path element"});
}

TEST(ZipRulesTest, InvalidModuleOrVersionStopsTheCheck) {
  Violations got = Check({"whatever"}, "example.com/m", "v2.0.0");
  ASSERT_EQ(got.size(), 1u);
  EXPECT_NE(got[0].find("v2.0.0"), std::string::npos) << got[0];
  got = Check({"whatever"}, "example.com/m", "v1.0.0+bad");
  ASSERT_EQ(got.size(), 1u);
  EXPECT_NE(got[0].find("not canonical"), std::string::npos) << got[0];
  got = Check({"whatever"}, "\xff", "v1.0.0");
  ASSERT_EQ(got.size(), 1u);
  EXPECT_NE(got[0].find("malformed module path"), std::string::npos) << got[0];
}

TEST(ZipRulesTest, SymlinksAreRefused) {
  std::vector<ZipEntry> entries = Entries({"example.com/m@v1.0.0/link.go"});
  entries[0].external_attributes = 0120777u << 16;
  EXPECT_EQ(CheckModuleZip("example.com/m", "v1.0.0", 1000, entries),
            Violations{"example.com/m@v1.0.0/link.go: file is a symbolic link"});
}

TEST(ZipRulesTest, UnprintableNamesAreQuoted) {
  const Violations got = Check({"example.com/m@v1.0.0/a\nb.go", "evil\x1b[2J"});
  ASSERT_EQ(got.size(), 2u);
  EXPECT_TRUE(got[0].starts_with("\"example.com/m@v1.0.0/a\\x0ab.go\": ")) << got[0];
  EXPECT_TRUE(got[1].starts_with("\"evil\\x1b[2J\": path does not have prefix")) << got[1];
}

// x/mod zip_test.go sizeLimitTests and TestUnzipSizeLimitsSpecial.
struct SizeCase {
  std::vector<std::pair<std::string, std::uint64_t>> files;
  std::string want;  // "" or a substring of the one violation
};

TEST(ZipRulesTest, SizeLimits) {
  const std::vector<SizeCase> cases = {
      {{{"large.go", kMaxZipBytes}}, ""},
      {{{"large.go", kMaxZipBytes + 1}}, "total uncompressed size of module contents too large"},
      {{{"small.go", 10}, {"large.go", kMaxZipBytes - 10}}, ""},
      {{{"small.go", 10}, {"large.go", kMaxZipBytes - 9}},
       "total uncompressed size of module contents too large"},
      {{{"go.mod", kMaxGoModBytes}}, ""},
      {{{"go.mod", kMaxGoModBytes + 1}}, "go.mod file too large"},
      {{{"LICENSE", kMaxLicenseBytes}}, ""},
      {{{"LICENSE", kMaxLicenseBytes + 1}}, "LICENSE file too large"},
      {{{"sub/LICENSE", kMaxLicenseBytes + 1}}, ""},
      {{{"a.go", ~std::uint64_t{0}}}, "total uncompressed size"},
  };
  for (const SizeCase& c : cases) {
    std::vector<ZipEntry> entries;
    for (const auto& [name, size] : c.files)
      entries.push_back(Entry("example.com/m@v1.0.0/" + name, size));
    const Violations got = CheckModuleZip("example.com/m", "v1.0.0", 1000, entries);
    if (c.want.empty()) {
      EXPECT_EQ(got, Violations{}) << c.files[0].first;
    } else {
      ASSERT_EQ(got.size(), 1u) << c.files[0].first;
      EXPECT_NE(got[0].find(c.want), std::string::npos) << got[0];
    }
  }
}

TEST(ZipRulesTest, TotalSizeIsReportedOnce) {
  std::vector<ZipEntry> entries;
  for (const char* name : {"a", "b", "c"}) {
    entries.push_back(Entry(std::string("example.com/m@v1.0.0/") + name, kMaxZipBytes));
  }
  EXPECT_EQ(CheckModuleZip("example.com/m", "v1.0.0", 1000, entries).size(), 1u);
}

TEST(ZipRulesTest, ZipFileSize) {
  EXPECT_EQ(CheckModuleZip("example.com/m", "v1.0.0", kMaxZipBytes, {}), Violations{});
  EXPECT_EQ(CheckModuleZip("example.com/m", "v1.0.0", kMaxZipBytes + 1, {}),
            Violations{"module zip file is too large (524288001 bytes; limit is 524288000 bytes)"});
}

TEST(ZipRulesTest, CleanPathMatchesGo) {
  const std::pair<const char*, const char*> cases[] = {
      {"", "."},
      {"abc", "abc"},
      {"abc/def", "abc/def"},
      {"a/b/c", "a/b/c"},
      {".", "."},
      {"..", ".."},
      {"../..", "../.."},
      {"../../abc", "../../abc"},
      {"/abc", "/abc"},
      {"/", "/"},
      {"abc/", "abc"},
      {"abc//def//ghi", "abc/def/ghi"},
      {"//abc", "/abc"},
      {"abc/./def", "abc/def"},
      {"/./abc/def", "/abc/def"},
      {"abc/.", "abc"},
      {"abc/def/ghi/../jkl", "abc/def/jkl"},
      {"abc/..", "."},
      {"abc/../..", ".."},
      {"/abc/..", "/"},
      {"/abc/../..", "/"},
      {"abc/../../././../def", "../../def"},
  };
  for (const auto& [in, want] : cases) EXPECT_EQ(CleanPath(in), want) << in;
}

}  // namespace
}  // namespace modproxy::protocol
