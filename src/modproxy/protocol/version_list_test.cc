#include "modproxy/protocol/version_list.h"

#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace modproxy::protocol {
namespace {

using Versions = std::vector<std::string>;

TEST(ParseVersionListTest, SortsDeduplicatesAndDropsPseudoVersions) {
  Result<Versions> list = ParseVersionList(
      "v1.10.0\nv1.2.0\nv1.2.0\nv0.0.0-20191109021931-daa7c04131f5\nv2.0.0+incompatible\n"
      "v1.3.0-rc.1\n");
  ASSERT_TRUE(list.has_value()) << list.error().message;
  EXPECT_EQ(*list, (Versions{"v1.2.0", "v1.3.0-rc.1", "v1.10.0", "v2.0.0+incompatible"}));
}

TEST(ParseVersionListTest, KeepsOnlyTheFirstFieldOfEachLine) {
  Result<Versions> list =
      ParseVersionList("v1.0.0 2019-11-09T02:19:31Z\r\n\n   \n\tv1.1.0\t\r\nv1.2.0");
  ASSERT_TRUE(list.has_value()) << list.error().message;
  EXPECT_EQ(*list, (Versions{"v1.0.0", "v1.1.0", "v1.2.0"}));
}

TEST(ParseVersionListTest, SplitsFieldsOnUnicodeSpacesAsGoDoes) {
  // U+00A0 and U+3000 are spaces to strings.Fields.
  Result<Versions> list = ParseVersionList("v1.0.0\xC2\xA0x\nv1.1.0\xE3\x80\x80y\n");
  ASSERT_TRUE(list.has_value()) << list.error().message;
  EXPECT_EQ(*list, (Versions{"v1.0.0", "v1.1.0"}));
}

TEST(ParseVersionListTest, AcceptsAnEmptyBody) {
  Result<Versions> list = ParseVersionList("");
  ASSERT_TRUE(list.has_value());
  EXPECT_TRUE(list->empty());
}

TEST(ParseVersionListTest, RejectsBodiesThatAreNotVersionLists) {
  for (const char* body : {"<html><body>Not Found</body></html>\n", "v1.0.0\nnot found\n", "v1.2\n",
                           "v1.2.3+meta\n", "1.2.3\n"}) {
    Result<Versions> list = ParseVersionList(body);
    ASSERT_FALSE(list.has_value()) << body;
    EXPECT_EQ(list.error().code, ErrorCode::kUnavailable);
  }
}

TEST(MergeVersionListsTest, UnitesSortsAndDropsPseudoVersions) {
  EXPECT_EQ(MergeVersionLists({"v1.1.0", "v1.0.0"},
                              {"v1.0.0", "v0.9.0", "v1.1.1-0.20191109021931-daa7c04131f5"}),
            (Versions{"v0.9.0", "v1.0.0", "v1.1.0"}));
  EXPECT_TRUE(MergeVersionLists({}, {}).empty());
}

TEST(FormatVersionListTest, WritesOneVersionPerLine) {
  EXPECT_EQ(FormatVersionList({"v1.0.0", "v1.1.0"}), "v1.0.0\nv1.1.0\n");
  EXPECT_EQ(FormatVersionList({}), "");
}

TEST(FormatVersionListTest, RoundTripsThroughParse) {
  const Versions versions = {"v0.1.0", "v1.0.0-rc.1", "v1.0.0", "v3.0.0+incompatible"};
  Result<Versions> parsed = ParseVersionList(FormatVersionList(versions));
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(*parsed, versions);
}

TEST(ChooseLatestTest, PrefersTheHighestReleaseOverNewerPrereleases) {
  EXPECT_EQ(ChooseLatest({"v1.0.0", "v1.9.0", "v2.0.0-rc.1", "v1.10.0"}), "v1.10.0");
}

TEST(ChooseLatestTest, FallsBackToTheHighestPrerelease) {
  EXPECT_EQ(ChooseLatest({"v1.0.0-alpha", "v1.0.0-beta.2", "v1.0.0-beta.11"}), "v1.0.0-beta.11");
}

TEST(ChooseLatestTest, IgnoresPseudoAndInvalidVersions) {
  EXPECT_EQ(ChooseLatest({"v1.0.0", "v1.0.1-0.20191109021931-daa7c04131f5", "v9", "garbage"}),
            "v9");
  EXPECT_EQ(ChooseLatest({"v0.0.0-20191109021931-daa7c04131f5", "garbage"}), std::nullopt);
  EXPECT_EQ(ChooseLatest({}), std::nullopt);
}

TEST(ChooseLatestTest, ConsidersIncompatibleVersions) {
  EXPECT_EQ(ChooseLatest({"v1.5.0", "v2.0.0+incompatible"}), "v2.0.0+incompatible");
}

}  // namespace
}  // namespace modproxy::protocol
