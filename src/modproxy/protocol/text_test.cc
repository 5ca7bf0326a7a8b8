#include "modproxy/protocol/text.h"

#include <string>

#include <gtest/gtest.h>

namespace modproxy::protocol::detail {
namespace {

std::string Encoded(char32_t r) {
  std::string out;
  AppendRune(out, r);
  return out;
}

TEST(AppendRuneTest, EncodesEachLengthAsUtf8) {
  EXPECT_EQ(Encoded(U'a'), "a");
  EXPECT_EQ(Encoded(U'\u00e9'), "\xc3\xa9");
  EXPECT_EQ(Encoded(U'\u20ac'), "\xe2\x82\xac");
  EXPECT_EQ(Encoded(U'\U0001F600'), "\xf0\x9f\x98\x80");
}

TEST(AppendRuneTest, WritesReplacementCharacterForSurrogatesAndOutOfRangeValues) {
  EXPECT_EQ(Encoded(0xD800), "\xef\xbf\xbd");
  EXPECT_EQ(Encoded(0xDFFF), "\xef\xbf\xbd");
  EXPECT_EQ(Encoded(0x110000), "\xef\xbf\xbd");
}

TEST(AppendRuneTest, RoundTripsThroughDecodeRune) {
  for (const char32_t r : {char32_t{0x7F}, char32_t{0x80}, char32_t{0x7FF}, char32_t{0x800},
                           char32_t{0xFFFF}, char32_t{0x10000}, char32_t{0x10FFFF}}) {
    const std::string s = Encoded(r);
    const DecodedRune decoded = DecodeRune(s);
    EXPECT_EQ(decoded.rune, r);
    EXPECT_EQ(decoded.size, s.size());
  }
}

}  // namespace
}  // namespace modproxy::protocol::detail
