#include "modproxy/protocol/path_patterns.h"

#include <string>

#include <gtest/gtest.h>

namespace modproxy::protocol {
namespace {

// Cases from Go's path.Match tests, as (pattern, name, matches).
TEST(PathMatch, FollowsGoPathMatch) {
  struct Case {
    const char* pattern;
    const char* name;
    bool match;
  };
  const Case cases[] = {
      {"abc", "abc", true},
      {"*", "abc", true},
      {"*c", "abc", true},
      {"a*", "a", true},
      {"a*", "abc", true},
      {"a*", "ab/c", false},
      {"a*/b", "abc/b", true},
      {"a*/b", "a/c/b", false},
      {"a*b*c*d*e*/f", "axbxcxdxe/f", true},
      {"a*b*c*d*e*/f", "axbxcxdxexxx/f", true},
      {"a*b*c*d*e*/f", "axbxcxdxe/xxx/f", false},
      {"a*b*c*d*e*/f", "axbxcxdxexxx/fff", false},
      {"a*b?c*x", "abxbbxdbxebxczzx", true},
      {"a*b?c*x", "abxbbxdbxebxczzy", false},
      {"ab[c]", "abc", true},
      {"ab[b-d]", "abc", true},
      {"ab[e-g]", "abc", false},
      {"ab[^c]", "abc", false},
      {"ab[^b-d]", "abc", false},
      {"ab[^e-g]", "abc", true},
      {"a\\*b", "a*b", true},
      {"a\\*b", "ab", false},
      {"a?b", "a☺b", true},
      {"a[^a]b", "a☺b", true},
      {"a???b", "a☺b", false},
      {"a[^a][^a][^a]b", "a☺b", false},
      {"[a-ζ]*", "α", true},
      {"*[a-ζ]", "A", false},
      {"a?b", "a/b", false},
      {"a*b", "a/b", false},
      {"[\\]a]", "]", true},
      {"[\\-]", "-", true},
      {"[x\\-]", "x", true},
      {"[x\\-]", "-", true},
      {"[x\\-]", "z", false},
      {"[\\-x]", "x", true},
      {"[\\-x]", "a", false},
      {"*x", "xxx", true},
      // Malformed patterns match nothing.
      {"[]a]", "]", false},
      {"[-]", "-", false},
      {"[x-]", "x", false},
      {"[-x]", "x", false},
      {"\\", "a", false},
      {"[a-b-c]", "a", false},
      {"[", "a", false},
      {"[^", "a", false},
      {"[^bc", "a", false},
      {"a[", "a", false},
      {"a[", "ab", false},
      {"a[", "x", false},
      {"a/b[", "x", false},
      {"*x[", "x", false},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(PathMatch(c.pattern, c.name), c.match) << c.pattern << " vs " << c.name;
  }
}

// The vectors of go-modules-reference.md §7.10 (checked against the go command).
// Go's matcher keeps the leftmost match after each star: many stars over a
// long name stay fast (a full backtracking matcher takes minutes here).
TEST(PathMatch, ManyStarsDoNotBacktrackExponentially) {
  EXPECT_FALSE(PathMatch("*a*a*a*a*a*a*a*a*a*a*b", std::string(60, 'a')));
  EXPECT_TRUE(PathMatch("*a*a*a*a*a*a*a*a*a*a*a", std::string(2000, 'a')));
  EXPECT_TRUE(PathMatch("*a*b*c", "xxaxxbxxc"));
  EXPECT_FALSE(PathMatch("*a*b*c", "xxaxxbxxcx"));
}

TEST(MatchPrefixPatterns, MatchesLeadingElements) {
  EXPECT_TRUE(MatchPrefixPatterns("*.corp.example.com", "git.corp.example.com/x/y"));
  EXPECT_TRUE(MatchPrefixPatterns("corp.example.com", "corp.example.com/x"));
  EXPECT_FALSE(MatchPrefixPatterns("corp.example.com", "corp.example.comx/x"));
  EXPECT_TRUE(MatchPrefixPatterns("github.com/org/*", "github.com/org/repo/sub"));
  EXPECT_FALSE(MatchPrefixPatterns("github.com/org/*", "github.com/org"));
  EXPECT_TRUE(MatchPrefixPatterns("*", "golang.org/x/text"));
  EXPECT_FALSE(MatchPrefixPatterns("GitHub.com/org", "github.com/org/x"));
}

TEST(MatchPrefixPatterns, ListSyntax) {
  EXPECT_TRUE(MatchPrefixPatterns("a.example,b.example", "b.example/m"));
  EXPECT_TRUE(MatchPrefixPatterns(",,b.example/,", "b.example/m"));
  EXPECT_TRUE(MatchPrefixPatterns("b.example/m/", "b.example/m"));
  EXPECT_FALSE(MatchPrefixPatterns(" b.example", "b.example/m"));  // no trimming
  EXPECT_FALSE(MatchPrefixPatterns("", "b.example/m"));
  EXPECT_FALSE(MatchPrefixPatterns("[", "b.example/m"));
  EXPECT_TRUE(MatchPrefixPatterns("[,b.example", "b.example"));
}

}  // namespace
}  // namespace modproxy::protocol
