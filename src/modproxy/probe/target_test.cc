#include "modproxy/probe/target.h"

#include <string>

#include <gtest/gtest.h>

namespace modproxy::probe {
namespace {

std::string ErrorOf(const Result<ModuleTarget>& r) { return r ? "" : r.error().message; }

TEST(ModuleTargetTest, ParsesModuleAtCanonicalVersionAndEscapesThePath) {
  Result<ModuleTarget> t = ParseModuleTarget("github.com/BurntSushi/toml@v1.2.3");
  ASSERT_TRUE(t) << ErrorOf(t);
  EXPECT_EQ(t->module, "github.com/BurntSushi/toml");
  EXPECT_EQ(t->escaped_module, "github.com/!burnt!sushi/toml");
  EXPECT_EQ(t->version, "v1.2.3");
  EXPECT_FALSE(t->latest());
}

TEST(ModuleTargetTest, AcceptsLatest) {
  Result<ModuleTarget> t = ParseModuleTarget("example.com/m@latest");
  ASSERT_TRUE(t) << ErrorOf(t);
  EXPECT_TRUE(t->latest());
}

TEST(ModuleTargetTest, DefaultModuleParses) { EXPECT_TRUE(ParseModuleTarget(kDefaultModule)); }

TEST(ModuleTargetTest, RejectsMissingPartsWithTheExpectedForm) {
  for (const char* text : {"github.com/pkg/errors", "@v1.0.0", "example.com/m@", ""}) {
    Result<ModuleTarget> t = ParseModuleTarget(text);
    ASSERT_FALSE(t) << text;
    EXPECT_EQ(t.error().code, ErrorCode::kInvalidArgument);
    EXPECT_NE(t.error().message.find("want module@version"), std::string::npos)
        << t.error().message;
  }
}

TEST(ModuleTargetTest, RejectsBadModulePaths) {
  EXPECT_FALSE(ParseModuleTarget("Example.com/m@v1.0.0"));
  EXPECT_FALSE(ParseModuleTarget("example/m@v1.0.0"));
  EXPECT_FALSE(ParseModuleTarget("example.com/../m@v1.0.0"));
}

TEST(ModuleTargetTest, NamesTheCanonicalFormOfAShortVersion) {
  EXPECT_EQ(ErrorOf(ParseModuleTarget("example.com/m@v1.2")),
            "version \"v1.2\" is not canonical: use v1.2.0");
}

TEST(ModuleTargetTest, RejectsInvalidVersionsAndMajorMismatches) {
  EXPECT_NE(ErrorOf(ParseModuleTarget("example.com/m@master")).find("invalid version"),
            std::string::npos);
  EXPECT_FALSE(ParseModuleTarget("example.com/m@1.0.0"));
  EXPECT_FALSE(ParseModuleTarget("example.com/m/v2@v1.0.0"));
  EXPECT_FALSE(ParseModuleTarget("example.com/m@v2.0.0"));
  EXPECT_TRUE(ParseModuleTarget("example.com/m@v2.0.0+incompatible"));
}

TEST(RequestPathTest, BuildsCaseEncodedPathsForEachFile) {
  Result<ModuleTarget> t = ParseModuleTarget("example.com/Upper@v1.0.1-RC1");
  ASSERT_TRUE(t);
  EXPECT_EQ(*RequestPath(*t, t->version, ProbeFile::kInfo),
            "/example.com/!upper/@v/v1.0.1-!r!c1.info");
  EXPECT_EQ(*RequestPath(*t, t->version, ProbeFile::kMod),
            "/example.com/!upper/@v/v1.0.1-!r!c1.mod");
  EXPECT_EQ(*RequestPath(*t, t->version, ProbeFile::kZip),
            "/example.com/!upper/@v/v1.0.1-!r!c1.zip");
  EXPECT_EQ(*RequestPath(*t, "", ProbeFile::kLatest), "/example.com/!upper/@latest");
}

TEST(RequestPathTest, FailsWithoutAVersion) {
  Result<ModuleTarget> t = ParseModuleTarget("example.com/m@latest");
  ASSERT_TRUE(t);
  EXPECT_FALSE(RequestPath(*t, "", ProbeFile::kInfo));
}

TEST(FileLabelTest, LabelsAndKeys) {
  EXPECT_STREQ(FileLabel(ProbeFile::kInfo), ".info");
  EXPECT_STREQ(FileLabel(ProbeFile::kLatest), "@latest");
  EXPECT_STREQ(FileKey(ProbeFile::kZip), "zip");
  EXPECT_STREQ(FileKey(ProbeFile::kLatest), "latest");
}

}  // namespace
}  // namespace modproxy::probe
