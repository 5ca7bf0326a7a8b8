#include "modproxy/http/connection_limiter.h"

#include <gtest/gtest.h>

namespace modproxy::http {
namespace {

TEST(ConnectionLimiterTest, CapsEachAddressAndGivesPlacesBack) {
  ConnectionLimiter limiter(2);
  std::optional<ConnectionLimiter::Place> a = limiter.TryAdd("10.0.0.1");
  std::optional<ConnectionLimiter::Place> b = limiter.TryAdd("10.0.0.1");
  ASSERT_TRUE(a && b);
  EXPECT_FALSE(limiter.TryAdd("10.0.0.1")) << "a third connection from the same address";
  EXPECT_TRUE(limiter.TryAdd("10.0.0.2")) << "other addresses are not affected";
  a.reset();
  std::optional<ConnectionLimiter::Place> c = limiter.TryAdd("10.0.0.1");
  EXPECT_TRUE(c) << "a closed connection gives its place back";
  // A moved-from place gives nothing back twice.
  ConnectionLimiter::Place moved = std::move(*c);
  c.reset();
  EXPECT_FALSE(limiter.TryAdd("10.0.0.1"));
}

TEST(ConnectionLimiterTest, ZeroIsUnlimited) {
  ConnectionLimiter limiter(0);
  std::vector<ConnectionLimiter::Place> places;
  for (int i = 0; i < 1000; ++i) {
    std::optional<ConnectionLimiter::Place> place = limiter.TryAdd("10.0.0.1");
    ASSERT_TRUE(place);
    places.push_back(std::move(*place));
  }
}

}  // namespace
}  // namespace modproxy::http
