#include "modproxy/probe/prober.h"

#include <string>

#include <gtest/gtest.h>

#include "modproxy/probe/fake_fetcher.h"

namespace modproxy::probe {
namespace {

using testing::Answer;
using testing::Failure;
using testing::FakeFetcher;
using testing::ServeGoodModule;

constexpr std::chrono::milliseconds kTimeout{1500};
const std::string kBase = "http://proxy.test";

ProxyUrl Proxy(const std::string& url) { return *ParseProxyUrl(url); }
ModuleTarget Target(const std::string& text) { return *ParseModuleTarget(text); }

TEST(ProberTest, FetchesInfoModZipInOrderWithTheTimeout) {
  FakeFetcher fetcher;
  ServeGoodModule(fetcher, kBase);
  ProxyReport report =
      ProbeProxy(fetcher, Proxy(kBase + "/"), Target("example.com/m@v1.0.0"), kTimeout);
  ASSERT_EQ(fetcher.requests().size(), 3u);
  EXPECT_EQ(fetcher.requests()[0].url, kBase + "/example.com/m/@v/v1.0.0.info");
  EXPECT_EQ(fetcher.requests()[1].url, kBase + "/example.com/m/@v/v1.0.0.mod");
  EXPECT_EQ(fetcher.requests()[2].url, kBase + "/example.com/m/@v/v1.0.0.zip");
  for (const FetchRequest& r : fetcher.requests()) EXPECT_EQ(r.timeout, kTimeout);
  EXPECT_LT(fetcher.requests()[2].keep_bytes, fetcher.requests()[0].keep_bytes);
  EXPECT_TRUE(report.verdict.usable) << report.verdict.summary;
  EXPECT_EQ(report.proxy, kBase);
  EXPECT_EQ(report.module, "example.com/m");
  EXPECT_EQ(report.requested, "v1.0.0");
  EXPECT_EQ(report.version, "v1.0.0");
  ASSERT_EQ(report.files.size(), 3u);
  EXPECT_EQ(report.files[2].url, kBase + "/example.com/m/@v/v1.0.0.zip");
  EXPECT_EQ(report.files[2].result.body_bytes, 2048u);
}

TEST(ProberTest, LatestIsResolvedFirstThenThatVersionIsProbed) {
  FakeFetcher fetcher;
  ServeGoodModule(fetcher, kBase);
  fetcher.Set(kBase + "/example.com/m/@latest", Answer(200, R"({"Version":"v1.0.0"})"));
  ProxyReport report = ProbeProxy(fetcher, Proxy(kBase), Target("example.com/m@latest"), kTimeout);
  ASSERT_EQ(fetcher.requests().size(), 4u);
  EXPECT_EQ(fetcher.requests()[0].url, kBase + "/example.com/m/@latest");
  EXPECT_EQ(fetcher.requests()[1].url, kBase + "/example.com/m/@v/v1.0.0.info");
  EXPECT_EQ(report.requested, "latest");
  EXPECT_EQ(report.version, "v1.0.0");
  EXPECT_EQ(report.files.front().file, ProbeFile::kLatest);
  EXPECT_TRUE(report.verdict.usable) << report.verdict.summary;
}

TEST(ProberTest, AFailedLatestSkipsTheRest) {
  FakeFetcher fetcher;
  fetcher.Set(kBase + "/example.com/m/@latest", Answer(200, "<html>"));
  ProxyReport report = ProbeProxy(fetcher, Proxy(kBase), Target("example.com/m@latest"), kTimeout);
  EXPECT_EQ(fetcher.requests().size(), 1u);
  EXPECT_EQ(report.version, "");
  ASSERT_EQ(report.files.size(), 4u);
  EXPECT_FALSE(report.files[1].attempted);
  EXPECT_EQ(report.files[1].url, "");
  EXPECT_FALSE(report.verdict.usable);
  EXPECT_EQ(report.verdict.summary, "unusable: .info is not a JSON object");
}

TEST(ProberTest, A429StopsProbingThatProxy) {
  FakeFetcher fetcher;
  ServeGoodModule(fetcher, kBase);
  fetcher.Set(kBase + "/example.com/m/@v/v1.0.0.mod",
              Answer(429, "too many requests", {{"retry-after", "30"}}));
  ProxyReport report = ProbeProxy(fetcher, Proxy(kBase), Target("example.com/m@v1.0.0"), kTimeout);
  EXPECT_EQ(fetcher.requests().size(), 2u);
  EXPECT_FALSE(report.files[2].attempted);
  EXPECT_EQ(report.files[2].url, kBase + "/example.com/m/@v/v1.0.0.zip");
  EXPECT_TRUE(report.verdict.rate_limited);
  EXPECT_EQ(report.verdict.summary, "rate limited (429, Retry-After: 30)");
}

TEST(ProberTest, AConnectionFailureStopsProbingThatProxy) {
  FakeFetcher fetcher;
  fetcher.Set(kBase + "/example.com/m/@v/v1.0.0.info",
              Failure(TransportFailure::kConnect, "Couldn't connect to server"));
  ProxyReport report = ProbeProxy(fetcher, Proxy(kBase), Target("example.com/m@v1.0.0"), kTimeout);
  EXPECT_EQ(fetcher.requests().size(), 1u);
  EXPECT_EQ(report.verdict.summary, "unusable: connection failed");
}

TEST(ProberTest, BadContentDoesNotStopProbing) {
  FakeFetcher fetcher;
  ServeGoodModule(fetcher, kBase);
  fetcher.Set(kBase + "/example.com/m/@v/v1.0.0.info", Answer(200, "<!DOCTYPE html>"));
  ProxyReport report = ProbeProxy(fetcher, Proxy(kBase), Target("example.com/m@v1.0.0"), kTimeout);
  EXPECT_EQ(fetcher.requests().size(), 3u);
  EXPECT_FALSE(report.verdict.usable);
  EXPECT_EQ(report.verdict.summary, "unusable: .info is not a JSON object");
  EXPECT_EQ(report.files[1].problem, "");
}

TEST(ProberTest, CredentialsAreSentButNeverReported) {
  FakeFetcher fetcher;
  const std::string secret_base = "http://u:pw@proxy.test";
  fetcher.Set(secret_base + "/example.com/m/@v/v1.0.0.info",
              Failure(TransportFailure::kBroken, "bad answer from http://u:pw@proxy.test/x"));
  ProxyReport report =
      ProbeProxy(fetcher, Proxy(secret_base), Target("example.com/m@v1.0.0"), kTimeout);
  ASSERT_EQ(fetcher.requests().size(), 1u);
  EXPECT_EQ(fetcher.requests()[0].url, secret_base + "/example.com/m/@v/v1.0.0.info");
  EXPECT_EQ(report.proxy, "http://***@proxy.test");
  EXPECT_EQ(report.files[0].url, "http://***@proxy.test/example.com/m/@v/v1.0.0.info");
  EXPECT_EQ(report.files[0].result.error, "bad answer from http://***@proxy.test/x");
  EXPECT_EQ(report.verdict.detail.find("pw"), std::string::npos) << report.verdict.detail;
}

}  // namespace
}  // namespace modproxy::probe
