#include "modproxy/protocol/semver.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace modproxy::protocol {
namespace {

TEST(SemverTest, AcceptsGoVersionsIncludingShortForms) {
  for (const char* v :
       {"v0.0.0", "v1", "v1.2", "v1.2.3", "v1.2.3-pre", "v1.2.3-pre.1+build.7", "v1.2.3+meta",
        "v1.2.3-0a", "v1.2.3-x-y", "v1.2.3+001", "v123456789012345678901234567890.0.0"}) {
    EXPECT_TRUE(semver::IsValid(v)) << v;
  }
}

TEST(SemverTest, RejectsMalformedVersions) {
  for (const char* v : {"", "v", "1.2.3", "v01.2.3", "v1.02.3", "v1.2.03", "v1.2.3-01", "v1.2-pre",
                        "v1+meta", "v1.2.3-", "v1.2.3-a..b", "v1.2.3+", "v1.2.3+a..b", "v1.2.3.4",
                        "V1.2.3", "v1.2.3-a_b", "v1.2.3 "}) {
    EXPECT_FALSE(semver::IsValid(v)) << v;
  }
}

TEST(SemverTest, CanonicalFillsShortFormsAndDropsBuild) {
  EXPECT_EQ(semver::Canonical("v1"), "v1.0.0");
  EXPECT_EQ(semver::Canonical("v1.2"), "v1.2.0");
  EXPECT_EQ(semver::Canonical("v1.2.3-pre+meta"), "v1.2.3-pre");
  EXPECT_EQ(semver::Canonical("v2.0.0+incompatible"), "v2.0.0");
  EXPECT_EQ(semver::Canonical("1.2.3"), "");
}

TEST(SemverTest, ExtractsMajorPrereleaseAndBuild) {
  EXPECT_EQ(semver::Major("v2.1.0"), "v2");
  EXPECT_EQ(semver::Major("v10"), "v10");
  EXPECT_EQ(semver::Major("bad"), "");
  EXPECT_EQ(semver::Prerelease("v2.1.0-pre+meta"), "-pre");
  EXPECT_EQ(semver::Prerelease("v2.1.0"), "");
  EXPECT_EQ(semver::Build("v2.1.0-pre+meta"), "+meta");
  EXPECT_EQ(semver::Build("v2.1"), "");
}

TEST(SemverTest, ComparesInTheReferenceOrder) {
  // go-modules-reference.md §3.2; each group holds versions that compare equal.
  const std::vector<std::vector<std::string>> order = {
      {"v1.0.0-alpha"},      {"v1.0.0-alpha.1"},
      {"v1.0.0-alpha.beta"}, {"v1.0.0-beta"},
      {"v1.0.0-beta.2"},     {"v1.0.0-beta.11"},
      {"v1.0.0-rc.1"},       {"v1", "v1.0", "v1.0.0", "v1.0.0+meta"},
      {"v1.0.1-0"},          {"v1.0.1-0.20190101000000-abcdefabcdef"},
      {"v1.0.1-pre"},        {"v1.0.1"},
  };
  for (std::size_t i = 0; i < order.size(); ++i) {
    for (std::size_t j = 0; j < order.size(); ++j) {
      for (const std::string& v : order[i]) {
        for (const std::string& w : order[j]) {
          const int want = i < j ? -1 : (i > j ? 1 : 0);
          EXPECT_EQ(semver::Compare(v, w), want) << v << " vs " << w;
        }
      }
    }
  }
}

TEST(SemverTest, ComparesNumbersOfAnyLength) {
  EXPECT_EQ(semver::Compare("v99999999999999999999.0.0", "v100000000000000000000.0.0"), -1);
  EXPECT_EQ(semver::Compare("v1.10.0", "v1.9.0"), 1);
  EXPECT_EQ(semver::Compare("v1.0.0-10", "v1.0.0-9"), 1);
  EXPECT_EQ(semver::Compare("v1.0.0-9", "v1.0.0-a"), -1);
}

TEST(SemverTest, SortsInvalidVersionsFirstAndTheyCompareEqual) {
  EXPECT_EQ(semver::Compare("bad", "v0.0.0"), -1);
  EXPECT_EQ(semver::Compare("v0.0.0", "bad"), 1);
  EXPECT_EQ(semver::Compare("bad", "worse"), 0);
}

TEST(SemverTest, SortBreaksTiesByStringOrder) {
  std::vector<std::string> versions = {"v1.0.0+b", "v2", "bad", "v1.0.0", "v1.0.0+a", "v1.0"};
  semver::Sort(versions);
  EXPECT_EQ(versions,
            (std::vector<std::string>{"bad", "v1.0", "v1.0.0", "v1.0.0+a", "v1.0.0+b", "v2"}));
}

TEST(CanonicalVersionTest, KeepsOnlyTheIncompatibleBuildSuffix) {
  EXPECT_EQ(CanonicalVersion("v2.0.0+incompatible"), "v2.0.0+incompatible");
  EXPECT_EQ(CanonicalVersion("v2+incompatible"), "");  // short forms take no suffix
  EXPECT_EQ(CanonicalVersion("v1.2.3+meta"), "v1.2.3");
  EXPECT_EQ(CanonicalVersion("v1.2"), "v1.2.0");
  EXPECT_EQ(CanonicalVersion("master"), "");
}

TEST(CanonicalVersionTest, IsCanonicalOnlyForFullFormsWithoutMetadata) {
  EXPECT_TRUE(IsCanonicalVersion("v1.2.3"));
  EXPECT_TRUE(IsCanonicalVersion("v1.2.3-pre.1"));
  EXPECT_TRUE(IsCanonicalVersion("v2.0.0+incompatible"));
  EXPECT_FALSE(IsCanonicalVersion("v1.2"));
  EXPECT_FALSE(IsCanonicalVersion("v1.2.3+meta"));
  EXPECT_FALSE(IsCanonicalVersion(""));
  EXPECT_FALSE(IsCanonicalVersion("master"));
}

TEST(PseudoVersionTest, RecognisesAllThreeForms) {
  for (const char* v :
       {"v0.0.0-20191109021931-daa7c04131f5", "v1.2.4-0.20191109021931-daa7c04131f5",
        "v1.2.3-pre.0.20191109021931-daa7c04131f5",
        "v2.0.1-0.20191109021931-daa7c04131f5+incompatible",
        "v3.0.0-20191109021931-daa7c04131f5"}) {
    EXPECT_TRUE(IsPseudoVersion(v)) << v;
  }
}

TEST(PseudoVersionTest, RejectsLookalikes) {
  for (const char* v :
       {"v1.2.3", "v1.2.3-pre",
        // go.dev/ref/mod's own example lacks the "0." (§4.2).
        "v2.0.1-20200722182040-012345abcdef+incompatible",
        "v0.0.0-2019110902193-daa7c04131f5",  // 13 digits
        "v0.0.0-20191109021931-",             // no revision
        "v1.2.3-pre.1.20191109021931-daa7c04131f5", "v1.2.3-pre0.20191109021931-abc",
        "0.0.0-20191109021931-daa7c04131f5", "v0.0-20191109021931-daa7c04131f5"}) {
    EXPECT_FALSE(IsPseudoVersion(v)) << v;
  }
}

}  // namespace
}  // namespace modproxy::protocol
