#include "modproxy/probe/checks.h"

#include <string>

#include <gtest/gtest.h>

#include "modproxy/probe/fake_fetcher.h"

namespace modproxy::probe {
namespace {

using testing::Answer;
using testing::Failure;

TEST(PhasesTest, TurnsMilestonesIntoPerPhaseDurations) {
  // https: dns 12.1, connect 20.3, tls 35.0, request sent at 67.5, first byte
  // at 80.2, done at 80.9 (ms).
  Phases p = PhasesOf(Milestones{12100, 32400, 67400, 67500, 80200, 80900});
  EXPECT_DOUBLE_EQ(*p.dns, 12.1);
  EXPECT_DOUBLE_EQ(*p.connect, 20.3);
  EXPECT_DOUBLE_EQ(*p.tls, 35.0);
  EXPECT_DOUBLE_EQ(*p.wait, 12.7);
  EXPECT_DOUBLE_EQ(*p.ttfb, 80.2);
  EXPECT_DOUBLE_EQ(*p.transfer, 0.7);
  EXPECT_DOUBLE_EQ(*p.total, 80.9);
}

TEST(PhasesTest, NoTlsPhaseOnPlainHttp) {
  Phases p = PhasesOf(testing::LoopbackTimes());
  EXPECT_FALSE(p.tls);
  EXPECT_DOUBLE_EQ(*p.connect, 0.2);
  EXPECT_DOUBLE_EQ(*p.wait, 0.6);
}

TEST(PhasesTest, PhasesNotReachedAreAbsent) {
  // Connection refused: the name resolved, nothing else happened.
  Phases p = PhasesOf(Milestones{40, 0, 0, 0, 0, 120});
  EXPECT_DOUBLE_EQ(*p.dns, 0.04);
  EXPECT_FALSE(p.connect);
  EXPECT_FALSE(p.tls);
  EXPECT_FALSE(p.wait);
  EXPECT_FALSE(p.ttfb);
  EXPECT_FALSE(p.transfer);
  EXPECT_DOUBLE_EQ(*p.total, 0.12);
  EXPECT_FALSE(PhasesOf(Milestones{}).dns);
}

TEST(CacheHitTest, ReadsTheHeader) {
  EXPECT_EQ(CacheHit({{"x-go-proxy-cache-hit", "true"}}), true);
  EXPECT_EQ(CacheHit({{"x-go-proxy-cache-hit", "false"}}), false);
  EXPECT_EQ(CacheHit({{"x-go-proxy-cache-hit", "maybe"}}), std::nullopt);
  EXPECT_EQ(CacheHit({}), std::nullopt);
}

TEST(RateLimitTest, DescribesA429WithRetryAfter) {
  RateLimit r = RateLimitOf(429, {{"retry-after", "30"}});
  EXPECT_TRUE(r.too_many_requests);
  EXPECT_EQ(DescribeRateLimit(r), "429, Retry-After: 30");
}

TEST(RateLimitTest, PrefersXRateLimitHeadersAndFallsBackToTheDraftNames) {
  RateLimit r = RateLimitOf(200, {{"x-ratelimit-limit", "60"},
                                  {"x-ratelimit-remaining", "0"},
                                  {"ratelimit-remaining", "5"},
                                  {"ratelimit-reset", "12"}});
  EXPECT_FALSE(r.too_many_requests);
  EXPECT_EQ(DescribeRateLimit(r), "remaining 0/60, reset 12");
  EXPECT_EQ(DescribeRateLimit(RateLimitOf(200, {{"ratelimit-limit", "100"}})), "limit 100");
  EXPECT_FALSE(RateLimitOf(200, {{"content-type", "text/plain"}}).any());
  EXPECT_EQ(DescribeRateLimit(RateLimitOf(200, {})), "");
}

TEST(HeadersOfInterestTest, KeepsCacheRateLimitAndContentTypeHeaders) {
  auto h = HeadersOfInterest({{"x-go-proxy-cache-hit", "true"},
                              {"retry-after", "3"},
                              {"x-ratelimit-limit", "60"},
                              {"ratelimit-policy", "60;w=60"},
                              {"content-type", "application/json"},
                              {"server", "nginx"},
                              {"set-cookie", "session=secret"}});
  EXPECT_EQ(h.size(), 5u);
  EXPECT_EQ(h.count("server"), 0u);
  EXPECT_EQ(h.count("set-cookie"), 0u);
}

TEST(CheckAnswerTest, AcceptsGoodAnswers) {
  EXPECT_EQ(CheckAnswer(ProbeFile::kInfo, "example.com/m", "v1.0.0",
                        Answer(200, R"({"Version":"v1.0.0"})")),
            "");
  EXPECT_EQ(CheckAnswer(ProbeFile::kMod, "example.com/m", "v1.0.0",
                        Answer(200, "// comment\nmodule example.com/m\n")),
            "");
  EXPECT_EQ(CheckAnswer(ProbeFile::kZip, "example.com/m", "v1.0.0",
                        Answer(200, std::string("PK\x03\x04rest", 8))),
            "");
  EXPECT_EQ(CheckAnswer(ProbeFile::kZip, "example.com/m", "v1.0.0",
                        Answer(200, std::string("PK\x05\x06", 4) + std::string(18, '\0'))),
            "");
}

TEST(CheckAnswerTest, HtmlInsteadOfInfoIsNotJson) {
  const std::string problem = CheckAnswer(ProbeFile::kInfo, "example.com/m", "v1.0.0",
                                          Answer(200, "<!DOCTYPE html><html>Sign in</html>"));
  EXPECT_EQ(problem, ".info is not a JSON object");
}

TEST(CheckAnswerTest, InfoMustNameTheRequestedVersion) {
  EXPECT_NE(CheckAnswer(ProbeFile::kInfo, "example.com/m", "v1.0.0",
                        Answer(200, R"({"Version":"v1.0.1"})"))
                .find("v1.0.1"),
            std::string::npos);
  EXPECT_NE(CheckAnswer(ProbeFile::kInfo, "example.com/m", "v1.0.0", Answer(200, R"({})")), "");
}

TEST(CheckAnswerTest, ModWithoutModuleDirectiveAndZipWithoutMagicAreRejected) {
  EXPECT_NE(CheckAnswer(ProbeFile::kMod, "example.com/m", "v1.0.0", Answer(200, "<html>")), "");
  EXPECT_EQ(CheckAnswer(ProbeFile::kZip, "example.com/m", "v1.0.0", Answer(200, "<html>")),
            ".zip is not a zip file (no PK signature)");
  EXPECT_EQ(CheckAnswer(ProbeFile::kZip, "example.com/m", "v1.0.0", Answer(200, "")),
            ".zip is empty");
}

TEST(CheckAnswerTest, NonOkStatusesAndTransportFailures) {
  EXPECT_EQ(CheckAnswer(ProbeFile::kZip, "example.com/m", "v1.0.0", Answer(404, "not found")),
            ".zip answered 404");
  EXPECT_EQ(CheckAnswer(ProbeFile::kInfo, "example.com/m", "v1.0.0",
                        Failure(TransportFailure::kConnect, "Couldn't connect to server")),
            "connection failed");
}

TEST(LatestVersionTest, ReturnsTheVersionOrTheProblem) {
  EXPECT_EQ(*LatestVersion("example.com/m", Answer(200, R"({"Version":"v1.2.0"})")), "v1.2.0");
  EXPECT_FALSE(LatestVersion("example.com/m", Answer(200, R"({"Version":"master"})")));
  EXPECT_EQ(LatestVersion("example.com/m", Answer(404, "")).error().message,
            "@latest answered 404");
  EXPECT_EQ(CheckAnswer(ProbeFile::kLatest, "example.com/m", "", Answer(200, "[]")),
            ".info is not a JSON object");
}

FileReport Attempted(ProbeFile file, FetchResult result, std::string problem) {
  FileReport f;
  f.file = file;
  f.attempted = true;
  f.result = std::move(result);
  f.problem = std::move(problem);
  return f;
}

TEST(JudgeTest, UsableWhenEveryFileIs) {
  ProxyReport report;
  report.files.push_back(Attempted(ProbeFile::kInfo, Answer(200, "{}"), ""));
  report.files.push_back(Attempted(ProbeFile::kMod, Answer(200, "module m"), ""));
  Verdict v = Judge(report);
  EXPECT_TRUE(v.usable);
  EXPECT_EQ(v.summary, "ok");
  EXPECT_EQ(v.detail, "");
}

TEST(JudgeTest, A429IsRateLimitedWithItsRetryAfter) {
  ProxyReport report;
  report.files.push_back(Attempted(ProbeFile::kInfo, Answer(200, "{}"), ""));
  report.files.push_back(Attempted(ProbeFile::kMod,
                                   Answer(429, "slow down\nplease", {{"retry-after", "30"}}),
                                   ".mod answered 429"));
  Verdict v = Judge(report);
  EXPECT_FALSE(v.usable);
  EXPECT_TRUE(v.rate_limited);
  EXPECT_EQ(v.summary, "rate limited (429, Retry-After: 30)");
  EXPECT_EQ(v.detail, ".mod answered 429 Too Many Requests: slow down");
}

TEST(JudgeTest, TransportFailuresNameTheFailureAndKeepCurlsWords) {
  ProxyReport report;
  report.files.push_back(
      Attempted(ProbeFile::kInfo,
                Failure(TransportFailure::kConnect,
                        "Failed to connect to 127.0.0.1 port 9: Couldn't connect"),
                "connection failed"));
  Verdict v = Judge(report);
  EXPECT_FALSE(v.usable);
  EXPECT_EQ(v.summary, "unusable: connection failed");
  EXPECT_EQ(v.detail, ".info: Failed to connect to 127.0.0.1 port 9: Couldn't connect");
}

TEST(JudgeTest, TheFirstBadFileDecidesAndErrorBodiesAreQuoted) {
  ProxyReport report;
  report.files.push_back(
      Attempted(ProbeFile::kInfo, Answer(200, "<html>"), ".info is not a JSON object"));
  report.files.push_back(Attempted(ProbeFile::kZip, Answer(404, "gone"), ".zip answered 404"));
  EXPECT_EQ(Judge(report).summary, "unusable: .info is not a JSON object");
  EXPECT_EQ(Judge(report).detail, ".info is not a JSON object");
  report.files.erase(report.files.begin());
  EXPECT_EQ(Judge(report).summary, "unusable: .zip answered 404");
  EXPECT_EQ(Judge(report).detail, ".zip answered 404: gone");
}

TEST(JudgeTest, SkippedFilesDoNotCount) {
  ProxyReport report;
  FileReport skipped;
  skipped.problem = "ignored";
  report.files.push_back(skipped);
  EXPECT_TRUE(Judge(report).usable);
}

}  // namespace
}  // namespace modproxy::probe
