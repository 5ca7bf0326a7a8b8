#include "modproxy/vcs/pseudo_version.h"

#include <cstdint>
#include <string>

#include <gtest/gtest.h>

#include "modproxy/protocol/semver.h"

namespace modproxy::vcs {
namespace {

// 2006-01-02T15:04:05Z, the time of x/mod's pseudo_test.go.
constexpr std::int64_t kPseudoTime = 1136214245;

struct PseudoCase {
  const char* major;
  const char* older;
  const char* version;
};

// x/mod module/pseudo_test.go's table.
constexpr PseudoCase kPseudoCases[] = {
    {"", "", "v0.0.0-20060102150405-hash"},
    {"v0", "", "v0.0.0-20060102150405-hash"},
    {"v1", "", "v1.0.0-20060102150405-hash"},
    {"v2", "", "v2.0.0-20060102150405-hash"},
    {"unused", "v0.0.0", "v0.0.1-0.20060102150405-hash"},
    {"unused", "v1.2.3", "v1.2.4-0.20060102150405-hash"},
    {"unused", "v1.2.99999999999999999", "v1.2.100000000000000000-0.20060102150405-hash"},
    {"unused", "v1.2.3-pre", "v1.2.3-pre.0.20060102150405-hash"},
    {"unused", "v1.3.0-pre", "v1.3.0-pre.0.20060102150405-hash"},
    {"unused", "v0.0.0--", "v0.0.0--.0.20060102150405-hash"},
    {"unused", "v1.0.0+metadata", "v1.0.1-0.20060102150405-hash+metadata"},
    {"unused", "v2.0.0+incompatible", "v2.0.1-0.20060102150405-hash+incompatible"},
    {"unused", "v2.3.0-pre+incompatible", "v2.3.0-pre.0.20060102150405-hash+incompatible"},
};

TEST(PseudoVersionTest, BuildsEveryFormOfXModsTable) {
  for (const PseudoCase& c : kPseudoCases) {
    EXPECT_EQ(PseudoVersion(c.major, c.older, kPseudoTime, "hash"), c.version) << c.older;
    EXPECT_TRUE(protocol::IsPseudoVersion(c.version)) << c.version;
  }
}

TEST(PseudoVersionTest, ReferenceVectorsForTheThreeBaseKinds) {
  // go-modules-reference.md §4.1: 2019-11-09 02:19:31 UTC, rev daa7c04131f5.
  constexpr std::int64_t t = 1573265971;
  EXPECT_EQ(PseudoVersion("", "", t, "daa7c04131f5"), "v0.0.0-20191109021931-daa7c04131f5");
  EXPECT_EQ(PseudoVersion("", "v1.2.3", t, "daa7c04131f5"), "v1.2.4-0.20191109021931-daa7c04131f5");
  EXPECT_EQ(PseudoVersion("", "v1.2.3-pre", t, "daa7c04131f5"),
            "v1.2.3-pre.0.20191109021931-daa7c04131f5");
  EXPECT_EQ(PseudoVersion("", "v2.0.0+incompatible", t, "daa7c04131f5"),
            "v2.0.1-0.20191109021931-daa7c04131f5+incompatible");
  EXPECT_EQ(PseudoVersion("", "v1.2.9", t, "daa7c04131f5"),
            "v1.2.10-0.20191109021931-daa7c04131f5");
}

TEST(PseudoVersionTest, TimestampIsUtcWithFourDigitYear) {
  EXPECT_EQ(PseudoVersionTimestamp(0), "19700101000000");
  EXPECT_EQ(PseudoVersionTimestamp(951782400), "20000229000000");
  EXPECT_EQ(PseudoVersionTimestamp(-1), "19691231235959");
  EXPECT_EQ(ZeroPseudoVersion("v0"), "v0.0.0-00010101000000-000000000000");
  EXPECT_EQ(ZeroPseudoVersion(""), "v0.0.0-00010101000000-000000000000");
  EXPECT_TRUE(IsZeroPseudoVersion("v2.0.0-00010101000000-000000000000"));
  EXPECT_FALSE(IsZeroPseudoVersion("v2.0.0-00010101000000-000000000001"));
}

TEST(PseudoVersionTest, ExtractsTimeRevAndBase) {
  for (const PseudoCase& c : kPseudoCases) {
    Result<std::int64_t> t = PseudoVersionTime(c.version);
    ASSERT_TRUE(t.has_value()) << c.version << ": " << t.error().message;
    EXPECT_EQ(*t, kPseudoTime) << c.version;
    Result<std::string> rev = PseudoVersionRev(c.version);
    ASSERT_TRUE(rev.has_value());
    EXPECT_EQ(*rev, "hash");
    Result<std::string> base = PseudoVersionBase(c.version);
    ASSERT_TRUE(base.has_value()) << c.version << ": " << base.error().message;
    EXPECT_EQ(*base, c.older);
    // The older versions are not pseudo-versions.
    EXPECT_FALSE(PseudoVersionTime(c.older).has_value()) << c.older;
    EXPECT_FALSE(PseudoVersionRev(c.older).has_value()) << c.older;
  }
  EXPECT_FALSE(PseudoVersionTime("---").has_value());
}

TEST(PseudoVersionTest, BaseRefusesWhatXModRefuses) {
  for (const char* v :
       {"v0.0.0", "v0.0.0-", "v0.0.0-0.20060102150405-hash", "v0.1.0-0.20060102150405-hash",
        "v1.0.0-0.20060102150405-hash", "v0.0.0-20060102150405-hash+incompatible",
        "v0.0.0-20060102150405-hash+metadata"}) {
    Result<std::string> base = PseudoVersionBase(v);
    EXPECT_FALSE(base.has_value()) << v;
  }
  EXPECT_EQ(PseudoVersionBase("v0.0.0-20060102150405-hash+incompatible").error().message,
            "lacks base version, but has build metadata \"+incompatible\"");
  EXPECT_EQ(PseudoVersionBase("v1.0.0-0.20060102150405-hash").error().message,
            "version before v1.0.0 would have negative patch number");
  EXPECT_EQ(PseudoVersionBase("v1.0.0").error().message, "syntax error");
}

TEST(PseudoVersionTest, BaseDecrementsPatchWithBorrow) {
  EXPECT_EQ(*PseudoVersionBase("v1.2.10-0.20060102150405-hash"), "v1.2.9");
  EXPECT_EQ(*PseudoVersionBase("v1.2.100-0.20060102150405-hash"), "v1.2.99");
  EXPECT_EQ(*PseudoVersionBase("v1.2.101-0.20060102150405-hash"), "v1.2.100");
  EXPECT_EQ(*PseudoVersionBase("v1.2.1-0.20060102150405-hash"), "v1.2.0");
}

TEST(PseudoVersionTest, TimeRefusesOutOfRangeFields) {
  for (const char* v : {"v0.0.0-20061302150405-abcdefabcdef", "v0.0.0-20060230150405-abcdefabcdef",
                        "v0.0.0-20060100150405-abcdefabcdef", "v0.0.0-20060102240405-abcdefabcdef",
                        "v0.0.0-20060102156005-abcdefabcdef", "v0.0.0-20060102150460-abcdefabcdef",
                        "v0.0.0-20050229000000-abcdefabcdef"}) {
    Result<std::int64_t> t = PseudoVersionTime(v);
    ASSERT_FALSE(t.has_value()) << v;
    EXPECT_EQ(t.error().message.rfind("malformed time \"", 0), 0u) << t.error().message;
  }
  EXPECT_EQ(*PseudoVersionTime("v0.0.0-20040229000000-abcdefabcdef"), 1078012800);
}

}  // namespace
}  // namespace modproxy::vcs
