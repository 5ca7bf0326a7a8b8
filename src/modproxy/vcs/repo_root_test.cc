#include "modproxy/vcs/repo_root.h"

#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace modproxy::vcs {
namespace {

RepoRoot Static(const std::string& path) {
  Result<std::optional<RepoRoot>> r = StaticRepoRoot(path);
  EXPECT_TRUE(r.has_value()) << path << ": " << r.error().message;
  EXPECT_TRUE(r.has_value() && r->has_value()) << path << ": needs dynamic lookup";
  return r.has_value() && r->has_value() ? **r : RepoRoot{};
}

bool NeedsDynamic(const std::string& path) {
  Result<std::optional<RepoRoot>> r = StaticRepoRoot(path);
  return r.has_value() && !r->has_value();
}

std::string ErrorOf(const std::string& path) {
  Result<std::optional<RepoRoot>> r = StaticRepoRoot(path);
  EXPECT_FALSE(r.has_value()) << path;
  return r.has_value() ? "" : r.error().message;
}

// vcs_test.go's TestRepoRootForImportPath, split into static answers,
// static refusals and paths that go on to dynamic discovery.
TEST(StaticRepoRootTest, KnownHosts) {
  RepoRoot r = Static("github.com/golang/groupcache");
  EXPECT_EQ(r.root, "github.com/golang/groupcache");
  EXPECT_EQ(r.vcs, "git");
  EXPECT_EQ(r.repo, "https://github.com/golang/groupcache");
  EXPECT_FALSE(r.scheme_probe);
  EXPECT_EQ(Static("github.com/a/b/c/v2").root, "github.com/a/b");
  EXPECT_EQ(Static("hub.jazz.net/git/user1/pkgname").repo,
            "https://hub.jazz.net/git/user1/pkgname");
  EXPECT_EQ(Static("hub.jazz.net/git/user1/pkgname/submodule/submodule/submodule").repo,
            "https://hub.jazz.net/git/user1/pkgname");
  EXPECT_EQ(Static("hub.jazz.net/git/user/pkg.name").repo,
            "https://hub.jazz.net/git/user/pkg.name");
  EXPECT_EQ(Static("git.openstack.org/openstack/swift").repo,
            "https://git.openstack.org/openstack/swift");
  EXPECT_EQ(Static("git.openstack.org/openstack/swift.git").repo,
            "https://git.openstack.org/openstack/swift.git");
  EXPECT_EQ(Static("git.openstack.org/openstack/swift/go/hummingbird").repo,
            "https://git.openstack.org/openstack/swift");
  EXPECT_EQ(Static("git.apache.org/package-name.git").repo,
            "https://git.apache.org/package-name.git");
  EXPECT_EQ(Static("git.apache.org/package-name_2.x.git/path/to/lib").repo,
            "https://git.apache.org/package-name_2.x.git");
  r = Static("chiselapp.com/user/kyle/repository/fossilgg");
  EXPECT_EQ(r.vcs, "fossil");
  EXPECT_EQ(r.repo, "https://chiselapp.com/user/kyle/repository/fossilgg");
  EXPECT_EQ(Static("bitbucket.org/workspace/pkgname").repo,
            "https://bitbucket.org/workspace/pkgname");
}

TEST(StaticRepoRootTest, KnownHostPrefixWithWrongShapeIsAnError) {
  EXPECT_EQ(
      ErrorOf("github.com/user/unicode/испытание"),
      "invalid github.com import path \"github.com/user/unicode/\\xd0\\xb8\\xd1\\x81\\xd0\\xbf"
      "\\xd1\\x8b\\xd1\\x82\\xd0\\xb0\\xd0\\xbd\\xd0\\xb8\\xd0\\xb5\"");
  EXPECT_EQ(ErrorOf("github.com/user"), "invalid github.com import path \"github.com/user\"");
  EXPECT_EQ(ErrorOf("hub.jazz.net/git/User 1/pkgname").substr(0, 30),
            "invalid hub.jazz.net/git impor");
  ErrorOf("hub.jazz.net/git/user1/pkg name");
  ErrorOf("hub.jazz.net/git/user.1/pkgname");
  ErrorOf("hub.jazz.net/git/USER/pkgname");
  ErrorOf("git.openstack.org");
  ErrorOf("git.openstack.org/openstack");
  ErrorOf("git.apache.org/package name/path/to/lib");
  ErrorOf("git.apache.org/package-name/path/to/lib");
  ErrorOf("chiselapp.com/kyle/repository/fossilgg");
  ErrorOf("chiselapp.com/user/kyle/fossilgg");
  EXPECT_EQ(ErrorOf("github.com/a/b.git"), "invalid version control suffix in github.com/ path");
  EXPECT_EQ(ErrorOf("bitbucket.org/a/b.hg/c"),
            "invalid version control suffix in bitbucket.org/ path");
  EXPECT_EQ(ErrorOf("example.net/a"), "no modules on example.net");
}

TEST(StaticRepoRootTest, OtherHostsNeedDynamicLookup) {
  EXPECT_TRUE(NeedsDynamic("hub.jazz.net"));
  EXPECT_TRUE(NeedsDynamic("hubajazz.net"));
  EXPECT_TRUE(NeedsDynamic("hub2.jazz.net"));
  EXPECT_TRUE(NeedsDynamic("hub.jazz.net/someotherprefix"));
  EXPECT_TRUE(NeedsDynamic("hub.jazz.net/someotherprefix/user1/pkgname"));
  EXPECT_TRUE(NeedsDynamic("gitbapache.org"));
  EXPECT_TRUE(NeedsDynamic("golang.org/x/tools"));
  EXPECT_TRUE(NeedsDynamic("example.com/foo.gitx/bar"));
  EXPECT_TRUE(NeedsDynamic("example.com/.git"));
}

TEST(StaticRepoRootTest, QualifierFormEndsTheRootAtTheFirstVcsSuffix) {
  RepoRoot r = Static("example.com/foo.git/bar");
  EXPECT_EQ(r.root, "example.com/foo.git");
  EXPECT_EQ(r.vcs, "git");
  EXPECT_EQ(r.repo, "example.com/foo");
  EXPECT_TRUE(r.scheme_probe);
  r = Static("example.com/a/b.git/c.git/d");
  EXPECT_EQ(r.root, "example.com/a/b.git");
  EXPECT_EQ(r.repo, "example.com/a/b");
  r = Static("git.example.com/~user/proj.hg");
  EXPECT_EQ(r.root, "git.example.com/~user/proj.hg");
  EXPECT_EQ(r.vcs, "hg");
  EXPECT_EQ(Static("example.com/x.svn").vcs, "svn");
  EXPECT_EQ(Static("example.com/x.bzr/y").vcs, "bzr");
  EXPECT_EQ(Static("example.com/x.fossil").vcs, "fossil");
  // The pattern is not anchored at the start: an element with '~' in the
  // middle stops a match from the host, and a later one is taken.
  r = Static("example.com/a~b/x.y/c.git/d");
  EXPECT_EQ(r.root, "x.y/c.git");
  EXPECT_EQ(r.repo, "x.y/c");
}

TEST(StaticRepoRootTest, SchemesAndSecurity) {
  EXPECT_EQ(VcsSchemes("git"),
            (std::vector<std::string>{"git", "https", "http", "git+ssh", "ssh"}));
  EXPECT_EQ(VcsSchemes("hg"), (std::vector<std::string>{"https", "http", "ssh"}));
  EXPECT_TRUE(IsDefaultSecureScheme("https"));
  EXPECT_TRUE(IsDefaultSecureScheme("ssh"));
  EXPECT_TRUE(IsDefaultSecureScheme("git+ssh"));
  EXPECT_FALSE(IsDefaultSecureScheme("git"));
  EXPECT_FALSE(IsDefaultSecureScheme("http"));
}

TEST(RewriteRulesTest, FirstMatchingRuleCutsTheRootToThePatternsElements) {
  const std::vector<RewriteRule> rules = {
      {"git.corp.example/*/*", "ssh://git@git.corp.example/{path}.git"},
      {"go.corp.example/*", "https://src.corp.example/{root}"},
      {"go.corp.example/special/*", "https://never"},
  };
  std::optional<RepoRoot> r = MatchRewriteRules(rules, "git.corp.example/team/repo/sub/v2");
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->root, "git.corp.example/team/repo");
  EXPECT_EQ(r->repo, "ssh://git@git.corp.example/team/repo.git");
  EXPECT_EQ(r->vcs, "git");
  EXPECT_FALSE(r->scheme_probe);
  r = MatchRewriteRules(rules, "go.corp.example/special/x");
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->root, "go.corp.example/special");
  EXPECT_EQ(r->repo, "https://src.corp.example/go.corp.example/special");
  // Too few elements for the pattern: no match.
  EXPECT_FALSE(MatchRewriteRules(rules, "git.corp.example/team").has_value());
  EXPECT_FALSE(MatchRewriteRules(rules, "github.com/a/b").has_value());
  // A trailing slash in the pattern is ignored; a bare host pattern.
  const std::vector<RewriteRule> host = {{"mono.example/", "https://git.mono.example/all{path}"}};
  r = MatchRewriteRules(host, "mono.example/a/b");
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->root, "mono.example");
  EXPECT_EQ(r->repo, "https://git.mono.example/all");
}

}  // namespace
}  // namespace modproxy::vcs
