#include "modproxy/direct/repo_resolver.h"

#include <map>

#include <gtest/gtest.h>

namespace modproxy::direct {
namespace {

// go-import pages by target ("host/path?go-get=1"), with a log of requests.
class FakeMetaFetcher final : public MetaFetcher {
 public:
  struct Call {
    std::string target;
    bool insecure;
    bool restrict_egress;
  };
  Result<MetaPage> Fetch(const std::string& target, bool insecure, bool restrict_egress) override {
    calls.push_back({target, insecure, restrict_egress});
    auto it = pages.find(target);
    if (it == pages.end()) return MetaPage{404, "https://" + target, "not found"};
    return MetaPage{200, "https://" + target, it->second};
  }
  std::map<std::string, std::string> pages;
  std::vector<Call> calls;
};

std::string Page(const std::string& content) {
  return "<html><head><meta name=\"go-import\" content=\"" + content + "\"></head></html>";
}

TEST(RepoResolver, RewriteRulesComeFirstAndAreTheOperators) {
  FakeMetaFetcher meta;
  RepoResolverOptions options;
  options.rewrites = {{"corp.example.com/*", "ssh://git@git.corp.example.com/{path}.git"}};
  RepoResolver r(options, meta);
  Result<RepoLocation> loc = r.Resolve("corp.example.com/lib/sub/v2");
  ASSERT_TRUE(loc.has_value()) << loc.error().message;
  EXPECT_EQ(loc->root, "corp.example.com/lib");
  EXPECT_EQ(loc->urls, std::vector<std::string>{"ssh://git@git.corp.example.com/lib.git"});
  EXPECT_TRUE(loc->operator_configured);
  EXPECT_TRUE(meta.calls.empty());
}

TEST(RepoResolver, StaticTableAndQualifiedPaths) {
  FakeMetaFetcher meta;
  RepoResolverOptions options;
  options.insecure = "insecure.example";
  RepoResolver r(options, meta);
  Result<RepoLocation> gh = r.Resolve("github.com/user/repo/sub");
  ASSERT_TRUE(gh.has_value());
  EXPECT_EQ(gh->root, "github.com/user/repo");
  EXPECT_EQ(gh->urls, std::vector<std::string>{"https://github.com/user/repo"});
  EXPECT_FALSE(gh->operator_configured);
  // A .git path: the secure schemes in the go command's order...
  Result<RepoLocation> q = r.Resolve("example.com/repo.git/sub");
  ASSERT_TRUE(q.has_value());
  EXPECT_EQ(q->root, "example.com/repo.git");
  EXPECT_EQ(q->urls,
            (std::vector<std::string>{"https://example.com/repo", "git+ssh://example.com/repo",
                                      "ssh://example.com/repo"}));
  // ...and the insecure ones too for --insecure paths.
  Result<RepoLocation> i = r.Resolve("insecure.example/repo.git");
  ASSERT_TRUE(i.has_value());
  EXPECT_EQ(i->urls.front(), "git://insecure.example/repo");
  EXPECT_EQ(i->urls.size(), 5u);
  EXPECT_TRUE(meta.calls.empty());
  // Mercurial and friends are the go command's, not ours.
  Result<RepoLocation> hg = r.Resolve("example.com/repo.hg");
  ASSERT_FALSE(hg.has_value());
  EXPECT_EQ(hg.error().code, ErrorCode::kNotFound);
  EXPECT_NE(hg.error().message.find("git only"), std::string::npos);
}

TEST(RepoResolver, DiscoveryChecksTheRootPageAgrees) {
  FakeMetaFetcher meta;
  meta.pages["corp.example/team/lib/sub?go-get=1"] =
      Page("corp.example/team/lib git https://git.corp.example/lib.git");
  meta.pages["corp.example/team/lib?go-get=1"] =
      Page("corp.example/team/lib git https://git.corp.example/lib.git");
  RepoResolverOptions options;
  options.private_patterns = "corp.example";
  RepoResolver r(options, meta);
  Result<RepoLocation> loc = r.Resolve("corp.example/team/lib/sub");
  ASSERT_TRUE(loc.has_value()) << loc.error().message;
  EXPECT_EQ(loc->root, "corp.example/team/lib");
  EXPECT_EQ(loc->urls, std::vector<std::string>{"https://git.corp.example/lib.git"});
  ASSERT_EQ(meta.calls.size(), 2u);
  EXPECT_FALSE(meta.calls[0].restrict_egress);  // a --private path
  EXPECT_FALSE(meta.calls[0].insecure);
  // Cached: no second discovery.
  ASSERT_TRUE(r.Resolve("corp.example/team/lib/sub").has_value());
  EXPECT_EQ(meta.calls.size(), 2u);

  // A page below the root that names another repository than the root's own.
  meta.pages["evil.example/a/b?go-get=1"] = Page("evil.example/a git https://attacker.example/x");
  meta.pages["evil.example/a?go-get=1"] = Page("evil.example/a git https://evil.example/a.git");
  Result<RepoLocation> evil = r.Resolve("evil.example/a/b");
  ASSERT_FALSE(evil.has_value());
  EXPECT_NE(evil.error().message.find("disagree"), std::string::npos) << evil.error().message;
  EXPECT_TRUE(meta.calls.back().restrict_egress);  // a public path
}

TEST(RepoResolver, DiscoveryRefusals) {
  FakeMetaFetcher meta;
  meta.pages["mod.example/m?go-get=1"] = Page("mod.example/m mod https://proxy.mod.example");
  meta.pages["hg.example/m?go-get=1"] = Page("hg.example/m hg https://hg.mod.example/m");
  meta.pages["file.example/m?go-get=1"] = Page("file.example/m git file:///etc");
  RepoResolver r({}, meta);
  struct Case {
    const char* module;
    ErrorCode code;
    const char* message;
  } cases[] = {
      {"mod.example/m", ErrorCode::kNotFound, "names a module proxy"},
      {"hg.example/m", ErrorCode::kNotFound, "git only"},
      {"file.example/m", ErrorCode::kUpstreamInvalid, "file"},
      {"none.example/m", ErrorCode::kNotFound, "unrecognized import path \"none.example/m\""},
      {"nodot/m", ErrorCode::kNotFound, "unrecognized import path"},
  };
  for (const Case& c : cases) {
    Result<RepoLocation> loc = r.Resolve(c.module);
    ASSERT_FALSE(loc.has_value()) << c.module;
    EXPECT_EQ(loc.error().code, c.code) << c.module << ": " << loc.error().message;
    EXPECT_NE(loc.error().message.find(c.message), std::string::npos) << loc.error().message;
  }
}

}  // namespace
}  // namespace modproxy::direct
