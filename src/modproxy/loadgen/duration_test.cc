#include "modproxy/loadgen/duration.h"

#include <gtest/gtest.h>

namespace modproxy::loadgen {
namespace {

using std::chrono::milliseconds;

TEST(BenchDurationTest, AcceptsGoStyleDurations) {
  const std::pair<const char*, milliseconds> cases[] = {
      {"500ms", milliseconds(500)},   {"10s", milliseconds(10000)}, {"1m", milliseconds(60000)},
      {"1m30s", milliseconds(90000)}, {"1.5s", milliseconds(1500)}, {"2h", milliseconds(7200000)},
      {"3", milliseconds(3000)},
  };
  for (const auto& [text, want] : cases) {
    Result<milliseconds> got = ParseBenchDuration("--duration", text);
    ASSERT_TRUE(got.has_value()) << text << ": " << got.error().message;
    EXPECT_EQ(*got, want) << text;
  }
}

TEST(BenchDurationTest, RejectsBadValuesNamingFlagAndValue) {
  for (const char* text : {"", "10x", "s", "-1s", "ten", "0s", "0", "25h", "1m30"}) {
    Result<milliseconds> got = ParseBenchDuration("--duration", text);
    ASSERT_FALSE(got.has_value()) << text;
    EXPECT_NE(got.error().message.find("--duration \"" + std::string(text) + "\""),
              std::string::npos)
        << got.error().message;
    EXPECT_EQ(got.error().message.find('\n'), std::string::npos);
  }
}

TEST(BenchDurationTest, FormatsForPeople) {
  EXPECT_EQ(FormatDuration(milliseconds(250)), "250ms");
  EXPECT_EQ(FormatDuration(milliseconds(1500)), "1.50s");
  EXPECT_EQ(FormatDuration(milliseconds(125000)), "2m05.00s");
}

}  // namespace
}  // namespace modproxy::loadgen
