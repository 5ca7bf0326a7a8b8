#include "modproxy/vcs/gomod.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace modproxy::vcs {
namespace {

TEST(ModulePathFromGoModTest, FindsTheModuleLineLikeModfile) {
  // x/mod modfile read_test.go's TestModulePath cases, plus ours.
  EXPECT_EQ(ModulePathFromGoMod("module x\n"), "x");
  EXPECT_EQ(ModulePathFromGoMod("module x\r\n"), "x");
  EXPECT_EQ(ModulePathFromGoMod("module \"x\"\n"), "x");
  EXPECT_EQ(ModulePathFromGoMod("module `x`\n"), "x");
  EXPECT_EQ(ModulePathFromGoMod("module \"x\\y\"\n"), "");  // bad escape
  EXPECT_EQ(ModulePathFromGoMod("module x // comment\n"), "x");
  EXPECT_EQ(ModulePathFromGoMod("// module y\nmodule x\n"), "x");
  EXPECT_EQ(ModulePathFromGoMod("  module   example.com/a/b  \n"), "example.com/a/b");
  EXPECT_EQ(ModulePathFromGoMod("modulex\nmodule y"), "y");
  EXPECT_EQ(ModulePathFromGoMod("module\nmodule\t z\n"), "z");
  EXPECT_EQ(ModulePathFromGoMod("go 1.19\n"), "");
  EXPECT_EQ(ModulePathFromGoMod(""), "");
  EXPECT_EQ(ModulePathFromGoMod("module (\n  x\n)\n"), "(");
  EXPECT_EQ(ModulePathFromGoMod("module a b\n"), "a b");
  // Tolerant of everything else: a /* comment elsewhere is fine here.
  EXPECT_EQ(ModulePathFromGoMod("/* nope */\nmodule x\nrequire (\n"), "x");
  // A byte order mark is not space: the line does not start with "module".
  EXPECT_EQ(ModulePathFromGoMod("\xEF\xBB\xBFmodule x\n"), "");
}

TEST(LegacyGoModTest, IsExactlyTheModuleLine) {
  EXPECT_EQ(LegacyGoMod("example.com/m"), "module example.com/m\n");
  EXPECT_EQ(LegacyGoMod("gopkg.in/yaml.v2"), "module gopkg.in/yaml.v2\n");
}

std::vector<Retraction> Retractions(const std::string& gomod) {
  Result<std::vector<Retraction>> r = ParseRetractions(gomod);
  EXPECT_TRUE(r.has_value()) << r.error().message;
  return r.has_value() ? *r : std::vector<Retraction>{};
}

TEST(ParseRetractionsTest, SingleVersionsIntervalsAndBlocks) {
  const std::vector<Retraction> r = Retractions(
      "module example.com/m\n"
      "\n"
      "go 1.19\n"
      "\n"
      "// Published by mistake.\n"
      "retract v1.0.0\n"
      "retract [v1.1.0, v1.2.0] // broken build\n"
      "retract (\n"
      "\t// Two comment lines\n"
      "\t// before the line.\n"
      "\tv0.9.0\n"
      "\t[v0.5.0,v0.6.0]\n"
      ")\n");
  ASSERT_EQ(r.size(), 4u);
  EXPECT_EQ(r[0].low, "v1.0.0");
  EXPECT_EQ(r[0].high, "v1.0.0");
  EXPECT_EQ(r[0].rationale, "Published by mistake.");
  EXPECT_EQ(r[1].low, "v1.1.0");
  EXPECT_EQ(r[1].high, "v1.2.0");
  EXPECT_EQ(r[1].rationale, "broken build");
  EXPECT_EQ(r[2].low, "v0.9.0");
  EXPECT_EQ(r[2].rationale, "Two comment lines\nbefore the line.");
  EXPECT_EQ(r[3].low, "v0.5.0");
  EXPECT_EQ(r[3].high, "v0.6.0");
  EXPECT_EQ(r[3].rationale, "");
}

TEST(ParseRetractionsTest, BlockLinesWithoutCommentsUseTheBlocksComments) {
  const std::vector<Retraction> r = Retractions(
      "module m\n"
      "// Block rationale.\n"
      "retract (\n"
      "\tv1.0.0\n"
      "\tv1.0.1 // own\n"
      ")\n");
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0].rationale, "Block rationale.");
  EXPECT_EQ(r[1].rationale, "own");
}

TEST(ParseRetractionsTest, CommentSeparatedByABlankLineIsNotARationale) {
  const std::vector<Retraction> r = Retractions("module m\n// alone\n\nretract v1.0.0\n");
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].rationale, "");
}

TEST(ParseRetractionsTest, KeepsVersionsAsWrittenAndUnquotes) {
  const std::vector<Retraction> r = Retractions(
      "module m\nretract v1.2\nretract \"v1.3.0\"\nretract [v2.0.0+incompatible, "
      "v2.1.0+incompatible]\n");
  ASSERT_EQ(r.size(), 3u);
  EXPECT_EQ(r[0].low, "v1.2");
  EXPECT_EQ(r[1].low, "v1.3.0");
  EXPECT_EQ(r[2].low, "v2.0.0+incompatible");
  EXPECT_TRUE(IsRetracted(r, "v1.2.0"));
  EXPECT_TRUE(IsRetracted(r, "v1.3.0"));
  EXPECT_TRUE(IsRetracted(r, "v2.0.5+incompatible"));
  EXPECT_FALSE(IsRetracted(r, "v1.2.1"));
}

TEST(ParseRetractionsTest, LaxModeSkipsRetractsThatDoNotParse) {
  const std::vector<Retraction> r = Retractions(
      "module m\n"
      "retract\n"
      "retract [v1.0.0 v1.1.0]\n"
      "retract [v1.0.0,\n"
      "retract 'v1.0.0'\n"
      "retract v1.5.0 extra tokens\n");
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].low, "v1.5.0");
}

TEST(ParseRetractionsTest, IgnoresMainModuleOnlyAndUnknownDirectives) {
  const std::vector<Retraction> r = Retractions(
      "module m\n"
      "go 1.21.0\n"
      "toolchain go1.21.3\n"
      "exclude bad syntax here\n"
      "replace (\n  anything => goes\n)\n"
      "godebug (\n default=go1.21\n)\n"
      "require example.com/x v1.2\n"
      "require (\n example.com/y/v2 v2.0.0 // indirect\n)\n"
      "unknown verb ( x\n"
      "retract v1.0.0\n");
  ASSERT_EQ(r.size(), 1u);
}

TEST(ParseRetractionsTest, FailsLikeParseLaxSoNothingIsRetracted) {
  for (const char* bad : {
           "module m\nretract v1.0.0\n/* c */\n",              // block comment
           "module m\nretract (\nv1.0.0\n",                    // unterminated block
           "module m\nretract ( v1.0.0 ) x\n",                 // tokens after ')'? no: a line
           "module m\nretract \"v1.0.0\n",                     // newline in string
           "module m\nmodule n\nretract v1.0.0\n",             // repeated module
           "module m\ngo 1\nretract v1.0.0\n",                 // bad go version
           "module m\ngo 1.19\ngo 1.20\nretract v1.0.0\n",     // repeated go
           "module a b\nretract v1.0.0\n",                     // module usage
           "module m\nrequire x\nretract v1.0.0\n",            // require usage
           "module m\nrequire x/v2 v1.0.0\nretract v1.0.0\n",  // major mismatch
           "module m\nrequire x master\nretract v1.0.0\n",     // not semver
           "module m\nrequire x/v1 v1.0.0\nretract v1.0.0\n",  // bad path
           "module m\nretract (\nv1.0.0\n) x\n",               // text after ')'
           "\xEF\xBB\xBFmodule m\nretract v1.0.0\n",           // BOM is not printable
           "module m\nretract v1.0.0\x01\n",                   // control character
       }) {
    Result<std::vector<Retraction>> r = ParseRetractions(bad);
    if (std::string(bad) == "module m\nretract ( v1.0.0 ) x\n") {
      // '(' in the middle of a line is a plain token: the line is retract
      // "(" ... which lax mode skips.
      ASSERT_TRUE(r.has_value()) << r.error().message;
      EXPECT_TRUE(r->empty());
      continue;
    }
    EXPECT_FALSE(r.has_value()) << bad;
  }
}

TEST(ParseRetractionsTest, AcceptsLaxGoVersions) {
  for (const char* go : {"1.19", "1.21.0", "1.21rc1", "v1.2.3", "1.0", "1.21."}) {
    Result<std::vector<Retraction>> r =
        ParseRetractions(std::string("module m\ngo ") + go + "\nretract v1.0.0\n");
    EXPECT_TRUE(r.has_value()) << go;
  }
  for (const char* go : {"1", "1.02", "01.2", "v1.2", "go1.21"}) {
    EXPECT_FALSE(ParseRetractions(std::string("module m\ngo ") + go + "\n").has_value()) << go;
  }
}

TEST(ParseRetractionsTest, EmptyAndCommentOnlyFilesHaveNoRetractions) {
  EXPECT_TRUE(Retractions("").empty());
  EXPECT_TRUE(Retractions("// just a comment").empty());
  EXPECT_TRUE(Retractions("retract ()\n").empty());
}

TEST(IsRetractedTest, ClosedIntervalsCompareBySemver) {
  const std::vector<Retraction> r = {{"v1.0.0", "v1.2.0", ""}, {"v2.0.0", "v2.0.0", ""}};
  EXPECT_TRUE(IsRetracted(r, "v1.0.0"));
  EXPECT_TRUE(IsRetracted(r, "v1.1.5-pre"));
  EXPECT_TRUE(IsRetracted(r, "v1.2.0"));
  EXPECT_TRUE(IsRetracted(r, "v1.2.0+meta"));
  EXPECT_FALSE(IsRetracted(r, "v1.2.1"));
  EXPECT_FALSE(IsRetracted(r, "v1.0.0-rc.1"));
  EXPECT_TRUE(IsRetracted(r, "v2.0.0+incompatible"));
  EXPECT_FALSE(IsRetracted(r, "v2.0.1"));
  // An invalid low bound compares below every version (semver.Compare).
  const std::vector<Retraction> odd = {{"junk", "v1.5.0", ""}};
  EXPECT_TRUE(IsRetracted(odd, "v0.1.0"));
  EXPECT_FALSE(IsRetracted(odd, "v1.6.0"));
}

}  // namespace
}  // namespace modproxy::vcs
