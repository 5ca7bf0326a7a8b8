#include "modproxy/cache/module_service.h"

#include <condition_variable>
#include <map>
#include <mutex>
#include <thread>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <gtest/gtest.h>

#include "modproxy/modzip/inspect_zip.h"
#include "modproxy/protocol/dirhash.h"
#include "modproxy/testkit/fake_upstream.h"
#include "modproxy/testkit/make_zip.h"
#include "modproxy/testkit/run_task.h"

namespace modproxy::cache {
namespace {

using namespace std::chrono_literals;
using protocol::ModuleEndpoint;
using protocol::ModuleRequest;

ModuleRequest Req(ModuleEndpoint endpoint, std::string version = "") {
  ModuleRequest r;
  r.endpoint = endpoint;
  r.module = "example.com/Hello";
  r.escaped_module = "example.com/!hello";
  r.version = version;
  r.escaped_version = version;
  r.canonical = true;
  return r;
}

std::string ReadAll(Answer& answer) {
  if (answer.body) return *answer.body;
  std::string out;
  char buffer[4096];
  for (;;) {
    Result<std::size_t> n = answer.reader->Read(buffer, sizeof buffer);
    if (!n || *n == 0) break;
    out.append(buffer, *n);
  }
  return out;
}

class ModuleServiceTest : public testing::Test {
 protected:
  ModuleServiceTest() {
    auto fake = std::make_unique<testkit::FakeUpstream>();
    upstream_ = fake.get();
    std::vector<upstream::UpstreamChain::Link> links;
    links.push_back({{protocol::UpstreamKind::kUrl, "http://fake", false}, std::move(fake)});
    router_ = std::make_unique<upstream::ChainRouter>(upstream::UpstreamChain(std::move(links)));
    fetcher_ = std::make_unique<UpstreamFetcher>(*router_, metrics_, FetcherOptions{});
    service_ = std::make_unique<ModuleService>(*storage_, *fetcher_, workers_, metrics_, negative_,
                                               ModuleServiceOptions{60s});
  }
  ~ModuleServiceTest() override { workers_.join(); }

  Result<Answer> Get(const ModuleRequest& r, bool allow_fetch = true) {
    return testkit::RunTask(service_->Get(r, allow_fetch));
  }

  std::unique_ptr<storage::Storage> storage_ = storage::NewMemoryStorage();
  testkit::FakeUpstream* upstream_ = nullptr;
  std::unique_ptr<upstream::ChainRouter> router_;
  metrics::ProxyMetrics metrics_;
  std::unique_ptr<UpstreamFetcher> fetcher_;
  boost::asio::thread_pool workers_{4};
  NegativeCache negative_{30s, [] { return std::chrono::steady_clock::now(); }};
  std::unique_ptr<ModuleService> service_;
};

TEST_F(ModuleServiceTest, FetchesGoModOnceThenServesFromCache) {
  upstream_->Set("example.com/!hello/@v/v1.0.0.mod", "module example.com/Hello\n");
  Result<Answer> first = Get(Req(ModuleEndpoint::kMod, "v1.0.0"));
  ASSERT_TRUE(first.has_value()) << first.error().message;
  EXPECT_FALSE(first->cache_hit);
  EXPECT_EQ(ReadAll(*first), "module example.com/Hello\n");
  Result<Answer> second = Get(Req(ModuleEndpoint::kMod, "v1.0.0"));
  ASSERT_TRUE(second.has_value());
  EXPECT_TRUE(second->cache_hit);
  EXPECT_EQ(ReadAll(*second), "module example.com/Hello\n");
  EXPECT_EQ(upstream_->calls().size(), 1u);
}

TEST_F(ModuleServiceTest, ConcurrentMissesShareOneFetch) {
  const std::string zip = testkit::MakeZip({{"example.com/Hello@v1.0.0/go.mod", "module x\n"}});
  upstream_->Set("example.com/!hello/@v/v1.0.0.zip", zip);
  upstream_->Hold();
  boost::asio::io_context loop;
  int done = 0;
  // Outlives the coroutines: a lambda coroutine reads its captures through the closure.
  auto client = [&]() -> boost::asio::awaitable<void> {
    const ModuleRequest request = Req(ModuleEndpoint::kZip, "v1.0.0");
    Result<Answer> r = co_await service_->Get(request, true);
    EXPECT_TRUE(r.has_value());
    if (r) {
      EXPECT_EQ(ReadAll(*r), zip);
    }
    ++done;
  };
  for (int i = 0; i < 20; ++i) boost::asio::co_spawn(loop, client(), boost::asio::detached);
  // Every coroutine reaches the flight before the upstream answers.
  loop.poll();
  upstream_->Release();
  loop.run();
  EXPECT_EQ(done, 20);
  EXPECT_EQ(upstream_->CallCount("example.com/!hello/@v/v1.0.0.zip"), 1u);
}

TEST_F(ModuleServiceTest, RefusesInfoForAnotherVersionAndCachesNothing) {
  upstream_->Set("example.com/!hello/@v/v1.0.0.info", R"({"Version":"v1.0.1"})");
  Result<Answer> got = Get(Req(ModuleEndpoint::kInfo, "v1.0.0"));
  ASSERT_FALSE(got.has_value());
  EXPECT_EQ(got.error().code, ErrorCode::kUpstreamInvalid);
  EXPECT_FALSE(storage_->Stat("example.com/!hello/@v/v1.0.0.info").has_value());
}

TEST_F(ModuleServiceTest, RefusesHtmlInsteadOfJson) {
  upstream_->Set("example.com/!hello/@v/v1.0.0.info", "<html>captive portal</html>");
  upstream_->Set("example.com/!hello/@v/v1.0.0.mod", "<!DOCTYPE html><p>module x</p>");
  EXPECT_EQ(Get(Req(ModuleEndpoint::kInfo, "v1.0.0")).error().code, ErrorCode::kUpstreamInvalid);
  EXPECT_EQ(Get(Req(ModuleEndpoint::kMod, "v1.0.0")).error().code, ErrorCode::kUpstreamInvalid);
  EXPECT_FALSE(storage_->Stat("example.com/!hello/@v/v1.0.0.mod").has_value());
}

TEST_F(ModuleServiceTest, RefusesZipWithForeignEntries) {
  upstream_->Set("example.com/!hello/@v/v1.0.0.zip",
                 testkit::MakeZip({{"evil/../../etc/passwd", "x"}}));
  Result<Answer> got = Get(Req(ModuleEndpoint::kZip, "v1.0.0"));
  ASSERT_FALSE(got.has_value());
  EXPECT_EQ(got.error().code, ErrorCode::kUpstreamInvalid);
  EXPECT_FALSE(storage_->Stat("example.com/!hello/@v/v1.0.0.zip").has_value());
}

TEST_F(ModuleServiceTest, RefusesTruncatedZip) {
  std::string zip = testkit::MakeZip({{"example.com/Hello@v1.0.0/a.go", std::string(5000, 'a')}});
  upstream_->Set("example.com/!hello/@v/v1.0.0.zip", zip.substr(0, zip.size() / 2));
  EXPECT_EQ(Get(Req(ModuleEndpoint::kZip, "v1.0.0")).error().code, ErrorCode::kUpstreamInvalid);
}

TEST_F(ModuleServiceTest, NotFoundIsRememberedForTheNegativeTtl) {
  EXPECT_EQ(Get(Req(ModuleEndpoint::kMod, "v9.0.0")).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(Get(Req(ModuleEndpoint::kMod, "v9.0.0")).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(upstream_->calls().size(), 1u);
}

TEST_F(ModuleServiceTest, DisableFetchAnswersFromCacheOnly) {
  upstream_->Set("example.com/!hello/@v/v1.0.0.mod", "module example.com/Hello\n");
  Result<Answer> got = Get(Req(ModuleEndpoint::kMod, "v1.0.0"), /*allow_fetch=*/false);
  ASSERT_FALSE(got.has_value());
  EXPECT_EQ(got.error().code, ErrorCode::kNotFound);
  EXPECT_TRUE(upstream_->calls().empty());
}

// A rate-limited client's free cache-only try (stale_ok false) takes a fresh
// list, but not a stale one: that would keep it from new versions forever.
// Disable-Module-Fetch (stale_ok true) still gets the stale list.
TEST_F(ModuleServiceTest, CacheOnlyTryWithoutStaleSkipsListsPastTheirTtl) {
  service_ = std::make_unique<ModuleService>(*storage_, *fetcher_, workers_, metrics_, negative_,
                                             ModuleServiceOptions{200ms});
  upstream_->Set("example.com/!hello/@v/list", "v1.0.0\n");
  ASSERT_TRUE(Get(Req(ModuleEndpoint::kList)).has_value());
  Result<Answer> fresh = testkit::RunTask(service_->Get(Req(ModuleEndpoint::kList), false, false,
                                                        /*stale_ok=*/false));
  ASSERT_TRUE(fresh.has_value()) << fresh.error().message;
  EXPECT_TRUE(fresh->cache_hit);
  std::this_thread::sleep_for(250ms);
  Result<Answer> stale = testkit::RunTask(service_->Get(Req(ModuleEndpoint::kList), false, false,
                                                        /*stale_ok=*/false));
  ASSERT_FALSE(stale.has_value());
  EXPECT_EQ(stale.error().code, ErrorCode::kNotFound);
  Result<Answer> disabled = Get(Req(ModuleEndpoint::kList), /*allow_fetch=*/false);
  ASSERT_TRUE(disabled.has_value());
  EXPECT_EQ(ReadAll(*disabled), "v1.0.0\n");
  EXPECT_EQ(upstream_->calls().size(), 1u);
}

TEST_F(ModuleServiceTest, ListMergesUpstreamWithCachedVersions) {
  ASSERT_TRUE(storage_->Put("example.com/!hello/@v/v0.9.0.info", R"({"Version":"v0.9.0"})"));
  upstream_->Set("example.com/!hello/@v/list", "v1.0.0\nv1.1.0\n");
  Result<Answer> got = Get(Req(ModuleEndpoint::kList));
  ASSERT_TRUE(got.has_value()) << got.error().message;
  EXPECT_EQ(ReadAll(*got), "v0.9.0\nv1.0.0\nv1.1.0\n");
  EXPECT_EQ(*storage_->Get("example.com/!hello/@v/list"), "v0.9.0\nv1.0.0\nv1.1.0\n");
}

TEST_F(ModuleServiceTest, FreshListIsServedWithoutUpstream) {
  upstream_->Set("example.com/!hello/@v/list", "v1.0.0\n");
  ASSERT_TRUE(Get(Req(ModuleEndpoint::kList)).has_value());
  Result<Answer> again = Get(Req(ModuleEndpoint::kList));
  ASSERT_TRUE(again.has_value());
  EXPECT_TRUE(again->cache_hit);
  EXPECT_EQ(upstream_->calls().size(), 1u);
}

TEST_F(ModuleServiceTest, StaleListIsServedWhenUpstreamFails) {
  service_ = std::make_unique<ModuleService>(*storage_, *fetcher_, workers_, metrics_, negative_,
                                             ModuleServiceOptions{0ms});
  upstream_->Set("example.com/!hello/@v/list", "v1.0.0\n");
  ASSERT_TRUE(Get(Req(ModuleEndpoint::kList)).has_value());
  upstream_->SetError("example.com/!hello/@v/list", MakeError(ErrorCode::kUnavailable, "down"));
  Result<Answer> stale = Get(Req(ModuleEndpoint::kList));
  ASSERT_TRUE(stale.has_value()) << stale.error().message;
  EXPECT_TRUE(stale->stale);
  EXPECT_EQ(ReadAll(*stale), "v1.0.0\n");
  EXPECT_EQ(upstream_->calls().size(), 2u);
}

TEST_F(ModuleServiceTest, FailedRefreshRestartsTheListTtl) {
  service_ = std::make_unique<ModuleService>(*storage_, *fetcher_, workers_, metrics_, negative_,
                                             ModuleServiceOptions{0ms});
  upstream_->Set("example.com/!hello/@v/list", "v1.0.0\n");
  ASSERT_TRUE(Get(Req(ModuleEndpoint::kList)).has_value());
  const auto before_refresh = std::chrono::system_clock::now();
  upstream_->SetError("example.com/!hello/@v/list", MakeError(ErrorCode::kTimeout, "slow"));
  Result<Answer> stale = Get(Req(ModuleEndpoint::kList));
  ASSERT_TRUE(stale.has_value());
  EXPECT_TRUE(stale->stale);
  // The stale list was stored again, so its TTL counts from the failed refresh.
  EXPECT_GE(storage_->Stat("example.com/!hello/@v/list")->modified, before_refresh);
  EXPECT_EQ(*storage_->Get("example.com/!hello/@v/list"), "v1.0.0\n");
}

ModuleServiceOptions Options(std::chrono::milliseconds list_ttl, bool upstream_off,
                             std::size_t hot_set_bytes = 1 << 20) {
  ModuleServiceOptions options;
  options.list_ttl = list_ttl;
  options.upstream_off = upstream_off;
  options.hot_set_bytes = hot_set_bytes;
  return options;
}

TEST_F(ModuleServiceTest, ImmutableHitsAreServedFromMemory) {
  const std::string key = "example.com/!hello/@v/v1.0.0.mod";
  ASSERT_TRUE(storage_->Put(key, "module example.com/Hello\n"));
  Result<Answer> first = Get(Req(ModuleEndpoint::kMod, "v1.0.0"));
  ASSERT_TRUE(first.has_value());
  EXPECT_TRUE(first->cache_hit);
  ASSERT_TRUE(first->body) << "a small hit is answered from memory";
  // The stored object changes behind the service's back (it never does for
  // an immutable file): the second hit does not even look at storage.
  ASSERT_TRUE(storage_->Put(key, "module changed\n"));
  Result<Answer> second = Get(Req(ModuleEndpoint::kMod, "v1.0.0"));
  ASSERT_TRUE(second.has_value());
  EXPECT_EQ(ReadAll(*second), "module example.com/Hello\n");
  EXPECT_EQ(upstream_->calls().size(), 0u);
}

TEST_F(ModuleServiceTest, SmallZipsComeFromMemoryLargeOnesStreamFromStorage) {
  const std::string small = testkit::MakeZip({{"example.com/Hello@v1.0.0/go.mod", "module x\n"}});
  const std::string large(HotSet::kMaxEntryBytes + 1, 'z');  // served as stored, never parsed
  ASSERT_TRUE(storage_->Put("example.com/!hello/@v/v1.0.0.zip", small));
  ASSERT_TRUE(storage_->Put("example.com/!hello/@v/v2.0.0.zip", large));
  Result<Answer> hot = Get(Req(ModuleEndpoint::kZip, "v1.0.0"));
  ASSERT_TRUE(hot.has_value());
  ASSERT_TRUE(hot->body);
  EXPECT_EQ(*hot->body, small);
  Result<Answer> streamed = Get(Req(ModuleEndpoint::kZip, "v2.0.0"));
  ASSERT_TRUE(streamed.has_value());
  EXPECT_FALSE(streamed->body);
  ASSERT_TRUE(streamed->reader);
  EXPECT_EQ(streamed->reader->size(), large.size());
}

TEST_F(ModuleServiceTest, HotSetOfZeroBytesReadsStorageEveryTime) {
  service_ = std::make_unique<ModuleService>(*storage_, *fetcher_, workers_, metrics_, negative_,
                                             Options(60s, false, 0));
  const std::string key = "example.com/!hello/@v/v1.0.0.mod";
  ASSERT_TRUE(storage_->Put(key, "module example.com/Hello\n"));
  ASSERT_TRUE(Get(Req(ModuleEndpoint::kMod, "v1.0.0")).has_value());
  ASSERT_TRUE(storage_->Put(key, "module changed\n"));
  Result<Answer> again = Get(Req(ModuleEndpoint::kMod, "v1.0.0"));
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(ReadAll(*again), "module changed\n");
}

TEST_F(ModuleServiceTest, UpstreamOffServesOldListsAsTheyAre) {
  service_ = std::make_unique<ModuleService>(*storage_, *fetcher_, workers_, metrics_, negative_,
                                             Options(0ms, true));
  ASSERT_TRUE(storage_->Put("example.com/!hello/@v/list", "v1.0.0\n"));
  const auto stored_at = storage_->Stat("example.com/!hello/@v/list")->modified;
  for (int i = 0; i < 3; ++i) {
    Result<Answer> got = Get(Req(ModuleEndpoint::kList));
    ASSERT_TRUE(got.has_value()) << got.error().message;
    EXPECT_TRUE(got->cache_hit);
    EXPECT_FALSE(got->stale);
    EXPECT_EQ(ReadAll(*got), "v1.0.0\n");
  }
  EXPECT_EQ(upstream_->calls().size(), 0u);
  // Nothing was "refreshed" and written back.
  EXPECT_EQ(storage_->Stat("example.com/!hello/@v/list")->modified, stored_at);
}

TEST_F(ModuleServiceTest, HotListIsReadAgainAfterTheListTtl) {
  service_ = std::make_unique<ModuleService>(*storage_, *fetcher_, workers_, metrics_, negative_,
                                             Options(200ms, true));
  ASSERT_TRUE(storage_->Put("example.com/!hello/@v/list", "v1.0.0\n"));
  ASSERT_TRUE(Get(Req(ModuleEndpoint::kList)).has_value());
  ASSERT_TRUE(storage_->Put("example.com/!hello/@v/list", "v1.0.0\nv1.1.0\n"));
  Result<Answer> hot = Get(Req(ModuleEndpoint::kList));
  ASSERT_TRUE(hot.has_value());
  EXPECT_EQ(ReadAll(*hot), "v1.0.0\n") << "within the TTL the memory copy answers";
  std::this_thread::sleep_for(250ms);
  Result<Answer> reread = Get(Req(ModuleEndpoint::kList));
  ASSERT_TRUE(reread.has_value());
  EXPECT_EQ(ReadAll(*reread), "v1.0.0\nv1.1.0\n");
}

TEST_F(ModuleServiceTest, RefreshedListReplacesTheHotCopy) {
  service_ = std::make_unique<ModuleService>(*storage_, *fetcher_, workers_, metrics_, negative_,
                                             Options(200ms, false));
  upstream_->Set("example.com/!hello/@v/list", "v1.0.0\n");
  ASSERT_TRUE(Get(Req(ModuleEndpoint::kList)).has_value());
  ASSERT_TRUE(Get(Req(ModuleEndpoint::kList)).has_value());  // now hot
  upstream_->Set("example.com/!hello/@v/list", "v1.0.0\nv1.2.0\n");
  std::this_thread::sleep_for(250ms);
  Result<Answer> refreshed = Get(Req(ModuleEndpoint::kList));
  ASSERT_TRUE(refreshed.has_value());
  EXPECT_FALSE(refreshed->cache_hit);
  EXPECT_EQ(ReadAll(*refreshed), "v1.0.0\nv1.2.0\n");
  Result<Answer> after = Get(Req(ModuleEndpoint::kList));
  ASSERT_TRUE(after.has_value());
  EXPECT_TRUE(after->cache_hit);
  EXPECT_EQ(ReadAll(*after), "v1.0.0\nv1.2.0\n");
  EXPECT_EQ(upstream_->calls().size(), 2u);
}

TEST_F(ModuleServiceTest, ListThatIsNotVersionsIsAnUpstreamError) {
  upstream_->Set("example.com/!hello/@v/list", "<html><body>oops</body></html>\n");
  EXPECT_EQ(Get(Req(ModuleEndpoint::kList)).error().code, ErrorCode::kUpstreamInvalid);
  EXPECT_FALSE(storage_->Stat("example.com/!hello/@v/list").has_value());
}

TEST_F(ModuleServiceTest, LatestFallsBackToCachedVersionsWhenUpstreamFails) {
  ASSERT_TRUE(storage_->Put("example.com/!hello/@v/v1.2.0.info",
                            R"({"Version":"v1.2.0","Time":"2023-01-01T00:00:00Z"})"));
  ASSERT_TRUE(
      storage_->Put("example.com/!hello/@v/v1.3.0-rc.1.info", R"({"Version":"v1.3.0-rc.1"})"));
  upstream_->SetError("example.com/!hello/@latest", MakeError(ErrorCode::kTimeout, "slow"));
  Result<Answer> got = Get(Req(ModuleEndpoint::kLatest));
  ASSERT_TRUE(got.has_value()) << got.error().message;
  EXPECT_EQ(ReadAll(*got), R"({"Version":"v1.2.0","Time":"2023-01-01T00:00:00Z"})");
}

TEST_F(ModuleServiceTest, NonCanonicalInfoQueryStoresTheResolvedVersion) {
  ModuleRequest query = Req(ModuleEndpoint::kInfo, "v1.2");
  query.canonical = false;
  upstream_->Set("example.com/!hello/@v/v1.2.info", R"({"Version":"v1.2.0"})");
  Result<Answer> got = Get(query);
  ASSERT_TRUE(got.has_value()) << got.error().message;
  EXPECT_EQ(*storage_->Get("example.com/!hello/@v/v1.2.0.info"), R"({"Version":"v1.2.0"})");
  EXPECT_FALSE(storage_->Stat("example.com/!hello/@v/v1.2.info").has_value());
}

// --- Verification on fetch ---

// A SumVerifier that answers from a table of go.sum lines, and can hold
// every check until Release() (to look at a zip stream mid-way).
class FakeSumVerifier final : public SumVerifier {
 public:
  void Record(const std::string& line_prefix, const std::string& h1) { sums_[line_prefix] = h1; }
  void Hold() {
    std::lock_guard lock(mu_);
    held_ = true;
  }
  void Release() {
    {
      std::lock_guard lock(mu_);
      held_ = false;
    }
    cv_.notify_all();
  }
  int checks() const {
    std::lock_guard lock(mu_);
    return checks_;
  }

  Result<SumVerdict> Check(std::string_view module, std::string_view version, bool go_mod,
                           std::string_view h1) override {
    {
      std::unique_lock lock(mu_);
      ++checks_;
      cv_.wait(lock, [this] { return !held_; });
    }
    const std::string key =
        std::string(module) + " " + std::string(version) + (go_mod ? "/go.mod" : "");
    auto it = sums_.find(key);
    if (it == sums_.end()) return MakeError(ErrorCode::kUnavailable, "no record of " + key);
    if (it->second != h1) {
      return MakeError(ErrorCode::kIntegrity,
                       "SECURITY ERROR: " + key + ": " + std::string(kChecksumMismatch));
    }
    return SumVerdict{"sum.test"};
  }

 private:
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool held_ = false;
  int checks_ = 0;
  std::map<std::string, std::string> sums_;
};

class VerifyingServiceTest : public ModuleServiceTest {
 protected:
  VerifyingServiceTest() {
    ModuleServiceOptions options{60s};
    options.verifier = &verifier_;
    service_ = std::make_unique<ModuleService>(*storage_, *fetcher_, workers_, metrics_, negative_,
                                               options);
  }
  FakeSumVerifier verifier_;
};

std::string ZipH1(const std::string& zip) {
  protocol::StringZipSource source(zip);
  return *modzip::HashZip(source);
}

TEST_F(VerifyingServiceTest, MatchingSumsAreCachedAndRecorded) {
  const std::string zip = testkit::MakeZip({{"example.com/Hello@v1.0.0/go.mod", "module x\n"}});
  const std::string mod = "module example.com/Hello\n";
  upstream_->Set("example.com/!hello/@v/v1.0.0.zip", zip);
  upstream_->Set("example.com/!hello/@v/v1.0.0.mod", mod);
  verifier_.Record("example.com/Hello v1.0.0", ZipH1(zip));
  verifier_.Record("example.com/Hello v1.0.0/go.mod", protocol::HashGoMod(mod));
  ASSERT_TRUE(Get(Req(ModuleEndpoint::kZip, "v1.0.0")).has_value());
  ASSERT_TRUE(Get(Req(ModuleEndpoint::kMod, "v1.0.0")).has_value());
  EXPECT_EQ(*storage_->Get("example.com/!hello/@v/v1.0.0.zip"), zip);
  EXPECT_EQ(*storage_->Get(".modproxy/sums/example.com/!hello/@v/v1.0.0.zip"),
            "example.com/Hello v1.0.0 " + ZipH1(zip) + "\n");
  EXPECT_EQ(*storage_->Get(".modproxy/sums/example.com/!hello/@v/v1.0.0.mod"),
            "example.com/Hello v1.0.0/go.mod " + protocol::HashGoMod(mod) + "\n");
  EXPECT_EQ(metrics_.verifications.With({"zip", "ok"}).value(), 1u);
}

TEST_F(VerifyingServiceTest, ChecksumMismatchCachesNothing) {
  const std::string zip = testkit::MakeZip({{"example.com/Hello@v1.0.0/go.mod", "module x\n"}});
  upstream_->Set("example.com/!hello/@v/v1.0.0.zip", zip);
  upstream_->Set("example.com/!hello/@v/v1.0.0.mod", "module example.com/Hello\n");
  verifier_.Record("example.com/Hello v1.0.0", "h1:somethingelse=");
  verifier_.Record("example.com/Hello v1.0.0/go.mod", "h1:somethingelse=");
  for (ModuleEndpoint endpoint : {ModuleEndpoint::kZip, ModuleEndpoint::kMod}) {
    Result<Answer> answer = Get(Req(endpoint, "v1.0.0"));
    ASSERT_FALSE(answer.has_value());
    EXPECT_EQ(answer.error().code, ErrorCode::kIntegrity);
    EXPECT_EQ(answer.error().message.rfind("SECURITY", 0), 0u) << answer.error().message;
  }
  EXPECT_FALSE(storage_->Stat("example.com/!hello/@v/v1.0.0.zip").has_value());
  EXPECT_FALSE(storage_->Stat("example.com/!hello/@v/v1.0.0.mod").has_value());
  EXPECT_FALSE(storage_->Stat(".modproxy/sums/example.com/!hello/@v/v1.0.0.zip").has_value());
  EXPECT_EQ(metrics_.integrity_failures.With({"zip", "checksum_mismatch"}).value(), 1u);
  EXPECT_EQ(metrics_.integrity_failures.With({"mod", "checksum_mismatch"}).value(), 1u);
}

TEST_F(VerifyingServiceTest, UncheckableVersionCachesNothing) {
  upstream_->Set("example.com/!hello/@v/v1.0.0.mod", "module example.com/Hello\n");
  Result<Answer> answer = Get(Req(ModuleEndpoint::kMod, "v1.0.0"));
  ASSERT_FALSE(answer.has_value());
  EXPECT_EQ(answer.error().code, ErrorCode::kUnavailable);
  EXPECT_FALSE(storage_->Stat("example.com/!hello/@v/v1.0.0.mod").has_value());
}

TEST_F(VerifyingServiceTest, ZipBreakingTheRulesIsRefusedBeforeAnyLookup) {
  upstream_->Set("example.com/!hello/@v/v1.0.0.zip",
                 testkit::MakeZip({{"example.com/Hello@v1.0.0/a.go", "package a\n"},
                                   {"example.com/Hello@v1.0.0/A.go", "package a\n"}}));
  Result<Answer> answer = Get(Req(ModuleEndpoint::kZip, "v1.0.0"));
  ASSERT_FALSE(answer.has_value());
  EXPECT_EQ(answer.error().code, ErrorCode::kUpstreamInvalid);
  EXPECT_NE(answer.error().message.find("invalid module zip"), std::string::npos)
      << answer.error().message;
  EXPECT_EQ(verifier_.checks(), 0);
  EXPECT_FALSE(storage_->Stat("example.com/!hello/@v/v1.0.0.zip").has_value());
  EXPECT_EQ(metrics_.integrity_failures.With({"zip", "zip_rules"}).value(), 1u);
}

// A zip of about 300 KiB that deflate cannot shrink: large enough to stream.
std::string IncompressibleZip(std::uint32_t seed) {
  std::string random(300 * 1024, '\0');
  for (char& c : random) {
    seed = seed * 1103515245 + 12345;
    c = static_cast<char>(seed >> 24);
  }
  return testkit::MakeZip({{"example.com/Hello@v1.0.0/data.bin", random}});
}

// A large zip miss streams to the client while it downloads, but its last
// 64 KiB wait for verification; a refusal ends the stream as failed.
TEST_F(VerifyingServiceTest, StreamedZipHoldsBackItsEndUntilVerified) {
  const std::string zip = IncompressibleZip(12345);
  ASSERT_GT(zip.size(), 2 * ModuleService::kZipHoldBackBytes);
  upstream_->Set("example.com/!hello/@v/v1.0.0.zip", zip);
  verifier_.Record("example.com/Hello v1.0.0", "h1:tampered=");
  verifier_.Hold();
  Result<Answer> answer = testkit::RunTask(
      service_->Get(Req(ModuleEndpoint::kZip, "v1.0.0"), true, /*may_stream=*/true));
  ASSERT_TRUE(answer.has_value()) << answer.error().message;
  ASSERT_TRUE(answer->stream);
  // Wait until the verifier holds the download: everything has been written.
  while (verifier_.checks() == 0) std::this_thread::sleep_for(1ms);
  ZipStream::Snapshot mid = answer->stream->snapshot();
  EXPECT_EQ(mid.state, ZipStream::State::kRunning);
  EXPECT_EQ(mid.released, zip.size() - ModuleService::kZipHoldBackBytes);
  std::string head(mid.released, '\0');
  ASSERT_EQ(*answer->stream->ReadAt(0, head.data(), head.size()), head.size());
  EXPECT_EQ(head, zip.substr(0, head.size()));
  verifier_.Release();
  ZipStream::Snapshot end = testkit::RunTask(AwaitZipStream(answer->stream, mid.released, true));
  EXPECT_EQ(end.state, ZipStream::State::kFailed);
  EXPECT_EQ(end.error.code, ErrorCode::kIntegrity);
  EXPECT_EQ(end.released, mid.released);
  EXPECT_FALSE(storage_->Stat("example.com/!hello/@v/v1.0.0.zip").has_value());
}

TEST_F(VerifyingServiceTest, StreamedZipIsReleasedWholeOnceVerified) {
  const std::string zip = IncompressibleZip(777);
  upstream_->Set("example.com/!hello/@v/v1.0.0.zip", zip);
  verifier_.Record("example.com/Hello v1.0.0", ZipH1(zip));
  verifier_.Hold();
  Result<Answer> answer = testkit::RunTask(
      service_->Get(Req(ModuleEndpoint::kZip, "v1.0.0"), true, /*may_stream=*/true));
  ASSERT_TRUE(answer.has_value()) << answer.error().message;
  ASSERT_TRUE(answer->stream);
  // A second client during the download follows the same stream: one fetch.
  Result<Answer> second = testkit::RunTask(
      service_->Get(Req(ModuleEndpoint::kZip, "v1.0.0"), true, /*may_stream=*/true));
  ASSERT_TRUE(second.has_value());
  EXPECT_EQ(second->stream, answer->stream);
  verifier_.Release();
  ZipStream::Snapshot end = testkit::RunTask(AwaitZipStream(answer->stream, 0, true));
  ASSERT_EQ(end.state, ZipStream::State::kDone);
  ASSERT_EQ(end.released, zip.size());
  std::string all(zip.size(), '\0');
  ASSERT_EQ(*answer->stream->ReadAt(0, all.data(), all.size()), all.size());
  EXPECT_EQ(all, zip);
  EXPECT_EQ(upstream_->CallCount("example.com/!hello/@v/v1.0.0.zip"), 1u);
  EXPECT_EQ(*storage_->Get("example.com/!hello/@v/v1.0.0.zip"), zip);
}
}  // namespace
}  // namespace modproxy::cache
