#include "modproxy/loadgen/compare_report.h"

#include <gtest/gtest.h>

#include "modproxy/loadgen/report.h"

namespace modproxy::loadgen {
namespace {

using nlohmann::ordered_json;

ordered_json RoundJson(const char* url, double rps, std::uint64_t ok, std::uint64_t not_found,
                       double p50, double p99) {
  RunStats stats;
  stats.url = url;
  stats.concurrency = 4;
  stats.duration_s = 1;
  stats.requests = ok + not_found;
  stats.status[200] = ok;
  stats.status[404] = not_found;
  ordered_json json = ReportJson(stats, false);
  json["requests_per_s"] = rps;
  json["bytes_per_s"] = rps * 100;
  json["latency_ms"]["p50"] = p50;
  json["latency_ms"]["p99"] = p99;
  return json;
}

TEST(CompareReportTest, MedianOfEachNumberAcrossRounds) {
  const ordered_json median = MedianReport({RoundJson("http://a", 100, 10, 0, 1.0, 9.0),
                                            RoundJson("http://a", 300, 30, 2, 3.0, 5.0),
                                            RoundJson("http://a", 200, 20, 0, 2.0, 7.0)});
  EXPECT_EQ(median["url"], "http://a");
  EXPECT_EQ(median["requests_per_s"], 200.0);
  EXPECT_EQ(median["latency_ms"]["p50"], 2.0);
  EXPECT_EQ(median["latency_ms"]["p99"], 7.0);
  EXPECT_EQ(median["status"]["200"], 20);
  EXPECT_TRUE(median["status"]["200"].is_number_integer());
  EXPECT_EQ(median["status"]["404"], 0);  // missing from two rounds: counts as 0 there
  EXPECT_EQ(median["concurrency"], 4);
}

TEST(CompareReportTest, EvenRoundCountAveragesTheMiddlePair) {
  const ordered_json median = MedianReport(
      {RoundJson("http://a", 100, 1, 0, 1, 1), RoundJson("http://a", 200, 2, 0, 2, 2)});
  EXPECT_EQ(median["requests_per_s"], 150.0);
  EXPECT_EQ(median["status"]["200"], 2);  // counts stay integers
  EXPECT_TRUE(median["status"]["200"].is_number_integer());
}

TEST(CompareReportTest, RatiosAreBOverAOfTheMedians) {
  const std::vector<ordered_json> a = {RoundJson("http://a", 100, 1, 0, 2.0, 10.0),
                                       RoundJson("http://a", 120, 1, 0, 2.0, 10.0),
                                       RoundJson("http://a", 110, 1, 0, 2.0, 10.0)};
  const std::vector<ordered_json> b = {RoundJson("http://b", 220, 1, 0, 1.0, 20.0),
                                       RoundJson("http://b", 200, 1, 0, 1.0, 20.0),
                                       RoundJson("http://b", 230, 1, 0, 1.0, 20.0)};
  const ordered_json compare = CompareJson(a, b);
  EXPECT_EQ(compare["rounds"].size(), 3u);
  EXPECT_EQ(compare["rounds"][1]["b"]["requests_per_s"], 200.0);
  EXPECT_EQ(compare["a"]["url"], "http://a");
  EXPECT_EQ(compare["b"]["url"], "http://b");
  EXPECT_EQ(compare["ratios"]["requests_per_s"], 2.0);
  EXPECT_EQ(compare["ratios"]["bytes_per_s"], 2.0);
  EXPECT_EQ(compare["ratios"]["p50"], 0.5);
  EXPECT_EQ(compare["ratios"]["p99"], 2.0);
  const std::string text = CompareText(compare);
  EXPECT_NE(text.find("requests/s"), std::string::npos) << text;
  EXPECT_NE(text.find("2.00"), std::string::npos) << text;
  EXPECT_NE(CompareRoundLine(1, 3, 'B', b[0]).find("round 1/3 B"), std::string::npos);
}

TEST(CompareReportTest, RatioWithZeroBaseIsNull) {
  const ordered_json compare =
      CompareJson({RoundJson("http://a", 0, 0, 0, 0, 0)}, {RoundJson("http://b", 10, 1, 0, 1, 1)});
  EXPECT_TRUE(compare["ratios"]["requests_per_s"].is_null());
  EXPECT_NE(CompareText(compare).find(" -"), std::string::npos);
}

}  // namespace
}  // namespace modproxy::loadgen
