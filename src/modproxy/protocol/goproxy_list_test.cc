#include "modproxy/protocol/goproxy_list.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace modproxy::protocol {
namespace {

using Entries = std::vector<UpstreamEntry>;

UpstreamEntry Url(std::string url, bool fall_back_on_error = false) {
  return {UpstreamKind::kUrl, std::move(url), fall_back_on_error};
}
const UpstreamEntry kDirect{UpstreamKind::kDirect, "", false};
const UpstreamEntry kOff{UpstreamKind::kOff, "", false};

Entries MustParse(std::string_view value) {
  Result<Entries> entries = ParseGoproxyList(value);
  EXPECT_TRUE(entries.has_value()) << value << ": " << (entries ? "" : entries.error().message);
  return entries ? *entries : Entries{};
}

bool Fails(std::string_view value) {
  Result<Entries> entries = ParseGoproxyList(value);
  if (entries) return false;
  EXPECT_EQ(entries.error().code, ErrorCode::kInvalidArgument) << value;
  return true;
}

TEST(GoproxyListTest, EmptyValueMeansTheDefault) {
  EXPECT_EQ(MustParse(""), (Entries{Url("https://proxy.golang.org"), kDirect}));
}

TEST(GoproxyListTest, DirectEndsTheList) {
  EXPECT_EQ(MustParse("direct,https://a.example"), (Entries{kDirect}));
  EXPECT_EQ(MustParse("https://a.example,direct,https://b.example,off"),
            (Entries{Url("https://a.example"), kDirect}));
}

TEST(GoproxyListTest, OffEndsTheList) {
  EXPECT_EQ(MustParse("off"), (Entries{kOff}));
  EXPECT_EQ(MustParse("https://a.example|off|direct"),
            (Entries{Url("https://a.example", true), kOff}));
}

TEST(GoproxyListTest, PipeAfterAnEntryMeansFallBackOnAnyError) {
  EXPECT_EQ(MustParse("https://a.example|https://b.example,https://c.example|direct"),
            (Entries{Url("https://a.example", true), Url("https://b.example", false),
                     Url("https://c.example", true), kDirect}));
  // The separator after the last entry still counts, as in the go command.
  EXPECT_EQ(MustParse("https://a.example|"), (Entries{Url("https://a.example", true)}));
}

TEST(GoproxyListTest, SkipsEmptyEntriesAndTrimsSpaces) {
  EXPECT_EQ(MustParse(",, https://a.example ,\t,direct"),
            (Entries{Url("https://a.example"), kDirect}));
}

TEST(GoproxyListTest, RejectsAValueWithNoEntries) {
  EXPECT_TRUE(Fails(","));
  EXPECT_TRUE(Fails(" "));
  EXPECT_TRUE(Fails("|,|"));
}

TEST(GoproxyListTest, AddsHttpsToBareHosts) {
  EXPECT_EQ(MustParse("localhost:8080"), (Entries{Url("https://localhost:8080")}));
  EXPECT_EQ(MustParse("proxy.example.com/base/,direct"),
            (Entries{Url("https://proxy.example.com/base"), kDirect}));
}

TEST(GoproxyListTest, KeepsUrlsAsGivenWithoutTheTrailingSlash) {
  EXPECT_EQ(MustParse("https://h.example/a/b/"), (Entries{Url("https://h.example/a/b")}));
  EXPECT_EQ(MustParse("http://127.0.0.1:3000"), (Entries{Url("http://127.0.0.1:3000")}));
  EXPECT_EQ(MustParse("HTTPS://User:pw@H.example"), (Entries{Url("HTTPS://User:pw@H.example")}));
  EXPECT_EQ(MustParse("https://[::1]:8443/"), (Entries{Url("https://[::1]:8443")}));
  EXPECT_EQ(MustParse("file:///srv/goproxy/"), (Entries{Url("file:///srv/goproxy")}));
}

TEST(GoproxyListTest, RejectsUnknownKeywordsAndSchemes) {
  EXPECT_TRUE(Fails("foo"));
  EXPECT_TRUE(Fails("noproxy"));
  EXPECT_TRUE(Fails("https://a.example,foo"));
  EXPECT_TRUE(Fails("ftp://a.example"));
  EXPECT_TRUE(Fails("/srv/goproxy"));
  EXPECT_TRUE(Fails("://a.example"));
}

TEST(GoproxyListTest, NamesTheBadEntryInTheError) {
  Result<Entries> entries = ParseGoproxyList("https://a.example,ftp://b.example");
  ASSERT_FALSE(entries.has_value());
  EXPECT_NE(entries.error().message.find("\"ftp://b.example\""), std::string::npos)
      << entries.error().message;
}

TEST(GoproxyListTest, AcceptsOnlyPlainAbsoluteFileUrls) {
  EXPECT_TRUE(Fails("file://host/srv/goproxy"));
  EXPECT_TRUE(Fails("file:/srv/goproxy"));
  EXPECT_TRUE(Fails("file:relative"));
  EXPECT_TRUE(Fails("file:///srv/goproxy?x=1"));
  EXPECT_TRUE(Fails("file:///srv/goproxy#frag"));
  EXPECT_TRUE(Fails("file://user@/srv"));
}

TEST(GoproxyListTest, RejectsMalformedUrls) {
  EXPECT_TRUE(Fails("https://a b.example"));
  EXPECT_TRUE(Fails("https://a.example:port"));
  EXPECT_TRUE(Fails("https://a.example/%zz"));
  EXPECT_TRUE(Fails("https://a.example/\x01"));
  EXPECT_TRUE(Fails("https://"));
  EXPECT_TRUE(Fails("https:opaque"));
  EXPECT_TRUE(Fails("https://a.example/?q=1"));
}

TEST(ShouldTryNextTest, StopsOnSuccess) {
  EXPECT_FALSE(ShouldTryNext(Url("https://a.example", true), AttemptOutcome::kSuccess));
}

TEST(ShouldTryNextTest, AlwaysMovesOnAfterNotFound) {
  EXPECT_TRUE(ShouldTryNext(Url("https://a.example", false), AttemptOutcome::kNotFound));
  EXPECT_TRUE(ShouldTryNext(kOff, AttemptOutcome::kNotFound));
}

TEST(ShouldTryNextTest, MovesOnAfterAnErrorOnlyAfterAPipe) {
  EXPECT_FALSE(ShouldTryNext(Url("https://a.example", false), AttemptOutcome::kError));
  EXPECT_TRUE(ShouldTryNext(Url("https://a.example", true), AttemptOutcome::kError));
}

}  // namespace
}  // namespace modproxy::protocol
