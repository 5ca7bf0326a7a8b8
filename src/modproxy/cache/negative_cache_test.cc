#include "modproxy/cache/negative_cache.h"

#include <gtest/gtest.h>

namespace modproxy::cache {
namespace {

using namespace std::chrono_literals;

struct FakeClock {
  std::chrono::steady_clock::time_point now{};
  NegativeCache::Clock fn() {
    return [this] { return now; };
  }
};

TEST(NegativeCacheTest, RemembersUntilTtlPasses) {
  FakeClock clock;
  NegativeCache cache(30s, clock.fn());
  cache.Remember("k", MakeError(ErrorCode::kGone, "gone"));
  clock.now += 29s;
  ASSERT_TRUE(cache.Find("k").has_value());
  EXPECT_EQ(cache.Find("k")->code, ErrorCode::kGone);
  clock.now += 2s;
  EXPECT_FALSE(cache.Find("k").has_value());
}

TEST(NegativeCacheTest, ZeroTtlDisablesIt) {
  FakeClock clock;
  NegativeCache cache(0s, clock.fn());
  cache.Remember("k", MakeError(ErrorCode::kNotFound, "nf"));
  EXPECT_FALSE(cache.Find("k").has_value());
}

TEST(NegativeCacheTest, StaysBounded) {
  FakeClock clock;
  NegativeCache cache(30s, clock.fn(), /*max_entries=*/10);
  for (int i = 0; i < 25; ++i)
    cache.Remember("k" + std::to_string(i), MakeError(ErrorCode::kNotFound, ""));
  int remembered = 0;
  for (int i = 0; i < 25; ++i) remembered += cache.Find("k" + std::to_string(i)).has_value();
  EXPECT_LE(remembered, 10);
  EXPECT_TRUE(cache.Find("k24").has_value());
}

}  // namespace
}  // namespace modproxy::cache
