#pragma once

#include <chrono>
#include <string_view>

// Token buckets keyed by client (identity name or IP). Behind an interface so
// that a limit shared by several replicas (Redis) can replace the in-process
// one without touching the callers.
namespace modproxy::policy {

// One bucket's shape. rate 0 means unlimited (Take always allows and the
// caller sends no X-RateLimit-* headers).
struct Budget {
  double rate = 0;   // tokens added per second
  double burst = 0;  // bucket size; a new or long-idle client starts full

  bool unlimited() const { return rate <= 0; }
};

struct RateDecision {
  bool allowed = true;
  double limit = 0;      // the burst (X-RateLimit-Limit)
  double remaining = 0;  // tokens left after this request (X-RateLimit-Remaining, floored)
  std::chrono::milliseconds reset{0};        // until the bucket is full again
  std::chrono::milliseconds retry_after{0};  // refused: until `cost` tokens are there
};

class RateLimiter {
 public:
  virtual ~RateLimiter() = default;
  // Takes `cost` tokens from the bucket `key` (of shape `budget`) when it
  // holds them; otherwise takes nothing and refuses. Thread-safe.
  virtual RateDecision Take(std::string_view key, const Budget& budget, double cost = 1) = 0;
};

}  // namespace modproxy::policy
