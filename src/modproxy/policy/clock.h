#pragma once

#include <chrono>

// Time as the rate limiter sees it: the steady clock in the server, a fake
// one in unit tests (refill is tested without sleeping).
namespace modproxy::policy {

using Clock = std::chrono::steady_clock;

class TimeSource {
 public:
  virtual ~TimeSource() = default;
  virtual Clock::time_point Now() const = 0;
};

class SteadyTimeSource final : public TimeSource {
 public:
  Clock::time_point Now() const override { return Clock::now(); }
};

class FakeTimeSource final : public TimeSource {
 public:
  Clock::time_point Now() const override { return now_; }
  void Advance(Clock::duration by) { now_ += by; }

 private:
  Clock::time_point now_{std::chrono::hours(1)};
};

}  // namespace modproxy::policy
