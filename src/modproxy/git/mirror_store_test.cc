#include "modproxy/git/mirror_store.h"

#include <signal.h>

#include <cerrno>
#include <chrono>
#include <filesystem>
#include <map>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "modproxy/git/test_support.h"

namespace modproxy::git {
namespace {

using testing::Sh;
using testing::SourceRepo;
using testing::TempDir;
using testing::WriteFile;

MirrorOptions Options(const std::string& root) {
  MirrorOptions o;
  o.root = root;
  o.fresh_for = std::chrono::hours(1);
  o.max_repo_bytes = 100 << 20;
  o.fetch_timeout = std::chrono::seconds(60);
  o.fetch_helper = MODPROXY_GIT_FETCH_CHILD;
  return o;
}

std::map<std::string, std::string> RefMap(vcs::GitRepo& repo) {
  Result<std::vector<vcs::GitRef>> refs = repo.Refs();
  EXPECT_TRUE(refs.has_value()) << refs.error().message;
  std::map<std::string, std::string> out;
  if (refs) {
    for (const vcs::GitRef& r : *refs) out[r.name] = r.commit;
  }
  return out;
}

// Files in `root` other than mirrors and their lock files.
std::vector<std::string> Leftovers(const std::string& root) {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(root, ec)) {
    std::string name = e.path().filename().string();
    if (name.ends_with(".lock")) continue;
    out.push_back(name);
  }
  return out;
}

class MirrorStoreTest : public ::testing::Test {
 protected:
  MirrorStoreTest() : source_(tmp_.path() + "/src"), root_(tmp_.path() + "/cache/git") {}

  Result<std::shared_ptr<vcs::GitRepo>> Open(MirrorStore& store, bool force = false) {
    FetchRequest request;
    request.url = source_.url();
    request.force = force;
    return store.Open(request);
  }

  TempDir tmp_;
  SourceRepo source_;
  std::string root_;
};

TEST_F(MirrorStoreTest, ClonesBranchesTagsAndHead) {
  source_.Write("a.txt", "one\n");
  std::string first = source_.CommitAll("first");
  source_.Git("tag v1.0.0");
  source_.Git("tag -a -m annotated v1.1.0");
  source_.Git("branch dev");
  source_.Write("a.txt", "two\n");
  std::string second = source_.CommitAll("second");
  std::string annotated_tag_object = source_.Git("rev-parse v1.1.0");
  ASSERT_NE(annotated_tag_object, first);

  MirrorStore store(Options(root_));
  Result<std::shared_ptr<vcs::GitRepo>> repo = Open(store);
  ASSERT_TRUE(repo.has_value()) << repo.error().message;

  std::map<std::string, std::string> refs = RefMap(**repo);
  EXPECT_EQ(refs, (std::map<std::string, std::string>{{"HEAD", second},
                                                      {"refs/heads/main", second},
                                                      {"refs/heads/dev", first},
                                                      {"refs/tags/v1.0.0", first},
                                                      {"refs/tags/v1.1.0", first}}));
  EXPECT_TRUE(std::filesystem::is_directory(store.MirrorDir(source_.url())));
  EXPECT_EQ(Leftovers(root_).size(), 1u);
}

TEST_F(MirrorStoreTest, HeadFollowsTheRemoteDefaultBranch) {
  source_.CommitAll("first");
  source_.Git("checkout -q -b trunk");
  std::string trunk = source_.CommitAll("on trunk");

  MirrorStore store(Options(root_));
  Result<std::shared_ptr<vcs::GitRepo>> repo = Open(store);
  ASSERT_TRUE(repo.has_value()) << repo.error().message;
  EXPECT_EQ(RefMap(**repo)["HEAD"], trunk);
}

TEST_F(MirrorStoreTest, FreshMirrorIsNotFetchedAgainUnlessForced) {
  std::string first = source_.CommitAll("first");
  MirrorStore store(Options(root_));
  ASSERT_TRUE(Open(store).has_value());
  std::string second = source_.CommitAll("second");

  Result<std::shared_ptr<vcs::GitRepo>> cached = Open(store);
  ASSERT_TRUE(cached.has_value()) << cached.error().message;
  EXPECT_EQ(RefMap(**cached)["HEAD"], first);

  Result<std::shared_ptr<vcs::GitRepo>> forced = Open(store, /*force=*/true);
  ASSERT_TRUE(forced.has_value()) << forced.error().message;
  EXPECT_EQ(RefMap(**forced)["HEAD"], second);
}

TEST_F(MirrorStoreTest, StaleMirrorIsFetchedAgain) {
  source_.CommitAll("first");
  MirrorOptions options = Options(root_);
  options.fresh_for = std::chrono::milliseconds(0);
  MirrorStore store(options);
  ASSERT_TRUE(Open(store).has_value());
  std::string second = source_.CommitAll("second");

  Result<std::shared_ptr<vcs::GitRepo>> repo = Open(store);
  ASSERT_TRUE(repo.has_value()) << repo.error().message;
  EXPECT_EQ(RefMap(**repo)["HEAD"], second);
}

TEST_F(MirrorStoreTest, RefetchAddsNewRefsAndPrunesDeletedOnes) {
  std::string first = source_.CommitAll("first");
  source_.Git("tag v1.0.0 && git tag -a -m old v0.9.0 && git branch old");
  MirrorStore store(Options(root_));
  ASSERT_TRUE(Open(store).has_value());

  source_.Git("tag -d v1.0.0 v0.9.0 && git branch -D old");
  std::string second = source_.CommitAll("second");
  source_.Git("tag -a -m new v2.0.0 && git branch feature");
  Result<std::shared_ptr<vcs::GitRepo>> repo = Open(store, /*force=*/true);
  ASSERT_TRUE(repo.has_value()) << repo.error().message;

  EXPECT_EQ(RefMap(**repo), (std::map<std::string, std::string>{{"HEAD", second},
                                                                {"refs/heads/main", second},
                                                                {"refs/heads/feature", second},
                                                                {"refs/tags/v2.0.0", second}}));
}

TEST_F(MirrorStoreTest, MovedTagIsForced) {
  std::string first = source_.CommitAll("first");
  source_.Git("tag v1.0.0");
  MirrorStore store(Options(root_));
  ASSERT_TRUE(Open(store).has_value());
  std::string second = source_.CommitAll("second");
  source_.Git("tag -f v1.0.0");

  Result<std::shared_ptr<vcs::GitRepo>> repo = Open(store, /*force=*/true);
  ASSERT_TRUE(repo.has_value()) << repo.error().message;
  EXPECT_EQ(RefMap(**repo)["refs/tags/v1.0.0"], second);
}

TEST_F(MirrorStoreTest, MissingRepositoryIsNotFound) {
  MirrorStore store(Options(root_));
  FetchRequest request;
  request.url = "file://" + tmp_.path() + "/does-not-exist";
  Result<std::shared_ptr<vcs::GitRepo>> repo = store.Open(request);
  ASSERT_FALSE(repo.has_value());
  EXPECT_EQ(repo.error().code, ErrorCode::kNotFound);
  EXPECT_NE(repo.error().message.find("does-not-exist"), std::string::npos) << repo.error().message;
  EXPECT_EQ(repo.error().message.find('\n'), std::string::npos) << repo.error().message;
  EXPECT_TRUE(Leftovers(root_).empty());
}

TEST_F(MirrorStoreTest, RepositoryLargerThanTheLimitLeavesNothingBehind) {
  Sh(source_.dir(), "head -c 300000 /dev/urandom > big.bin");
  source_.CommitAll("big");
  MirrorOptions options = Options(root_);
  options.max_repo_bytes = 100000;
  MirrorStore store(options);

  Result<std::shared_ptr<vcs::GitRepo>> repo = Open(store);
  ASSERT_FALSE(repo.has_value());
  EXPECT_EQ(repo.error().code, ErrorCode::kUpstreamInvalid);
  EXPECT_EQ(repo.error().message,
            "repository " + source_.url() + " is larger than the limit of 100000 bytes");
  EXPECT_TRUE(Leftovers(root_).empty());
}

TEST_F(MirrorStoreTest, FailedRefetchKeepsTheMirror) {
  std::string first = source_.CommitAll("first");
  MirrorStore store(Options(root_));
  ASSERT_TRUE(Open(store).has_value());
  std::filesystem::rename(source_.dir(), tmp_.path() + "/moved");

  Result<std::shared_ptr<vcs::GitRepo>> failed = Open(store, /*force=*/true);
  ASSERT_FALSE(failed.has_value());
  EXPECT_EQ(failed.error().code, ErrorCode::kNotFound);
  std::filesystem::rename(tmp_.path() + "/moved", source_.dir());
  Result<std::shared_ptr<vcs::GitRepo>> repo = Open(store);
  ASSERT_TRUE(repo.has_value()) << repo.error().message;
  EXPECT_EQ(RefMap(**repo)["HEAD"], first);
}

TEST_F(MirrorStoreTest, StalledHelperIsKilledAtTheTimeout) {
  source_.CommitAll("first");
  std::string pid_file = tmp_.path() + "/pid";
  std::string helper = tmp_.path() + "/stall.sh";
  WriteFile(helper, "#!/bin/sh\necho $$ > " + pid_file + "\nexec sleep 100\n");
  std::filesystem::permissions(helper, std::filesystem::perms::owner_all);
  MirrorOptions options = Options(root_);
  options.fetch_helper = helper;
  options.fetch_timeout = std::chrono::milliseconds(300);
  MirrorStore store(options);

  Result<std::shared_ptr<vcs::GitRepo>> repo = Open(store);
  ASSERT_FALSE(repo.has_value());
  EXPECT_EQ(repo.error().code, ErrorCode::kTimeout);
  EXPECT_EQ(repo.error().message, "git fetch of " + source_.url() + " took longer than 300ms");
  pid_t pid = std::stoi(Sh(tmp_.path(), "cat pid"));
  EXPECT_EQ(kill(pid, 0), -1);
  EXPECT_EQ(errno, ESRCH);
  EXPECT_TRUE(Leftovers(root_).empty());
}

TEST_F(MirrorStoreTest, FetchFromAServerThatNeverAnswersTimesOut) {
  testing::CannedHttpServer silent("");
  MirrorOptions options = Options(root_);
  options.fetch_timeout = std::chrono::milliseconds(500);
  MirrorStore store(options);
  FetchRequest request;
  request.url = silent.url("/repo.git");

  Result<std::shared_ptr<vcs::GitRepo>> repo = store.Open(request);
  ASSERT_FALSE(repo.has_value());
  EXPECT_EQ(repo.error().code, ErrorCode::kTimeout);
  EXPECT_EQ(repo.error().message, "git fetch of " + request.url + " took longer than 500ms");
  EXPECT_TRUE(Leftovers(root_).empty());
}

TEST_F(MirrorStoreTest, ConcurrentOpensOfOneUrlFetchOnce) {
  source_.CommitAll("first");
  std::string count_file = tmp_.path() + "/count";
  std::string helper = tmp_.path() + "/count.sh";
  WriteFile(helper,
            "#!/bin/sh\necho x >> " + count_file + "\nexec " MODPROXY_GIT_FETCH_CHILD " \"$@\"\n");
  std::filesystem::permissions(helper, std::filesystem::perms::owner_all);
  MirrorOptions options = Options(root_);
  options.fetch_helper = helper;
  MirrorStore store(options);

  Result<std::shared_ptr<vcs::GitRepo>> a = MakeError(ErrorCode::kInternal, "not run");
  Result<std::shared_ptr<vcs::GitRepo>> b = MakeError(ErrorCode::kInternal, "not run");
  std::thread t1([&] { a = Open(store); });
  std::thread t2([&] { b = Open(store); });
  t1.join();
  t2.join();
  ASSERT_TRUE(a.has_value()) << a.error().message;
  ASSERT_TRUE(b.has_value()) << b.error().message;
  EXPECT_EQ(Sh(tmp_.path(), "wc -l < count"), "1");

  // A second store over the same root (another process) sees a fresh mirror.
  MirrorStore other(options);
  ASSERT_TRUE(Open(other).has_value());
  EXPECT_EQ(Sh(tmp_.path(), "wc -l < count"), "1");
}

TEST_F(MirrorStoreTest, AbandonedCloneIsRemovedBeforeCloning) {
  source_.CommitAll("first");
  MirrorStore store(Options(root_));
  std::string key = std::filesystem::path(store.MirrorDir(source_.url())).filename().string();
  std::filesystem::create_directories(root_ + "/.tmp-" + key + "-dead01/objects");

  ASSERT_TRUE(Open(store).has_value());
  EXPECT_EQ(Leftovers(root_), std::vector<std::string>{key});
}

// libgit2 1.5 follows same-host redirects even with GIT_REMOTE_REDIRECT_NONE;
// what follow_redirects=false refuses is a redirect to another host.
TEST_F(MirrorStoreTest, OffsiteRedirectsAreFollowedOnlyWhenAllowed) {
  testing::CannedHttpServer missing(
      "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
  std::string elsewhere = missing.url("/moved.git/info/refs?service=git-upload-pack");
  elsewhere.replace(elsewhere.find("127.0.0.1"), 9, "localhost");
  testing::CannedHttpServer redirect("HTTP/1.1 302 Found\r\nLocation: " + elsewhere +
                                     "\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
  MirrorStore store(Options(root_));
  FetchRequest request;
  request.url = redirect.url("/repo.git");
  request.follow_redirects = false;
  Result<std::shared_ptr<vcs::GitRepo>> refused = store.Open(request);
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().code, ErrorCode::kUnavailable) << refused.error().message;
  EXPECT_EQ(missing.requests(), 0);

  request.follow_redirects = true;
  Result<std::shared_ptr<vcs::GitRepo>> followed = store.Open(request);
  ASSERT_FALSE(followed.has_value());
  EXPECT_EQ(followed.error().code, ErrorCode::kNotFound) << followed.error().message;
  EXPECT_EQ(missing.requests(), 1);
}

constexpr char kUnauthorized[] =
    "HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic realm=\"git\"\r\n"
    "Content-Length: 0\r\nConnection: close\r\n\r\n";

TEST_F(MirrorStoreTest, ErrorsNeverContainThePassword) {
  testing::CannedHttpServer server(kUnauthorized);
  MirrorStore store(Options(root_));
  FetchRequest request;
  request.url = server.url("/private.git");
  request.credentials = Credentials{"alice", "s3cr3t-Pa55", "", "", ""};

  Result<std::shared_ptr<vcs::GitRepo>> repo = store.Open(request);
  ASSERT_FALSE(repo.has_value());
  EXPECT_EQ(repo.error().code, ErrorCode::kUnavailable);
  EXPECT_EQ(repo.error().message.find("s3cr3t-Pa55"), std::string::npos) << repo.error().message;
  EXPECT_EQ(repo.error().message, "git fetch of " + request.url + ": authentication failed");
  // The credentials were offered (Basic YWxpY2U6czNjcjN0LVBhNTU= is alice:s3cr3t-Pa55).
  EXPECT_NE(server.received().find("Authorization: Basic YWxpY2U6czNjcjN0LVBhNTU="),
            std::string::npos);
  EXPECT_TRUE(Leftovers(root_).empty());
}

TEST_F(MirrorStoreTest, ErrorsNeverContainAPasswordFromTheUrl) {
  testing::CannedHttpServer server(kUnauthorized);
  MirrorStore store(Options(root_));
  FetchRequest request;
  request.url = server.url("/private.git");
  request.url.insert(std::string("http://").size(), "bob:url-s3cret@");

  Result<std::shared_ptr<vcs::GitRepo>> repo = store.Open(request);
  ASSERT_FALSE(repo.has_value());
  EXPECT_EQ(repo.error().message.find("url-s3cret"), std::string::npos) << repo.error().message;
  EXPECT_NE(repo.error().message.find("bob:xxxxx@"), std::string::npos) << repo.error().message;
}

TEST_F(MirrorStoreTest, MissingCredentialsAreExplained) {
  testing::CannedHttpServer server(kUnauthorized);
  MirrorStore store(Options(root_));
  FetchRequest request;
  request.url = server.url("/private.git");
  Result<std::shared_ptr<vcs::GitRepo>> repo = store.Open(request);
  ASSERT_FALSE(repo.has_value());
  EXPECT_EQ(repo.error().code, ErrorCode::kUnavailable);
  EXPECT_EQ(repo.error().message, "git fetch of " + request.url +
                                      ": authentication required, and no credentials are "
                                      "configured for this repository");
}

TEST_F(MirrorStoreTest, HttpNotFoundIsNotFound) {
  testing::CannedHttpServer server(
      "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
  MirrorStore store(Options(root_));
  FetchRequest request;
  request.url = server.url("/missing.git");

  Result<std::shared_ptr<vcs::GitRepo>> repo = store.Open(request);
  ASSERT_FALSE(repo.has_value());
  EXPECT_EQ(repo.error().code, ErrorCode::kNotFound) << repo.error().message;
  EXPECT_TRUE(Leftovers(root_).empty());
}

}  // namespace
}  // namespace modproxy::git
