#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <string_view>
#include <vector>

#include "modproxy/policy/clock.h"
#include "modproxy/policy/rate_limiter.h"

namespace modproxy::policy {

// Token buckets in this process's memory. A key never seen (or forgotten)
// has a full bucket; a bucket refills at `rate` tokens per second up to
// `burst`. Thread-safe: keys are spread over shards, each with its own mutex,
// so that requests of different clients rarely wait for each other.
//
// Memory is bounded: at most `max_clients` keys are tracked, and a key unused
// for longer than `idle_expiry` is forgotten (when its shard is next used).
// A new key in a full shard first pushes out keys that lose nothing by going
// (idle, or whose bucket has refilled to full: an absent key is a full
// bucket), else the least recently used key (which then starts full again
// when it comes back).
class MemoryRateLimiter final : public RateLimiter {
 public:
  static constexpr std::size_t kDefaultMaxClients = 100000;
  static constexpr std::chrono::seconds kDefaultIdleExpiry = std::chrono::minutes(10);

  // `clock` outlives the limiter. max_clients 0 counts as 1.
  explicit MemoryRateLimiter(const TimeSource& clock, std::size_t max_clients = kDefaultMaxClients,
                             std::chrono::seconds idle_expiry = kDefaultIdleExpiry);
  ~MemoryRateLimiter() override;
  MemoryRateLimiter(const MemoryRateLimiter&) = delete;
  MemoryRateLimiter& operator=(const MemoryRateLimiter&) = delete;

  // A budget with rate <= 0 always allows and tracks nothing. A burst <= 0
  // counts as max(1, ceil(rate)), as MakeBudget makes it. A cost above the
  // burst is never allowed.
  RateDecision Take(std::string_view key, const Budget& budget, double cost = 1) override;

  // The number of keys held now (never above max_clients).
  std::size_t tracked() const;

 private:
  struct Shard;

  Shard& ShardFor(std::string_view key);

  const TimeSource& clock_;
  const std::chrono::seconds idle_expiry_;
  std::vector<std::unique_ptr<Shard>> shards_;
};

}  // namespace modproxy::policy
