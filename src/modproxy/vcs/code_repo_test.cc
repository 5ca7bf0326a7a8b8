#include "modproxy/vcs/code_repo.h"

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "modproxy/vcs/fake_git_repo.h"
#include "modproxy/vcs/pseudo_version.h"

namespace modproxy::vcs {
namespace {

using Files = std::map<std::string, std::string>;
using Versions = std::vector<std::string>;

constexpr std::int64_t kT0 = 1573265971;  // 2019-11-09 02:19:31 UTC

std::string Short(const std::string& hash) { return hash.substr(0, 12); }

CodeRepo Open(FakeGitRepo& git, const std::string& root, const std::string& module) {
  Result<CodeRepo> r = CodeRepo::Create(git, root, module);
  EXPECT_TRUE(r.has_value()) << r.error().message;
  return std::move(*r);
}

Versions List(CodeRepo& repo) {
  Result<Versions> v = repo.Versions();
  EXPECT_TRUE(v.has_value()) << v.error().message;
  return v.has_value() ? *v : Versions{};
}

std::string StatVersion(CodeRepo& repo, const std::string& query) {
  Result<RevInfo> info = repo.Stat(query);
  EXPECT_TRUE(info.has_value()) << query << ": " << info.error().message;
  return info.has_value() ? info->version : "";
}

Error StatError(CodeRepo& repo, const std::string& query) {
  Result<RevInfo> info = repo.Stat(query);
  EXPECT_FALSE(info.has_value()) << query << " resolved to " << (info ? info->version : "");
  return info.has_value() ? Error{ErrorCode::kInternal, ""} : info.error();
}

// The repository of go-modules-reference.md §8's end-to-end check: a root
// without go.mod tagged v1.0.0 and v2.0.0, a module in sub/ tagged
// sub/v0.1.0, and branch main one commit later.
struct ReferenceRepo {
  FakeGitRepo git;
  std::string c1, c2, c3;
  ReferenceRepo() {
    const Files files = {{"LICENSE", "license\n"},
                         {"a.go", "package a\n"},
                         {"sub/go.mod", "module example.com/r/sub\n"},
                         {"sub/s.go", "package sub\n"}};
    c1 = git.AddCommit(kT0, {}, files);
    c2 = git.AddCommit(kT0 + 100, {c1}, files);
    c3 = git.AddCommit(kT0 + 200, {c2}, files);
    git.Tag("v1.0.0", c1);
    git.Tag("sub/v0.1.0", c1);
    git.Tag("v2.0.0", c2);
    git.Branch("main", c3);
    git.SetRef("HEAD", c3);
  }
};

TEST(CodeRepoTest, ReferenceRepositoryVersionsAndLatest) {
  ReferenceRepo r;
  CodeRepo root = Open(r.git, "example.com/r", "example.com/r");
  EXPECT_EQ(List(root), (Versions{"v1.0.0", "v2.0.0+incompatible"}));
  Result<RevInfo> latest = root.Latest();
  ASSERT_TRUE(latest.has_value()) << latest.error().message;
  EXPECT_EQ(latest->version,
            "v2.0.1-0." + PseudoVersionTimestamp(kT0 + 200) + "-" + Short(r.c3) + "+incompatible");
  EXPECT_EQ(latest->commit, r.c3);
  EXPECT_EQ(latest->time, kT0 + 200);
  EXPECT_EQ(latest->ref, "HEAD");
  EXPECT_EQ(StatVersion(root, "main"), latest->version);
  EXPECT_EQ(StatVersion(root, "latest"), latest->version);
  EXPECT_EQ(StatVersion(root, "HEAD"), latest->version);
  EXPECT_EQ(StatVersion(root, "v2.0.0"), "v2.0.0+incompatible");
  EXPECT_EQ(StatVersion(root, "v2.0.0+incompatible"), "v2.0.0+incompatible");
  EXPECT_EQ(StatVersion(root, "v1.0.0"), "v1.0.0");
  EXPECT_EQ(root.Stat("v1.0.0")->ref, "refs/tags/v1.0.0");
  EXPECT_EQ(root.Stat("main")->ref, "refs/heads/main");

  Result<std::string> mod = root.GoMod("v1.0.0");
  ASSERT_TRUE(mod.has_value()) << mod.error().message;
  EXPECT_EQ(*mod, "module example.com/r\n");
  Result<ZipSource> zip = root.Zip("v2.0.0+incompatible");
  ASSERT_TRUE(zip.has_value()) << zip.error().message;
  EXPECT_EQ(zip->commit, r.c2);
  EXPECT_EQ(zip->module_dir, "");
  EXPECT_FALSE(zip->add_root_license);
}

TEST(CodeRepoTest, ReferenceRepositorySubdirectoryModule) {
  ReferenceRepo r;
  CodeRepo sub = Open(r.git, "example.com/r", "example.com/r/sub");
  EXPECT_EQ(sub.code_dir(), "sub");
  EXPECT_EQ(List(sub), (Versions{"v0.1.0"}));
  EXPECT_EQ(StatVersion(sub, "main"),
            "v0.1.1-0." + PseudoVersionTimestamp(kT0 + 200) + "-" + Short(r.c3));
  EXPECT_EQ(StatVersion(sub, "v0.1.0"), "v0.1.0");
  // The root's tags are not this module's versions.
  EXPECT_EQ(StatError(sub, "v1.0.0").code, ErrorCode::kNotFound);
  Result<std::string> mod = sub.GoMod("v0.1.0");
  ASSERT_TRUE(mod.has_value());
  EXPECT_EQ(*mod, "module example.com/r/sub\n");
  Result<ZipSource> zip = sub.Zip("v0.1.0");
  ASSERT_TRUE(zip.has_value()) << zip.error().message;
  EXPECT_EQ(zip->commit, r.c1);
  EXPECT_EQ(zip->module_dir, "sub");
  EXPECT_TRUE(zip->add_root_license);
}

TEST(CodeRepoTest, VersionsKeepOnlyCanonicalNonPseudoTagsOfTheMajor) {
  FakeGitRepo git;
  const std::string c = git.AddCommit(kT0, {}, Files{{"go.mod", "module example.com/m\n"}});
  for (const char* tag :
       {"v1.0.0", "v1.2", "v1.2.3+meta", "1.3.0", "v1.4.0-rc.1",
        "v0.0.0-20191109021931-daa7c04131f5", "v1.5.0-0.20191109021931-daa7c04131f5", "release",
        "v2.0.0", "sub/v1.6.0", "v1.10.0"}) {
    git.Tag(tag, c);
  }
  CodeRepo m = Open(git, "example.com/m", "example.com/m");
  // v2.0.0 has a go.mod: no +incompatible.
  EXPECT_EQ(List(m), (Versions{"v1.0.0", "v1.4.0-rc.1", "v1.10.0"}));
}

TEST(CodeRepoTest, GopkgInUnstableHasNoVersions) {
  FakeGitRepo git;
  const std::string c = git.AddCommit(kT0, {}, Files{{"a.go", "package a\n"}});
  git.Tag("v2.0.0", c);
  git.Tag("v1.0.0", c);
  CodeRepo unstable = Open(git, "gopkg.in/x.v2-unstable", "gopkg.in/x.v2-unstable");
  EXPECT_TRUE(List(unstable).empty());
  CodeRepo v2 = Open(git, "gopkg.in/x.v2", "gopkg.in/x.v2");
  EXPECT_EQ(List(v2), (Versions{"v2.0.0"}));
  EXPECT_EQ(*v2.GoMod("v2.0.0"), "module gopkg.in/x.v2\n");
  EXPECT_EQ(StatVersion(v2, "v2.0.0"), "v2.0.0");
}

// A /v2 module whose go.mod sits at the root (major branch layout).
TEST(CodeRepoTest, MajorVersionAtTheRoot) {
  FakeGitRepo git;
  const std::string c1 = git.AddCommit(kT0, {}, Files{{"go.mod", "module example.com/m\n"}});
  const std::string c2 =
      git.AddCommit(kT0 + 10, {c1}, Files{{"go.mod", "module example.com/m/v2\n"}});
  const std::string c3 =
      git.AddCommit(kT0 + 20, {c2}, Files{{"go.mod", "module example.com/m/v2\n"}});
  git.Tag("v1.0.0", c1);
  git.Tag("v2.0.0", c2);
  git.Branch("main", c3);
  git.SetRef("HEAD", c3);
  CodeRepo v2 = Open(git, "example.com/m", "example.com/m/v2");
  EXPECT_EQ(v2.code_dir(), "");
  EXPECT_EQ(List(v2), (Versions{"v2.0.0"}));
  EXPECT_EQ(StatVersion(v2, "main"),
            "v2.0.1-0." + PseudoVersionTimestamp(kT0 + 20) + "-" + Short(c3));
  EXPECT_EQ(*v2.GoMod("v2.0.0"), "module example.com/m/v2\n");
  EXPECT_EQ(v2.Zip("v2.0.0")->module_dir, "");
  // v1.0.0's go.mod says example.com/m: not this module.
  Error e = StatError(v2, "v1.0.0");
  EXPECT_EQ(e.code, ErrorCode::kNotFound);
  EXPECT_EQ(e.message,
            "example.com/m/v2@v1.0.0: invalid version: go.mod has non-.../v2 module path "
            "\"example.com/m\" (and .../v2/go.mod does not exist) at revision v1.0.0");
  CodeRepo v1 = Open(git, "example.com/m", "example.com/m");
  EXPECT_EQ(List(v1), (Versions{"v1.0.0"}));
  e = StatError(v1, "v2.0.0");
  EXPECT_EQ(e.code, ErrorCode::kNotFound);
  EXPECT_EQ(e.message,
            "example.com/m@v2.0.0: invalid version: go.mod has post-v2 module path "
            "\"example.com/m/v2\" at revision v2.0.0");
}

// A /v2 module in a v2/ subdirectory (major subdirectory layout).
TEST(CodeRepoTest, MajorVersionSubdirectory) {
  FakeGitRepo git;
  const std::string c = git.AddCommit(kT0, {},
                                      Files{{"go.mod", "module example.com/m\n"},
                                            {"LICENSE", "l\n"},
                                            {"v2/go.mod", "module example.com/m/v2\n"}});
  git.Tag("v1.0.0", c);
  git.Tag("v2.0.0", c);
  CodeRepo v2 = Open(git, "example.com/m", "example.com/m/v2");
  EXPECT_EQ(List(v2), (Versions{"v2.0.0"}));
  EXPECT_EQ(StatVersion(v2, "v2.0.0"), "v2.0.0");
  Result<ZipSource> zip = v2.Zip("v2.0.0");
  ASSERT_TRUE(zip.has_value()) << zip.error().message;
  EXPECT_EQ(zip->module_dir, "v2");
  EXPECT_TRUE(zip->add_root_license);
  EXPECT_EQ(*v2.GoMod("v2.0.0"), "module example.com/m/v2\n");
  // Both locations claiming /v2 is an error.
  FakeGitRepo both;
  const std::string b = both.AddCommit(
      kT0, {},
      Files{{"go.mod", "module example.com/m/v2\n"}, {"v2/go.mod", "module example.com/m/v2\n"}});
  both.Tag("v2.0.0", b);
  CodeRepo bad = Open(both, "example.com/m", "example.com/m/v2");
  EXPECT_EQ(StatError(bad, "v2.0.0").message,
            "example.com/m/v2@v2.0.0: invalid version: example.com/m/go.mod and .../v2/go.mod both "
            "have .../v2 module paths at revision v2.0.0");
  // Neither: missing.
  FakeGitRepo none;
  const std::string n = none.AddCommit(kT0, {}, Files{{"a.go", "package a\n"}});
  none.Tag("v2.0.0", n);
  CodeRepo missing = Open(none, "example.com/m", "example.com/m/v2");
  EXPECT_EQ(
      StatError(missing, "v2.0.0").message,
      "example.com/m/v2@v2.0.0: invalid version: missing example.com/m/go.mod and .../v2/go.mod "
      "at revision v2.0.0");
}

TEST(CodeRepoTest, SubdirectoryModuleNeedsItsGoMod) {
  FakeGitRepo git;
  const std::string c = git.AddCommit(kT0, {}, Files{{"sub/a.go", "package sub\n"}});
  git.Tag("sub/v1.0.0", c);
  CodeRepo sub = Open(git, "example.com/r", "example.com/r/sub");
  EXPECT_EQ(List(sub), (Versions{"v1.0.0"}));  // the list does not look at go.mod
  Error e = StatError(sub, "v1.0.0");
  EXPECT_EQ(e.code, ErrorCode::kNotFound);
  EXPECT_EQ(e.message,
            "example.com/r/sub@v1.0.0: invalid version: missing example.com/r/sub/go.mod "
            "at revision sub/v1.0.0");
}

TEST(CodeRepoTest, IncompatibleRefusedWhenTheRootHasAGoMod) {
  FakeGitRepo git;
  const std::string c1 = git.AddCommit(kT0, {}, Files{{"go.mod", "module example.com/m\n"}});
  const std::string c2 = git.AddCommit(kT0 + 10, {c1}, Files{{"go.mod", "module example.com/m\n"}});
  git.Tag("v1.0.0", c1);
  git.Tag("v2.0.0", c2);
  CodeRepo m = Open(git, "example.com/m", "example.com/m");
  EXPECT_EQ(List(m), (Versions{"v1.0.0"}));
  Error e = StatError(m, "v2.0.0");
  EXPECT_EQ(e.code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(e.message,
            "example.com/m@v2.0.0: invalid version: module contains a go.mod file, so module path "
            "must match major version (\"example.com/m/v2\")");
  e = StatError(m, "v1.0.0+incompatible");
  EXPECT_EQ(e.code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(e.message,
            "example.com/m@v1.0.0+incompatible: invalid version: +incompatible suffix not allowed: "
            "major version v1 is compatible");
}

TEST(CodeRepoTest, IncompatibleListRules) {
  // The latest compatible version has a go.mod: no +incompatible at all.
  {
    FakeGitRepo git;
    const std::string a = git.AddCommit(kT0, {}, Files{{"a.go", ""}});
    const std::string b = git.AddCommit(kT0 + 1, {a}, Files{{"go.mod", "module example.com/m\n"}});
    const std::string c = git.AddCommit(kT0 + 2, {b}, Files{{"a.go", ""}});
    git.Tag("v1.0.0", a);
    git.Tag("v1.1.0", b);
    git.Tag("v3.0.0", c);
    CodeRepo m = Open(git, "example.com/m", "example.com/m");
    EXPECT_EQ(List(m), (Versions{"v1.0.0", "v1.1.0"}));
  }
  // Per major: a major whose latest tag has a go.mod is skipped whole.
  {
    FakeGitRepo git;
    const std::string plain = git.AddCommit(kT0, {}, Files{{"a.go", ""}});
    const std::string with =
        git.AddCommit(kT0 + 1, {plain}, Files{{"go.mod", "module example.com/m/v3\n"}});
    git.Tag("v2.0.0", plain);
    git.Tag("v2.1.0", plain);
    git.Tag("v3.0.0", plain);
    git.Tag("v3.1.0", with);
    git.Tag("v4.0.0", plain);
    CodeRepo m = Open(git, "example.com/m", "example.com/m");
    EXPECT_EQ(List(m),
              (Versions{"v2.0.0+incompatible", "v2.1.0+incompatible", "v4.0.0+incompatible"}));
    // v3.0.0 is still reachable explicitly.
    EXPECT_EQ(StatVersion(m, "v3.0.0"), "v3.0.0+incompatible");
  }
  // No +incompatible for a subdirectory or a /vN module.
  {
    FakeGitRepo git;
    const std::string c =
        git.AddCommit(kT0, {}, Files{{"sub/go.mod", "module example.com/m/sub\n"}});
    git.Tag("sub/v2.0.0", c);
    CodeRepo sub = Open(git, "example.com/m", "example.com/m/sub");
    EXPECT_TRUE(List(sub).empty());
  }
}

TEST(CodeRepoTest, MajorSubdirectoryGoModBlocksImplicitIncompatible) {
  // golang.org/issue/51324: v2/go.mod exists, so tag v2.0.0 belongs to /v2,
  // unless +incompatible is asked for explicitly.
  FakeGitRepo git;
  const std::string c = git.AddCommit(kT0, {}, Files{{"v2/go.mod", "module example.com/m/v2\n"}});
  git.Tag("v2.0.0", c);
  CodeRepo m = Open(git, "example.com/m", "example.com/m");
  EXPECT_EQ(StatError(m, "v2.0.0").message,
            "example.com/m@v2.0.0: invalid version: module contains a go.mod file, so module path "
            "must match major version (\"example.com/m/v2\")");
  EXPECT_EQ(StatVersion(m, "v2.0.0+incompatible"), "v2.0.0+incompatible");
}

// A linear history: c1 (v1.2.3) <- c2 <- c3 (v1.3.0-pre) <- c4, branch main at c4.
struct LinearRepo {
  FakeGitRepo git;
  std::string c1, c2, c3, c4;
  explicit LinearRepo(const Files& files = {{"go.mod", "module example.com/m\n"}}) {
    c1 = git.AddCommit(kT0, {}, files);
    c2 = git.AddCommit(kT0 + 60, {c1}, files);
    c3 = git.AddCommit(kT0 + 120, {c2}, files);
    c4 = git.AddCommit(kT0 + 180, {c3}, files);
    git.Tag("v1.2.3", c1);
    git.Tag("v1.3.0-pre", c3);
    git.Branch("main", c4);
    git.Branch("old", c2);
    git.SetRef("HEAD", c4);
  }
  std::string Pseudo(const std::string& base, std::int64_t dt, const std::string& hash) const {
    return PseudoVersion("", base, kT0 + dt, Short(hash));
  }
};

TEST(CodeRepoTest, PseudoVersionBasesOfAllThreeKinds) {
  LinearRepo r;
  CodeRepo m = Open(r.git, "example.com/m", "example.com/m");
  EXPECT_EQ(StatVersion(m, "old"),
            "v1.2.4-0." + PseudoVersionTimestamp(kT0 + 60) + "-" + Short(r.c2));
  EXPECT_EQ(StatVersion(m, "main"),
            "v1.3.0-pre.0." + PseudoVersionTimestamp(kT0 + 180) + "-" + Short(r.c4));
  EXPECT_EQ(StatVersion(m, r.c3.substr(0, 7)), "v1.3.0-pre");
  // No tag in the history: v0.0.0-TS-REV, never v1.
  FakeGitRepo bare;
  const std::string b = bare.AddCommit(kT0, {}, Files{{"a.go", ""}});
  bare.Branch("main", b);
  CodeRepo u = Open(bare, "example.com/u", "example.com/u");
  EXPECT_EQ(StatVersion(u, "main"), "v0.0.0-20191109021931-" + Short(b));
  // A /v3 path without tags: v3.0.0-TS-REV.
  FakeGitRepo v3git;
  const std::string v = v3git.AddCommit(kT0, {}, Files{{"go.mod", "module example.com/u/v3\n"}});
  v3git.Branch("main", v);
  CodeRepo v3 = Open(v3git, "example.com/u", "example.com/u/v3");
  EXPECT_EQ(StatVersion(v3, "main"), "v3.0.0-20191109021931-" + Short(v));
}

TEST(CodeRepoTest, ValidPseudoVersionsResolveToThemselves) {
  LinearRepo r;
  CodeRepo m = Open(r.git, "example.com/m", "example.com/m");
  const std::string p2 = r.Pseudo("v1.2.3", 60, r.c2);
  Result<RevInfo> info = m.Stat(p2);
  ASSERT_TRUE(info.has_value()) << info.error().message;
  EXPECT_EQ(info->version, p2);
  EXPECT_EQ(info->commit, r.c2);
  EXPECT_EQ(info->ref, "refs/heads/old");
  // Older bases stay valid (the tag may be newer than the pseudo-version).
  EXPECT_EQ(StatVersion(m, r.Pseudo("v1.2.3", 180, r.c4)), r.Pseudo("v1.2.3", 180, r.c4));
  EXPECT_EQ(StatVersion(m, r.Pseudo("", 180, r.c4)), r.Pseudo("", 180, r.c4));
  Result<std::string> mod = m.GoMod(p2);
  ASSERT_TRUE(mod.has_value()) << mod.error().message;
  EXPECT_EQ(*mod, "module example.com/m\n");
  EXPECT_EQ(m.Zip(p2)->commit, r.c2);
}

TEST(CodeRepoTest, PseudoVersionValidationFailures) {
  LinearRepo r;
  CodeRepo m = Open(r.git, "example.com/m", "example.com/m");
  const std::string ts2 = PseudoVersionTimestamp(kT0 + 60);
  const std::string prefix = "example.com/m@";
  struct Case {
    std::string version;
    std::string reason;
  };
  const std::vector<Case> cases = {
      {"v1.2.4-0." + ts2 + "-" + r.c2.substr(0, 11),
       "revision is shorter than canonical (expected " + Short(r.c2) + ")"},
      {"v1.2.4-0." + PseudoVersionTimestamp(kT0 + 61) + "-" + Short(r.c2),
       "does not match version-control timestamp (expected " + ts2 + ")"},
      {"v1.0.0-" + ts2 + "-" + Short(r.c2),
       "major version without preceding tag must be v0, not v1"},
      {"v1.2.4-0." + PseudoVersionTimestamp(kT0) + "-" + Short(r.c1),
       "tag (v1.2.3) found on revision " + Short(r.c1) +
           " is already canonical, so should not be replaced with a pseudo-version derived from "
           "that tag"},
      {"v1.5.1-0." + ts2 + "-" + Short(r.c2), "preceding tag (v1.5.0) not found"},
      {"v1.3.0-pre.0." + ts2 + "-" + Short(r.c2),
       "revision " + Short(r.c2) + " is not a descendent of preceding tag (v1.3.0-pre)"},
      {"v1.2.3-0." + ts2 + "-" + Short(r.c2), "preceding tag (v1.2.2) not found"},
      {"v1.2.0-0." + ts2 + "-" + Short(r.c2),
       "version before v1.2.0 would have negative patch number"},
  };
  for (const Case& c : cases) {
    Error e = StatError(m, c.version);
    EXPECT_EQ(e.code, ErrorCode::kInvalidArgument) << e.message;
    EXPECT_EQ(e.message, prefix + c.version + ": invalid pseudo-version: " + c.reason);
  }
  // GoMod and Zip check the pseudo-version first.
  EXPECT_FALSE(m.GoMod(cases[1].version).has_value());
  EXPECT_FALSE(m.Zip(cases[1].version).has_value());
}

TEST(CodeRepoTest, RevisionLongerThanCanonicalCannotResolve) {
  // The 13-hex revision is looked up as a hash prefix first; when it exists
  // the length check reports it.
  LinearRepo r;
  CodeRepo m = Open(r.git, "example.com/m", "example.com/m");
  const std::string v = "v1.2.4-0." + PseudoVersionTimestamp(kT0 + 60) + "-" + r.c2.substr(0, 13);
  // PseudoVersionRev gives 13 digits, CodeStat resolves them, then the
  // length check fails.
  Error e = StatError(m, v);
  EXPECT_EQ(e.message, "example.com/m@" + v +
                           ": invalid pseudo-version: revision is longer than "
                           "canonical (expected " +
                           Short(r.c2) + ")");
}

TEST(CodeRepoTest, CanonicalQueryMustNameATag) {
  LinearRepo r;
  r.git.Branch("v1.9.0", r.c2);  // a branch that looks like a version
  CodeRepo m = Open(r.git, "example.com/m", "example.com/m");
  Error e = StatError(m, "v1.9.0");
  EXPECT_EQ(e.code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(e.message, "example.com/m@v1.9.0: invalid version: resolves to version v1.2.4-0." +
                           PseudoVersionTimestamp(kT0 + 60) + "-" + Short(r.c2) +
                           " (v1.9.0 is not a tag)");
  e = StatError(m, "v9.9.9");
  EXPECT_EQ(e.code, ErrorCode::kNotFound);
  EXPECT_EQ(e.message, "example.com/m@v9.9.9: invalid version: unknown revision v9.9.9");
}

TEST(CodeRepoTest, NonCanonicalTagsServeOnlyAsBases) {
  LinearRepo r;
  r.git.Tag("v1.2.9+meta", r.c2);
  r.git.Tag("v1.4", r.c2);
  CodeRepo m = Open(r.git, "example.com/m", "example.com/m");
  // Asked for by name: the canonical part is the base.
  EXPECT_EQ(StatVersion(m, "v1.2.9+meta"), r.Pseudo("v1.2.9", 60, r.c2));
  // A short form (v1.4) is no version at all, not even a base: the highest
  // allowed tag merged into the commit is used, as for a branch.
  EXPECT_EQ(StatVersion(m, "v1.4"), r.Pseudo("v1.2.9", 60, r.c2));
  EXPECT_EQ(StatVersion(m, "old"), r.Pseudo("v1.2.9", 60, r.c2));
  EXPECT_EQ(List(m), (Versions{"v1.2.3", "v1.3.0-pre"}));
}

TEST(CodeRepoTest, HighestCanonicalTagOnTheCommitWins) {
  LinearRepo r;
  r.git.Tag("v1.2.5", r.c2);
  r.git.Tag("v1.2.4", r.c2);
  r.git.Tag("v2.0.0", r.c2);  // root has a go.mod: not usable as +incompatible
  CodeRepo m = Open(r.git, "example.com/m", "example.com/m");
  EXPECT_EQ(StatVersion(m, "old"), "v1.2.5");
  EXPECT_EQ(StatVersion(m, r.c2), "v1.2.5");
  EXPECT_EQ(StatVersion(m, "v1.2.4"), "v1.2.4");
}

TEST(CodeRepoTest, RetractedVersionsAreSkippedForBasesButStillResolve) {
  const Files retracting = {{"go.mod", "module example.com/m\n\nretract v1.2.5 // broken\n"}};
  FakeGitRepo git;
  const std::string c1 = git.AddCommit(kT0, {}, Files{{"go.mod", "module example.com/m\n"}});
  const std::string c2 = git.AddCommit(kT0 + 60, {c1}, Files{{"go.mod", "module example.com/m\n"}});
  const std::string c3 = git.AddCommit(kT0 + 120, {c2}, retracting);
  git.Tag("v1.2.4", c1);
  git.Tag("v1.2.5", c2);
  git.Tag("v1.2.6-pre", c2);
  git.Tag("v1.3.0", c3);
  git.Branch("b2", c2);
  const std::string c4 =
      git.AddCommit(kT0 + 180, {c2}, Files{{"go.mod", "module example.com/m\n"}});
  git.Branch("side", c4);
  CodeRepo m = Open(git, "example.com/m", "example.com/m");
  // The highest release (v1.3.0) retracts v1.2.5.
  EXPECT_EQ(StatVersion(m, "b2"), "v1.2.6-pre");
  EXPECT_EQ(StatVersion(m, "side"),
            "v1.2.6-pre.0." + PseudoVersionTimestamp(kT0 + 180) + "-" + Short(c4));
  EXPECT_EQ(StatVersion(m, "v1.2.5"), "v1.2.5");                               // named explicitly
  EXPECT_EQ(List(m), (Versions{"v1.2.4", "v1.2.5", "v1.2.6-pre", "v1.3.0"}));  // still listed
  // Without the prerelease tag the base falls back to v1.2.4.
  git.DeleteRef("refs/tags/v1.2.6-pre");
  CodeRepo again = Open(git, "example.com/m", "example.com/m");
  EXPECT_EQ(StatVersion(again, "side"),
            "v1.2.5-0." + PseudoVersionTimestamp(kT0 + 180) + "-" + Short(c4));
  EXPECT_EQ(StatVersion(again, "b2"),
            "v1.2.5-0." + PseudoVersionTimestamp(kT0 + 60) + "-" + Short(c2));
}

TEST(CodeRepoTest, HashPrefixesAndReachability) {
  LinearRepo r;
  const std::string orphan =
      r.git.AddCommit(kT0 + 500, {r.c4}, Files{{"go.mod", "module example.com/m\n"}});
  CodeRepo m = Open(r.git, "example.com/m", "example.com/m");
  EXPECT_EQ(StatVersion(m, r.c2), r.Pseudo("v1.2.3", 60, r.c2));
  EXPECT_EQ(StatVersion(m, r.c2.substr(0, 7)), r.Pseudo("v1.2.3", 60, r.c2));
  EXPECT_EQ(m.Stat(r.c2.substr(0, 7))->ref, "refs/heads/old");
  // Six digits are not a revision to the go command.
  EXPECT_EQ(StatError(m, r.c2.substr(0, 6)).message, "example.com/m@" + r.c2.substr(0, 6) +
                                                         ": invalid version: unknown revision " +
                                                         r.c2.substr(0, 6));
  // A commit no branch or tag reaches is unknown.
  EXPECT_EQ(StatError(m, orphan).code, ErrorCode::kNotFound);
  EXPECT_EQ(StatError(m, "no-such-branch").message,
            "example.com/m@no-such-branch: invalid version: unknown revision no-such-branch");
  EXPECT_EQ(StatError(m, "HEAD~1").code, ErrorCode::kNotFound);
}

TEST(CodeRepoTest, AmbiguousPrefixAmongRefTips) {
  FakeGitRepo git;
  const std::string a =
      git.AddCommit(kT0, {}, Files{{"a.go", ""}}, "abcdef0" + std::string(33, '1'));
  const std::string b =
      git.AddCommit(kT0, {}, Files{{"a.go", ""}}, "abcdef0" + std::string(33, '2'));
  git.Branch("a", a);
  git.Branch("b", b);
  CodeRepo m = Open(git, "example.com/m", "example.com/m");
  Error e = StatError(m, "abcdef0");
  EXPECT_EQ(e.code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(e.message, "example.com/m@abcdef0: invalid version: ambiguous revision abcdef0");
  EXPECT_EQ(StatVersion(m, "abcdef01"), "v0.0.0-20191109021931-abcdef011111");
}

TEST(CodeRepoTest, TagTakesPrecedenceOverBranchOfTheSameName) {
  LinearRepo r;
  r.git.Tag("dev", r.c1);
  r.git.Branch("dev", r.c4);
  CodeRepo m = Open(r.git, "example.com/m", "example.com/m");
  Result<RevInfo> info = m.Stat("dev");
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->version, "v1.2.3");
  EXPECT_EQ(info->ref, "refs/tags/dev");
}

TEST(CodeRepoTest, LatestWithoutHeadIsNoCommits) {
  FakeGitRepo git;
  CodeRepo m = Open(git, "example.com/m", "example.com/m");
  Result<RevInfo> latest = m.Latest();
  ASSERT_FALSE(latest.has_value());
  EXPECT_EQ(latest.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(latest.error().message, "no commits");
  EXPECT_TRUE(List(m).empty());
}

TEST(CodeRepoTest, LatestPrefersATagOnHead) {
  LinearRepo r;
  r.git.Tag("v1.4.0", r.c4);
  CodeRepo m = Open(r.git, "example.com/m", "example.com/m");
  EXPECT_EQ(m.Latest()->version, "v1.4.0");
}

TEST(CodeRepoTest, GoModAndZipNeedCanonicalVersionsThatNameThemselves) {
  ReferenceRepo r;
  CodeRepo root = Open(r.git, "example.com/r", "example.com/r");
  Result<std::string> mod = root.GoMod("v1.0");
  ASSERT_FALSE(mod.has_value());
  EXPECT_EQ(mod.error().message, "version v1.0 is not canonical");
  // v2.0.0 is v2.0.0+incompatible for this path.
  mod = root.GoMod("v2.0.0");
  ASSERT_FALSE(mod.has_value());
  EXPECT_EQ(mod.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(root.GoMod("v9.0.0").error().code, ErrorCode::kNotFound);
  EXPECT_EQ(*root.GoMod("v2.0.0+incompatible"), "module example.com/r\n");
}

TEST(CodeRepoTest, GoModIsTheRawBlob) {
  FakeGitRepo git;
  const std::string raw = "module example.com/m // comment\r\n\r\ngo 1.19\r\n";
  const std::string c = git.AddCommit(kT0, {}, Files{{"go.mod", raw}});
  git.Tag("v1.0.0", c);
  CodeRepo m = Open(git, "example.com/m", "example.com/m");
  EXPECT_EQ(*m.GoMod("v1.0.0"), raw);
}

TEST(CodeRepoTest, ForkDeclaringAnotherPathIsServedUnchanged) {
  // Only the major suffix is compared (replacement forks).
  FakeGitRepo git;
  const std::string c = git.AddCommit(kT0, {}, Files{{"go.mod", "module github.com/upstream/x\n"}});
  git.Tag("v1.0.0", c);
  CodeRepo m = Open(git, "example.com/fork", "example.com/fork");
  EXPECT_EQ(StatVersion(m, "v1.0.0"), "v1.0.0");
  EXPECT_EQ(*m.GoMod("v1.0.0"), "module github.com/upstream/x\n");
}

TEST(CodeRepoTest, ZipLicenseRules) {
  FakeGitRepo git;
  FakeGitRepo::Tree own = {{"LICENSE", {"root\n"}},
                           {"sub/go.mod", {"module example.com/r/sub\n"}},
                           {"sub/LICENSE", {"own\n"}}};
  FakeGitRepo::Tree submodule = {{"LICENSE", {"root\n"}},
                                 {"sub/go.mod", {"module example.com/r/sub\n"}},
                                 {"sub/LICENSE", {"", TreeEntryKind::kSubmodule}}};
  FakeGitRepo::Tree no_root = {{"sub/go.mod", {"module example.com/r/sub\n"}}};
  git.Tag("sub/v1.0.0", git.AddCommit(kT0, {}, own));
  git.Tag("sub/v1.1.0", git.AddCommit(kT0, {}, submodule));
  git.Tag("sub/v1.2.0", git.AddCommit(kT0, {}, no_root));
  CodeRepo sub = Open(git, "example.com/r", "example.com/r/sub");
  EXPECT_FALSE(sub.Zip("v1.0.0")->add_root_license);
  EXPECT_TRUE(sub.Zip("v1.1.0")->add_root_license);
  EXPECT_FALSE(sub.Zip("v1.2.0")->add_root_license);
}

TEST(CodeRepoTest, CreateChecksTheRepositoryRoot) {
  FakeGitRepo git;
  EXPECT_FALSE(CodeRepo::Create(git, "example.com/a", "example.com/ab").has_value());
  EXPECT_FALSE(CodeRepo::Create(git, "example.com/a", "example.com/a/v1").has_value());
  Result<CodeRepo> v2 = CodeRepo::Create(git, "example.com/a/v2", "example.com/a/v2");
  ASSERT_TRUE(v2.has_value());
  EXPECT_EQ(v2->code_dir(), "");
  Result<CodeRepo> deep = CodeRepo::Create(git, "example.com/a", "example.com/a/b/c/v3");
  ASSERT_TRUE(deep.has_value());
  EXPECT_EQ(deep->code_dir(), "b/c");
}

TEST(CodeRepoTest, GopkgInV1AcceptsOldV0PseudoVersions) {
  FakeGitRepo git;
  const std::string c = git.AddCommit(kT0, {}, Files{{"a.go", ""}});
  git.Branch("master", c);
  git.SetRef("HEAD", c);
  CodeRepo m = Open(git, "gopkg.in/check.v1", "gopkg.in/check.v1");
  EXPECT_EQ(StatVersion(m, "master"), "v1.0.0-20191109021931-" + Short(c));
  const std::string old = "v0.0.0-20191109021931-" + Short(c);
  EXPECT_EQ(StatVersion(m, old), old);
}

}  // namespace
}  // namespace modproxy::vcs
