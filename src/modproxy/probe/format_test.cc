#include "modproxy/probe/format.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "modproxy/probe/fake_fetcher.h"
#include "modproxy/probe/prober.h"

namespace modproxy::probe {
namespace {

using testing::Answer;
using testing::FakeFetcher;
using testing::ServeGoodModule;

constexpr std::chrono::milliseconds kTimeout{1000};

// A caching proxy that hits, and one behind credentials that says 429.
std::vector<ProxyReport> HitAndRateLimited() {
  FakeFetcher fetcher;
  ServeGoodModule(fetcher, "http://a.test", {{"x-go-proxy-cache-hit", "true"}});
  fetcher.Set("http://u:pw@b.test/example.com/m/@v/v1.0.0.info",
              Answer(429, "slow down", {{"retry-after", "30"}}));
  const ModuleTarget target = *ParseModuleTarget("example.com/m@v1.0.0");
  return {ProbeProxy(fetcher, *ParseProxyUrl("http://a.test"), target, kTimeout),
          ProbeProxy(fetcher, *ParseProxyUrl("http://u:pw@b.test"), target, kTimeout)};
}

TEST(FormatTableTest, OneColumnPerProxyWithPhasesSizeRateLimitAndVerdict) {
  EXPECT_EQ(FormatTable(HitAndRateLimited()),
            "example.com/m@v1.0.0 (each request on a fresh connection)\n"
            "\n"
            "                    http://a.test     http://***@b.test\n"
            "  .info   status    200 (cache hit)   429 (rate limited)\n"
            "          dns       0.1 ms            0.1 ms\n"
            "          connect   0.2 ms            0.2 ms\n"
            "          tls       -                 -\n"
            "          wait      0.6 ms            0.6 ms\n"
            "          ttfb      1.0 ms            1.0 ms\n"
            "          total     2.0 ms            2.0 ms\n"
            "  .mod    status    200 (cache hit)   skipped\n"
            "          dns       0.1 ms            -\n"
            "          connect   0.2 ms            -\n"
            "          tls       -                 -\n"
            "          wait      0.6 ms            -\n"
            "          ttfb      1.0 ms            -\n"
            "          total     2.0 ms            -\n"
            "  .zip    status    200 (cache hit)   skipped\n"
            "          dns       0.1 ms            -\n"
            "          connect   0.2 ms            -\n"
            "          tls       -                 -\n"
            "          wait      0.6 ms            -\n"
            "          ttfb      1.0 ms            -\n"
            "          total     2.0 ms            -\n"
            "          size      2.0 KiB           -\n"
            "          speed     1000.0 KiB/s      -\n"
            "  rate limit        -                 429, Retry-After: 30\n"
            "  verdict           ok                rate limited (429, Retry-After: 30)\n"
            "\n"
            "http://***@b.test: .info answered 429 Too Many Requests: slow down\n");
}

TEST(FormatTableTest, LatestAddsTheResolvedVersionAndItsOwnRows) {
  FakeFetcher fetcher;
  ServeGoodModule(fetcher, "http://a.test");
  fetcher.Set("http://a.test/example.com/m/@latest", Answer(200, R"({"Version":"v1.0.0"})"));
  const ModuleTarget target = *ParseModuleTarget("example.com/m@latest");
  const std::string table =
      FormatTable({ProbeProxy(fetcher, *ParseProxyUrl("http://a.test"), target, kTimeout),
                   ProbeProxy(fetcher, *ParseProxyUrl("http://c.test"), target, kTimeout)});
  EXPECT_NE(table.find("example.com/m@latest (each"), std::string::npos) << table;
  EXPECT_NE(table.find("\n  version           v1.0.0          -\n"), std::string::npos) << table;
  EXPECT_NE(table.find("\n  @latest status    200             404\n"), std::string::npos) << table;
  EXPECT_NE(table.find("\n  .info   status    200             skipped\n"), std::string::npos)
      << table;
  EXPECT_NE(table.find("\n  verdict           ok              unusable: @latest answered 404\n"),
            std::string::npos)
      << table;
  EXPECT_EQ(table.find("rate limit"), std::string::npos) << table;
}

TEST(FormatTableTest, NothingToShowIsEmpty) { EXPECT_EQ(FormatTable({}), ""); }

TEST(FormatJsonTest, OneObjectPerProxyWithFilesTimingsHeadersAndVerdict) {
  const std::string text = FormatJson(HitAndRateLimited());
  ASSERT_FALSE(text.empty());
  EXPECT_EQ(text.back(), '\n');
  const nlohmann::json out = nlohmann::json::parse(text);
  ASSERT_TRUE(out.is_array());
  ASSERT_EQ(out.size(), 2u);

  const nlohmann::json& a = out[0];
  EXPECT_EQ(a["proxy"], "http://a.test");
  EXPECT_EQ(a["module"], "example.com/m");
  EXPECT_EQ(a["requested"], "v1.0.0");
  EXPECT_EQ(a["version"], "v1.0.0");
  EXPECT_EQ(a["usable"], true);
  EXPECT_EQ(a["rate_limited"], false);
  EXPECT_EQ(a["verdict"], "ok");
  EXPECT_TRUE(a["detail"].is_null());
  const nlohmann::json& zip = a["files"]["zip"];
  EXPECT_EQ(zip["url"], "http://a.test/example.com/m/@v/v1.0.0.zip");
  EXPECT_EQ(zip["attempted"], true);
  EXPECT_EQ(zip["status"], 200);
  EXPECT_TRUE(zip["failure"].is_null());
  EXPECT_TRUE(zip["error"].is_null());
  EXPECT_TRUE(zip["problem"].is_null());
  EXPECT_EQ(zip["cache_hit"], true);
  EXPECT_EQ(zip["bytes"], 2048);
  EXPECT_DOUBLE_EQ(zip["bytes_per_second"].get<double>(), 1024000.0);
  EXPECT_EQ(zip["redirects"], 0);
  EXPECT_EQ(zip["headers"], nlohmann::json({{"x-go-proxy-cache-hit", "true"}}));
  const nlohmann::json& t = zip["timings_ms"];
  EXPECT_DOUBLE_EQ(t["dns"].get<double>(), 0.1);
  EXPECT_DOUBLE_EQ(t["connect"].get<double>(), 0.2);
  EXPECT_TRUE(t["tls"].is_null());
  EXPECT_DOUBLE_EQ(t["wait"].get<double>(), 0.6);
  EXPECT_DOUBLE_EQ(t["ttfb"].get<double>(), 1.0);
  EXPECT_DOUBLE_EQ(t["transfer"].get<double>(), 1.0);
  EXPECT_DOUBLE_EQ(t["total"].get<double>(), 2.0);
  EXPECT_FALSE(a["files"].contains("latest"));

  const nlohmann::json& b = out[1];
  EXPECT_EQ(b["proxy"], "http://***@b.test");
  EXPECT_EQ(b["usable"], false);
  EXPECT_EQ(b["rate_limited"], true);
  EXPECT_EQ(b["verdict"], "rate limited (429, Retry-After: 30)");
  EXPECT_EQ(b["detail"], ".info answered 429 Too Many Requests: slow down");
  EXPECT_EQ(b["files"]["info"]["status"], 429);
  EXPECT_EQ(b["files"]["info"]["problem"], ".info answered 429");
  EXPECT_EQ(b["files"]["info"]["headers"]["retry-after"], "30");
  EXPECT_TRUE(b["files"]["info"]["cache_hit"].is_null());
  const nlohmann::json& skipped = b["files"]["mod"];
  EXPECT_EQ(skipped["attempted"], false);
  EXPECT_EQ(skipped["url"], "http://***@b.test/example.com/m/@v/v1.0.0.mod");
  EXPECT_TRUE(skipped["status"].is_null());
  EXPECT_TRUE(skipped["timings_ms"].is_null());
  EXPECT_EQ(text.find("pw"), std::string::npos);
}

TEST(FormatJsonTest, ATransportFailureHasNoStatusAndNamesTheFailure) {
  FakeFetcher fetcher;
  fetcher.Set("http://a.test/example.com/m/@v/v1.0.0.info",
              testing::Failure(TransportFailure::kConnect, "Couldn't connect to server",
                               Milestones{50, 0, 0, 0, 0, 80}));
  const nlohmann::json out = nlohmann::json::parse(
      FormatJson({ProbeProxy(fetcher, *ParseProxyUrl("http://a.test"),
                             *ParseModuleTarget("example.com/m@v1.0.0"), kTimeout)}));
  const nlohmann::json& info = out[0]["files"]["info"];
  EXPECT_TRUE(info["status"].is_null());
  EXPECT_EQ(info["failure"], "connection failed");
  EXPECT_EQ(info["error"], "Couldn't connect to server");
  EXPECT_TRUE(info["bytes_per_second"].is_null());
  EXPECT_TRUE(info["timings_ms"]["connect"].is_null());
  EXPECT_DOUBLE_EQ(info["timings_ms"]["total"].get<double>(), 0.08);
  EXPECT_EQ(out[0]["verdict"], "unusable: connection failed");
}

TEST(FormatJsonTest, InvalidUtf8FromAProxyDoesNotBreakTheOutput) {
  FakeFetcher fetcher;
  fetcher.Set("http://a.test/example.com/m/@v/v1.0.0.info",
              Answer(500, "bad \xff byte", {{"content-type", "text/\xfe"}}));
  const std::string text =
      FormatJson({ProbeProxy(fetcher, *ParseProxyUrl("http://a.test"),
                             *ParseModuleTarget("example.com/m@v1.0.0"), kTimeout)});
  EXPECT_TRUE(nlohmann::json::accept(text)) << text;
}

}  // namespace
}  // namespace modproxy::probe
