#include "modproxy/http/access_log.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace modproxy::http {
namespace {

using namespace std::chrono_literals;

nlohmann::json Parse(const std::string& line) {
  EXPECT_FALSE(line.empty());
  EXPECT_EQ(line.back(), '\n');
  EXPECT_EQ(line.find('\n'), line.size() - 1) << "one line only";
  return nlohmann::json::parse(line);
}

TEST(AccessLogTest, LineIsOneJsonObjectWithEveryField) {
  std::string out;
  AccessRecord record{"127.0.0.1:5000", "GET",     "/example.com/m/@v/list", 200, 42, 1500us, true,
                      "alice",          "10.1.2.3"};
  AppendAccessLine(out, record, "2026-11-26T21:18:26.123Z");
  nlohmann::json line = Parse(out);
  EXPECT_EQ(line["time"], "2026-11-26T21:18:26.123Z");
  EXPECT_EQ(line["remote"], "127.0.0.1:5000");
  EXPECT_EQ(line["method"], "GET");
  EXPECT_EQ(line["path"], "/example.com/m/@v/list");
  EXPECT_EQ(line["status"], 200);
  EXPECT_EQ(line["bytes"], 42);
  EXPECT_DOUBLE_EQ(line["duration_ms"].get<double>(), 1.5);
  EXPECT_EQ(line["cache_hit"], true);
  EXPECT_EQ(line["identity"], "alice");
  EXPECT_EQ(line["client"], "10.1.2.3");
}

TEST(AccessLogTest, HostileTargetsStillGiveValidJson) {
  std::string out;
  const std::string path = std::string("/a\"b\\c\x01\x1f") + "\xff\xc3\x28" + "\xe2\x82\xac" +
                           "\xed\xa0\x80" + "\xf0\x9f\x98\x80" + "\xc3";
  AccessRecord record{"", "GET", path, 400, 0, 0s, false, "", ""};
  AppendAccessLine(out, record, "t");
  nlohmann::json line = Parse(out);
  // Quotes, backslashes and controls escaped; invalid bytes (a lone 0xff, a
  // broken pair, an encoded surrogate, a truncated tail) become U+FFFD; valid
  // multi-byte characters are kept.
  EXPECT_EQ(line["path"].get<std::string>(),
            "/a\"b\\c\x01\x1f"
            "\xef\xbf\xbd\xef\xbf\xbd("
            "\xe2\x82\xac"
            "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"
            "\xf0\x9f\x98\x80"
            "\xef\xbf\xbd");
}

TEST(AccessLogTest, TimeIsRfc3339WithMilliseconds) {
  const std::string time(AccessLogTime());
  ASSERT_EQ(time.size(), 24u) << time;
  EXPECT_EQ(time[4], '-');
  EXPECT_EQ(time[10], 'T');
  EXPECT_EQ(time[19], '.');
  EXPECT_EQ(time.back(), 'Z');
}

}  // namespace
}  // namespace modproxy::http
