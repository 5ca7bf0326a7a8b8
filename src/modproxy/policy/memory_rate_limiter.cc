#include "modproxy/policy/memory_rate_limiter.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <iterator>
#include <list>
#include <mutex>
#include <string>
#include <unordered_map>

namespace modproxy::policy {
namespace {

constexpr std::size_t kMaxShards = 16;
// Small limits get fewer shards, so that each shard keeps a useful number of keys.
constexpr std::size_t kMinKeysPerShard = 64;
// Floating-point slack: a bucket refilled to 0.9999999999 tokens holds one.
constexpr double kEpsilon = 1e-9;
// The longest wait reported: a tiny rate must not overflow the milliseconds.
constexpr double kMaxWaitSeconds = 1e9;

// The time `missing` tokens take to come, rounded up to a millisecond (at
// least one). A picosecond of slack keeps a float error from adding one: 1 -
// 0.9995 tokens at 0.5 per second is 1 ms, not 1.0000000000001 ms.
std::chrono::milliseconds WaitFor(double missing, double rate) {
  if (!(missing > kEpsilon)) return std::chrono::milliseconds(0);
  const double ms = std::min(missing / rate, kMaxWaitSeconds) * 1000;
  return std::chrono::milliseconds(std::max<std::int64_t>(1, std::llround(std::ceil(ms - 1e-9))));
}

struct Bucket {
  std::string key;
  double tokens = 0;
  Clock::time_point updated;  // when `tokens` was counted: the key's last use
  double rate = 0;            // the budget of the last use (sweeps need it)
  double burst = 0;

  double TokensAt(Clock::time_point now) const {
    const double elapsed = std::chrono::duration<double>(now - updated).count();
    return std::min(burst, tokens + rate * std::max(0.0, elapsed));
  }
};

}  // namespace

// One part of the keys, behind its own mutex. Buckets are kept most recently
// used first; the index's keys point into the list's nodes, which never move.
struct alignas(64) MemoryRateLimiter::Shard {
  using Order = std::list<Bucket>;

  // The bucket of `key`, now the most recently used; a new key gets a full one.
  Bucket& Use(std::string_view key, double burst, Clock::time_point now,
              std::chrono::seconds idle_expiry) {
    // Idle keys go even without pressure, so that memory shrinks back to the
    // active clients after a burst of new ones. Only the tail is looked at:
    // the least recently used is the longest idle.
    while (!order.empty() && now - order.back().updated > idle_expiry) {
      Erase(std::prev(order.end()));
    }
    if (auto it = index.find(key); it != index.end()) {
      order.splice(order.begin(), order, it->second);
      return *it->second;
    }
    if (index.size() >= capacity) MakeRoom(now, idle_expiry);
    order.push_front(Bucket{std::string(key), burst, now, 0, burst});
    index.emplace(order.front().key, order.begin());
    return order.front();
  }

  // Forgetting such a bucket changes nothing: an absent key is a full bucket.
  static bool Lossless(const Bucket& b, Clock::time_point now, std::chrono::seconds idle_expiry) {
    return now - b.updated > idle_expiry || b.TokensAt(now) >= b.burst - kEpsilon;
  }

  // Frees one place at least. The least recently used buckets are the likeliest
  // to be lossless; a sweep of the whole shard finds the others, but runs only
  // after capacity/4 lossy evictions, so that a flood of new keys costs O(1)
  // per key on average.
  void MakeRoom(Clock::time_point now, std::chrono::seconds idle_expiry) {
    while (!order.empty() && index.size() >= capacity && Lossless(order.back(), now, idle_expiry)) {
      Erase(std::prev(order.end()));
    }
    if (index.size() < capacity) return;
    if (lossy_evictions >= capacity / 4) {
      lossy_evictions = 0;
      for (auto it = order.begin(); it != order.end();) {
        auto next = std::next(it);
        if (Lossless(*it, now, idle_expiry)) Erase(it);
        it = next;
      }
      if (index.size() < capacity) return;
    }
    Erase(std::prev(order.end()));
    ++lossy_evictions;
  }

  void Erase(Order::iterator it) {
    index.erase(std::string_view(it->key));
    order.erase(it);
  }

  std::mutex mu;
  Order order;                                                  // guarded by mu
  std::unordered_map<std::string_view, Order::iterator> index;  // guarded by mu
  std::size_t capacity = 1;
  std::size_t lossy_evictions = 0;  // since the last sweep; guarded by mu
};

MemoryRateLimiter::MemoryRateLimiter(const TimeSource& clock, std::size_t max_clients,
                                     std::chrono::seconds idle_expiry)
    : clock_(clock), idle_expiry_(idle_expiry) {
  max_clients = std::max<std::size_t>(max_clients, 1);
  const std::size_t count = std::clamp<std::size_t>(max_clients / kMinKeysPerShard, 1, kMaxShards);
  for (std::size_t i = 0; i < count; ++i) {
    auto shard = std::make_unique<Shard>();
    shard->capacity = max_clients / count;
    shard->lossy_evictions = shard->capacity / 4;  // the first full shard may sweep
    shards_.push_back(std::move(shard));
  }
}

MemoryRateLimiter::~MemoryRateLimiter() = default;

MemoryRateLimiter::Shard& MemoryRateLimiter::ShardFor(std::string_view key) {
  return *shards_[std::hash<std::string_view>{}(key) % shards_.size()];
}

RateDecision MemoryRateLimiter::Take(std::string_view key, const Budget& budget, double cost) {
  if (budget.unlimited()) return {};
  const double rate = budget.rate;
  const double burst = budget.burst > 0 ? budget.burst : std::max(1.0, std::ceil(rate));
  const Clock::time_point now = clock_.Now();

  RateDecision decision;
  decision.limit = burst;
  Shard& shard = ShardFor(key);
  {
    std::lock_guard lock(shard.mu);
    Bucket& bucket = shard.Use(key, burst, now, idle_expiry_);
    bucket.rate = rate;
    bucket.burst = burst;
    bucket.tokens = bucket.TokensAt(now);
    bucket.updated = now;
    if (bucket.tokens + kEpsilon >= cost) {
      bucket.tokens = std::max(0.0, bucket.tokens - cost);
    } else {
      decision.allowed = false;
    }
    decision.remaining = bucket.tokens;
  }
  if (!decision.allowed) decision.retry_after = WaitFor(cost - decision.remaining, rate);
  decision.reset = WaitFor(burst - decision.remaining, rate);
  return decision;
}

std::size_t MemoryRateLimiter::tracked() const {
  std::size_t total = 0;
  for (const std::unique_ptr<Shard>& shard : shards_) {
    std::lock_guard lock(shard->mu);
    total += shard->index.size();
  }
  return total;
}

}  // namespace modproxy::policy
