#include "modproxy/git/mirror_repo.h"

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "modproxy/git/test_support.h"

namespace modproxy::git {
namespace {

using testing::Sh;
using testing::SourceRepo;
using testing::TempDir;

class MirrorRepoTest : public ::testing::Test {
 protected:
  MirrorRepoTest() : source_(tmp_.path() + "/src") {}

  std::unique_ptr<vcs::GitRepo> Repo() {
    Result<std::unique_ptr<vcs::GitRepo>> repo = OpenMirrorRepo(source_.dir() + "/.git");
    EXPECT_TRUE(repo.has_value()) << repo.error().message;
    return repo ? std::move(*repo) : nullptr;
  }

  TempDir tmp_;
  SourceRepo source_;
};

TEST_F(MirrorRepoTest, OpeningANonRepositoryFails) {
  Result<std::unique_ptr<vcs::GitRepo>> repo = OpenMirrorRepo(tmp_.path());
  ASSERT_FALSE(repo.has_value());
  EXPECT_EQ(repo.error().code, ErrorCode::kUnavailable);
}

TEST_F(MirrorRepoTest, CommitByFullHashAndPrefixHasCommitterTime) {
  source_.Write("a", "a\n");
  source_.Git(
      "add a && GIT_AUTHOR_DATE='2001-01-01T00:00:00Z' GIT_COMMITTER_DATE='2020-02-03T04:05:06Z' "
      "git commit -q -m a");
  std::string hash = source_.Git("rev-parse HEAD");
  auto repo = Repo();

  for (std::string rev : {hash, hash.substr(0, 7), hash.substr(0, 4)}) {
    Result<vcs::GitCommit> commit = repo->Commit(rev);
    ASSERT_TRUE(commit.has_value()) << rev << ": " << commit.error().message;
    EXPECT_EQ(commit->hash, hash);
    EXPECT_EQ(commit->commit_time, 1580702706);
  }
  std::string upper = hash.substr(0, 10);
  std::transform(upper.begin(), upper.end(), upper.begin(), ::toupper);
  EXPECT_TRUE(repo->Commit(upper).has_value());
}

TEST_F(MirrorRepoTest, UnknownShortOrMalformedRevisionsAreNotFound) {
  std::string hash = source_.CommitAll("a");
  auto repo = Repo();
  std::string unknown = hash[0] == '0' ? "1111111" : "0000000";
  for (std::string rev : {unknown, hash.substr(0, 3), std::string("main"), std::string("v1.0.0"),
                          std::string(""), hash + "0", std::string("zzzzzzz")}) {
    Result<vcs::GitCommit> commit = repo->Commit(rev);
    ASSERT_FALSE(commit.has_value()) << rev;
    EXPECT_EQ(commit.error().code, ErrorCode::kNotFound);
    EXPECT_EQ(commit.error().message, "unknown revision " + rev);
  }
}

TEST_F(MirrorRepoTest, TreeAndBlobHashesAreNotCommits) {
  source_.Write("a", "a\n");
  source_.CommitAll("a");
  auto repo = Repo();
  for (std::string rev : {source_.Git("rev-parse HEAD^{tree}"), source_.Git("rev-parse HEAD:a")}) {
    Result<vcs::GitCommit> commit = repo->Commit(rev);
    ASSERT_FALSE(commit.has_value()) << rev;
    EXPECT_EQ(commit.error().code, ErrorCode::kNotFound);
  }
}

TEST_F(MirrorRepoTest, AnnotatedTagHashPeelsToItsCommit) {
  std::string hash = source_.CommitAll("a");
  source_.Git("tag -a -m tag v1.0.0");
  auto repo = Repo();
  Result<vcs::GitCommit> commit = repo->Commit(source_.Git("rev-parse v1.0.0"));
  ASSERT_TRUE(commit.has_value()) << commit.error().message;
  EXPECT_EQ(commit->hash, hash);
}

TEST_F(MirrorRepoTest, AmbiguousPrefixIsNotFound) {
  // 600 distinct blobs make two objects sharing a 4-digit prefix all but certain.
  for (int i = 0; i < 600; ++i) source_.Write("f/" + std::to_string(i), std::to_string(i) + "\n");
  source_.CommitAll("many");
  std::string all = source_.Git("cat-file --batch-all-objects --batch-check='%(objectname)'");
  std::map<std::string, int> prefixes;
  std::string ambiguous;
  for (size_t pos = 0; pos + 4 <= all.size(); pos = all.find('\n', pos) + 1) {
    if (++prefixes[all.substr(pos, 4)] == 2) ambiguous = all.substr(pos, 4);
    if (all.find('\n', pos) == std::string::npos) break;
  }
  ASSERT_FALSE(ambiguous.empty());
  auto repo = Repo();
  Result<vcs::GitCommit> commit = repo->Commit(ambiguous);
  ASSERT_FALSE(commit.has_value());
  EXPECT_EQ(commit.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(commit.error().message, "unknown revision " + ambiguous);
}

TEST_F(MirrorRepoTest, IsAncestor) {
  std::string a = source_.CommitAll("a");
  std::string b = source_.CommitAll("b");
  source_.Git("checkout -q -b side " + a);
  std::string c = source_.CommitAll("c");
  auto repo = Repo();

  EXPECT_TRUE(*repo->IsAncestor(a, b));
  EXPECT_TRUE(*repo->IsAncestor(a, a));
  EXPECT_FALSE(*repo->IsAncestor(b, a));
  EXPECT_FALSE(*repo->IsAncestor(b, c));
  EXPECT_TRUE(*repo->IsAncestor(a, c));
  Result<bool> unknown = repo->IsAncestor(std::string(40, '0'), b);
  ASSERT_FALSE(unknown.has_value());
  EXPECT_EQ(unknown.error().code, ErrorCode::kNotFound);
}

TEST_F(MirrorRepoTest, ListTreeReportsKindsAndSizes) {
  source_.Write("file.txt", "hello\n");
  source_.Write("dir/sub/run.sh", "#!/bin/sh\n");
  Sh(source_.dir(), "chmod +x dir/sub/run.sh && ln -s file.txt link");
  source_.Git("add -A");
  std::string other = source_.Git("commit-tree -m x $(git write-tree)");
  source_.Git("update-index --add --cacheinfo 160000," + other + ",module");
  source_.Git("commit -q -m tree");
  std::string commit = source_.Git("rev-parse HEAD");
  auto repo = Repo();

  Result<std::vector<vcs::TreeEntry>> tree = repo->ListTree(commit);
  ASSERT_TRUE(tree.has_value()) << tree.error().message;
  std::map<std::string, std::pair<vcs::TreeEntryKind, std::uint64_t>> got;
  for (const vcs::TreeEntry& e : *tree) got[e.path] = {e.kind, e.size};
  using K = vcs::TreeEntryKind;
  EXPECT_EQ(got, (std::map<std::string, std::pair<K, std::uint64_t>>{
                     {"file.txt", {K::kFile, 6}},
                     {"dir/sub/run.sh", {K::kExecutable, 10}},
                     {"link", {K::kSymlink, 8}},
                     {"module", {K::kSubmodule, 0}}}));
}

TEST_F(MirrorRepoTest, ReadFileReturnsRawBlobs) {
  source_.Write(".gitattributes", "*.txt eol=crlf\n");
  source_.Write("a.txt", "a\nb\n");
  source_.Write("dir/b", "b\n");
  Sh(source_.dir(), "ln -s dir/b link");
  std::string commit = source_.CommitAll("files");
  auto repo = Repo();

  EXPECT_EQ(*repo->ReadFile(commit, "a.txt", 100), std::optional<std::string>("a\nb\n"));
  EXPECT_EQ(*repo->ReadFile(commit.substr(0, 8), "dir/b", 100), std::optional<std::string>("b\n"));
  EXPECT_EQ(*repo->ReadFile(commit, "link", 100), std::optional<std::string>("dir/b"));
  EXPECT_EQ(*repo->ReadFile(commit, "missing", 100), std::nullopt);
  EXPECT_EQ(*repo->ReadFile(commit, "dir", 100), std::nullopt);
  EXPECT_EQ(*repo->ReadFile(commit, "dir/b/c", 100), std::nullopt);

  Result<std::optional<std::string>> big = repo->ReadFile(commit, "a.txt", 3);
  ASSERT_FALSE(big.has_value());
  EXPECT_EQ(big.error().code, ErrorCode::kUpstreamInvalid);
  Result<std::optional<std::string>> unknown = repo->ReadFile("0000000", "a.txt", 100);
  ASSERT_FALSE(unknown.has_value());
  EXPECT_EQ(unknown.error().code, ErrorCode::kNotFound);
}

TEST_F(MirrorRepoTest, RefsPeelAnnotatedTagsAndSkipOthers) {
  std::string a = source_.CommitAll("a");
  source_.Git("tag -a -m annotated v1.0.0 && git tag light");
  source_.Git("tag treetag HEAD^{tree}");
  source_.Git("update-ref refs/pull/1/head " + a);
  auto repo = Repo();
  Result<std::vector<vcs::GitRef>> refs = repo->Refs();
  ASSERT_TRUE(refs.has_value());
  std::map<std::string, std::string> got;
  for (const vcs::GitRef& r : *refs) got[r.name] = r.commit;
  EXPECT_EQ(
      got,
      (std::map<std::string, std::string>{
          {"HEAD", a}, {"refs/heads/main", a}, {"refs/tags/v1.0.0", a}, {"refs/tags/light", a}}));
}

TEST_F(MirrorRepoTest, EmptyRepositoryHasNoRefs) {
  auto repo = Repo();
  Result<std::vector<vcs::GitRef>> refs = repo->Refs();
  ASSERT_TRUE(refs.has_value());
  EXPECT_TRUE(refs->empty());
}

}  // namespace
}  // namespace modproxy::git
