#include "modproxy/vcs/discovery.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace modproxy::vcs {
namespace {

std::vector<MetaImport> Parse(const std::string& html) {
  Result<std::vector<MetaImport>> r = ParseMetaGoImports(html);
  EXPECT_TRUE(r.has_value()) << r.error().message;
  return r.has_value() ? *r : std::vector<MetaImport>{};
}

using V = std::vector<MetaImport>;

// discovery_test.go's table (module mode, PreferMod), plus ours.
TEST(ParseMetaGoImportsTest, GoCommandVectors) {
  EXPECT_EQ(
      Parse(R"(<meta name="go-import" content="foo/bar git https://github.com/rsc/foo/bar">)"),
      (V{{"foo/bar", "git", "https://github.com/rsc/foo/bar"}}));
  EXPECT_EQ(Parse(R"(<meta name="go-import" content="foo/bar git https://github.com/rsc/foo/bar">
		<meta name="go-import" content="baz/quux git http://github.com/rsc/baz/quux">)"),
            (V{{"foo/bar", "git", "https://github.com/rsc/foo/bar"},
               {"baz/quux", "git", "http://github.com/rsc/baz/quux"}}));
  EXPECT_EQ(Parse(R"(<meta name="go-import" content="foo/bar mod http://github.com/rsc/baz/quux">
		<meta name="go-import" content="foo/bar git https://github.com/rsc/foo/bar">)"),
            (V{{"foo/bar", "mod", "http://github.com/rsc/baz/quux"}}));
  EXPECT_EQ(Parse(R"(<head>
		<meta name="go-import" content="foo/bar git https://github.com/rsc/foo/bar">
		</head>)"),
            (V{{"foo/bar", "git", "https://github.com/rsc/foo/bar"}}));
  EXPECT_EQ(Parse(R"(<meta name="go-import" content="foo/bar git https://github.com/rsc/foo/bar">
		<body>)"),
            (V{{"foo/bar", "git", "https://github.com/rsc/foo/bar"}}));
  EXPECT_EQ(
      Parse(
          R"(<!doctype html><meta name="go-import" content="foo/bar git https://github.com/rsc/foo/bar">)"),
      (V{{"foo/bar", "git", "https://github.com/rsc/foo/bar"}}));
  EXPECT_EQ(
      Parse(
          R"(<!doctype html><title>Page Not Found</title><meta name=go-import content="chitin.io/chitin git https://github.com/chitin-io/chitin"><div style=position:relative>DRAFT</div>)"),
      (V{{"chitin.io/chitin", "git", "https://github.com/chitin-io/chitin"}}));
  EXPECT_EQ(Parse(R"(<meta name="go-import" content="myitcv.io git https://github.com/myitcv/x">
	        <meta name="go-import" content="myitcv.io/blah2 mod https://raw.githubusercontent.com/myitcv/pubx/master">
	        )"),
            (V{{"myitcv.io/blah2", "mod", "https://raw.githubusercontent.com/myitcv/pubx/master"},
               {"myitcv.io", "git", "https://github.com/myitcv/x"}}));
}

TEST(ParseMetaGoImportsTest, StopsAtBodyOrEndOfHead) {
  EXPECT_TRUE(
      Parse("<html><head></head><meta name=\"go-import\" content=\"a git https://a\">").empty());
  EXPECT_TRUE(Parse("<body><meta name=\"go-import\" content=\"a git https://a\">").empty());
  EXPECT_TRUE(Parse("<head/><meta name=\"go-import\" content=\"a git https://a\">").empty());
  EXPECT_TRUE(Parse("<BODY><meta name=\"go-import\" content=\"a git https://a\">").empty());
}

TEST(ParseMetaGoImportsTest, LenientAboutCaseNamespacesEntitiesAndSelfClosing) {
  EXPECT_EQ(Parse(R"(<META NAME="go-import" CONTENT="x.org/a git https://h/a"/>)"),
            (V{{"x.org/a", "git", "https://h/a"}}));
  EXPECT_EQ(Parse("<h:meta name='go-import' content='x.org/a  git\thttps://h/a?x=1&amp;y=2'>"),
            (V{{"x.org/a", "git", "https://h/a?x=1&y=2"}}));
  EXPECT_EQ(Parse("<!-- <meta name=\"go-import\" content=\"no git https://no\"> -->"
                  "<?xml version=\"1.0\" encoding=\"UTF-8\"?><![CDATA[ < ]]>"
                  "<meta name=\"go-import\" content=\"x.org/a git https://h/a\">"),
            (V{{"x.org/a", "git", "https://h/a"}}));
  // The value must be exactly go-import; content must have 3 fields.
  EXPECT_TRUE(Parse(R"(<meta name="Go-Import" content="a git https://a">)").empty());
  EXPECT_TRUE(Parse(R"(<meta name="go-import" content="a git https://a sub">)").empty());
  EXPECT_TRUE(Parse(R"(<meta name="go-import" content="a git">)").empty());
  // Unknown entities stay as written (non-strict mode).
  EXPECT_EQ(Parse(R"(<meta name="go-import" content="x.org/a git https://h/&nbsp;">)"),
            (V{{"x.org/a", "git", "https://h/&nbsp;"}}));
}

TEST(ParseMetaGoImportsTest, TokenizerErrorsFailOnlyBeforeTheFirstTag) {
  for (const char* bad :
       {"<script>if (a < b) {}</script><meta name=go-import content=\"a git https://a\">",
        "\xff<meta name=go-import content=\"a git https://a\">",
        "<?xml version=\"1.0\" encoding=\"latin1\"?>", "<!- x ->", "<meta name=\"go-import",
        "a ]]> b", "<a b=\"<\">"}) {
    Result<std::vector<MetaImport>> r = ParseMetaGoImports(bad);
    EXPECT_FALSE(r.has_value()) << bad;
    if (!r.has_value()) {
      EXPECT_EQ(r.error().code, ErrorCode::kUpstreamInvalid);
    }
  }
  EXPECT_EQ(Parse("<meta name=go-import content=\"x.org/a git https://h/a\"><script>a < b"),
            (V{{"x.org/a", "git", "https://h/a"}}));
  EXPECT_TRUE(Parse("").empty());
  EXPECT_TRUE(Parse("plain text, no tags").empty());
}

TEST(MatchGoImportTest, PicksThePathPrefixEntry) {
  const V imports = {{"x.org/a", "git", "https://h/a"}, {"x.org/ab", "git", "https://h/ab"}};
  Result<MetaImport> m = MatchGoImport(imports, "x.org/a/sub");
  ASSERT_TRUE(m.has_value()) << m.error().message;
  EXPECT_EQ(m->repo_root, "https://h/a");
  EXPECT_EQ(MatchGoImport(imports, "x.org/ab")->repo_root, "https://h/ab");

  Result<MetaImport> none = MatchGoImport(imports, "x.org/c");
  ASSERT_FALSE(none.has_value());
  EXPECT_EQ(none.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(none.error().message,
            "meta tag x.org/a did not match import path x.org/c, meta tag x.org/ab did not match "
            "import path x.org/c");
}

TEST(MatchGoImportTest, TwoMatchesAreAnErrorUnlessModComesFirst) {
  const V two = {{"x.org/a", "git", "https://h/a"}, {"x.org/a/b", "git", "https://h/b"}};
  Result<MetaImport> m = MatchGoImport(two, "x.org/a/b/c");
  ASSERT_FALSE(m.has_value());
  EXPECT_EQ(m.error().message, "multiple meta tags match import path \"x.org/a/b/c\"");
  const V mod_first = {{"x.org/a", "mod", "https://proxy"}, {"x.org/a", "git", "https://h/a"}};
  EXPECT_EQ(MatchGoImport(mod_first, "x.org/a/b")->vcs, "mod");
}

TEST(MatchGoImportTest, DisagreementBetweenPageAndRootPage) {
  const MetaImport chosen{"x.org/a", "git", "https://h/a"};
  const V same = {chosen};
  EXPECT_TRUE(CheckMetaImportAgrees(chosen, same, "x.org/a/b", "https://x.org/a/b?go-get=1",
                                    "https://x.org/a?go-get=1")
                  .has_value());
  const V other = {{"x.org/a", "git", "https://evil/a"}};
  Result<void> r = CheckMetaImportAgrees(chosen, other, "x.org/a/b", "https://x.org/a/b?go-get=1",
                                         "https://x.org/a?go-get=1");
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().message,
            "https://x.org/a/b?go-get=1 and https://x.org/a?go-get=1 disagree about go-import for "
            "x.org/a");
}

TEST(ValidateRepoRootTest, NeedsASchemeOtherThanFile) {
  EXPECT_TRUE(ValidateRepoRoot("https://h/a").has_value());
  EXPECT_TRUE(ValidateRepoRoot("git+ssh://h/a").has_value());
  EXPECT_TRUE(ValidateRepoRoot("ssh://git@h/a").has_value());
  EXPECT_FALSE(ValidateRepoRoot("h/a").has_value());
  EXPECT_FALSE(ValidateRepoRoot("git@h:a").has_value());  // scp-like syntax has no scheme
  EXPECT_FALSE(ValidateRepoRoot("file:///srv/a").has_value());
  EXPECT_FALSE(ValidateRepoRoot("FILE:///srv/a").has_value());
  EXPECT_FALSE(ValidateRepoRoot("://h").has_value());
  EXPECT_FALSE(ValidateRepoRoot("https://h/\n").has_value());
}

TEST(GoGetUrlTest, HostThenPath) {
  EXPECT_EQ(*GoGetUrlWithoutScheme("x.org/a/b"), "x.org/a/b?go-get=1");
  EXPECT_EQ(*GoGetUrlWithoutScheme("x.org"), "x.org/?go-get=1");
  EXPECT_FALSE(GoGetUrlWithoutScheme("localhost/a").has_value());
}

}  // namespace
}  // namespace modproxy::vcs
