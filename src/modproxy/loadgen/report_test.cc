#include "modproxy/loadgen/report.h"

#include <gtest/gtest.h>

namespace modproxy::loadgen {
namespace {

RunStats SampleStats() {
  RunStats stats;
  stats.url = "http://127.0.0.1:8080";
  stats.concurrency = 8;
  stats.paths = 3;
  stats.idle_requested = 10;
  stats.idle_established = 10;
  stats.idle_open_at_end = 9;
  stats.duration_s = 2.0;
  stats.requests = 4;
  stats.requests_2xx = 3;
  stats.status[200] = 3;
  stats.status[404] = 1;
  stats.errors.reset = 2;
  stats.body_bytes = 1000;
  for (std::uint64_t ns : {1000000ULL, 2000000ULL, 3000000ULL, 4000000ULL}) {
    stats.latency.Record(ns);
    stats.ttfb.Record(ns / 2);
  }
  stats.client_cpu_percent = 42.25;
  return stats;
}

TEST(ReportJsonTest, HasEveryContractKeyWithNumbers) {
  const nlohmann::ordered_json json = ReportJson(SampleStats(), false);
  EXPECT_EQ(json["tool"], "modproxy bench");
  EXPECT_EQ(json["url"], "http://127.0.0.1:8080");
  for (const char* key : {"concurrency", "idle_connections", "idle_open_at_end", "duration_s",
                          "requests", "requests_per_s", "bytes", "bytes_per_s",
                          "client_cpu_percent", "client_busy_poll_percent"}) {
    ASSERT_TRUE(json.contains(key)) << key;
    EXPECT_TRUE(json[key].is_number()) << key;
  }
  EXPECT_EQ(json["concurrency"], 8);
  EXPECT_EQ(json["idle_connections"], 10);
  EXPECT_EQ(json["idle_open_at_end"], 9);
  EXPECT_EQ(json["requests"], 4);
  EXPECT_EQ(json["requests_per_s"], 2.0);
  EXPECT_EQ(json["bytes"], 1000);
  EXPECT_EQ(json["bytes_per_s"], 500.0);
  EXPECT_EQ(json["client_cpu_percent"], 42.3);
  EXPECT_EQ(json["status"], (nlohmann::ordered_json{{"200", 3}, {"404", 1}}));
  EXPECT_EQ(
      json["transport_errors"],
      (nlohmann::ordered_json{{"connect", 0}, {"reset", 2}, {"timeout", 0}, {"malformed", 0}}));
  for (const char* object : {"latency_ms", "ttfb_ms"}) {
    for (const char* key : {"mean", "p50", "p90", "p95", "p99", "max"}) {
      ASSERT_TRUE(json[object].contains(key)) << object << "." << key;
      EXPECT_TRUE(json[object][key].is_number()) << object << "." << key;
    }
  }
  EXPECT_EQ(json["latency_ms"]["mean"], 2.5);
  EXPECT_EQ(json["latency_ms"]["max"], 4.0);
  EXPECT_NEAR(json["latency_ms"]["p50"].get<double>(), 2.0, 0.02);
  EXPECT_EQ(json["ttfb_ms"]["max"], 2.0);
  EXPECT_FALSE(json.contains("unanswered"));
  EXPECT_TRUE(ReportJson(SampleStats(), true).contains("unanswered"));
}

TEST(ReportJsonTest, EmptyRunHasZeroesNotNaN) {
  RunStats stats;
  const nlohmann::ordered_json json = ReportJson(stats, false);
  EXPECT_EQ(json["requests_per_s"], 0.0);
  EXPECT_EQ(json["latency_ms"]["p99"], 0.0);
  EXPECT_TRUE(json["status"].is_object());
  EXPECT_NE(json.dump().find("\"status\":{}"), std::string::npos);
}

TEST(ReportTextTest, SummarisesAndWarnsAboutABusyClient) {
  RunStats stats = SampleStats();
  std::string text = ReportText(stats);
  EXPECT_NE(text.find("200: 3, 404: 1"), std::string::npos) << text;
  EXPECT_NE(text.find("reset 2"), std::string::npos) << text;
  EXPECT_NE(text.find("9 still open"), std::string::npos) << text;
  EXPECT_EQ(text.find("warning"), std::string::npos) << text;
  stats.client_cpu_percent = 97;
  text = ReportText(stats);
  EXPECT_NE(text.find("warning: modproxy bench used 97%"), std::string::npos) << text;
}

TEST(ReportTextTest, FormatsUnits) {
  EXPECT_EQ(FormatBytes(512), "512 B");
  EXPECT_EQ(FormatBytes(1536), "1.50 KiB");
  EXPECT_EQ(FormatBytes(3 * 1024.0 * 1024), "3.00 MiB");
  EXPECT_EQ(FormatLatency(1234567), "1.235ms");
  EXPECT_EQ(FormatLatency(2.5e9), "2.50s");
  Progress progress{3.0, 1200, 400.4, 1, 2};
  EXPECT_EQ(ProgressLine(progress),
            "    3s  requests 1200  req/s 400  non-2xx 1  transport errors 2");
}

}  // namespace
}  // namespace modproxy::loadgen
