#include "modproxy/policy/memory_rate_limiter.h"

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "modproxy/policy/clock.h"

namespace modproxy::policy {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

class MemoryRateLimiterTest : public ::testing::Test {
 protected:
  FakeTimeSource clock_;
};

TEST_F(MemoryRateLimiterTest, BurstThenRefusal) {
  MemoryRateLimiter limiter(clock_);
  const Budget budget{1, 3};
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(limiter.Take("a", budget).allowed) << i;
  RateDecision refused = limiter.Take("a", budget);
  EXPECT_FALSE(refused.allowed);
  EXPECT_EQ(refused.limit, 3);
  EXPECT_EQ(refused.remaining, 0);
  EXPECT_EQ(refused.retry_after, seconds(1));
  EXPECT_EQ(refused.reset, seconds(3));
  // A refusal takes nothing: still refused, with the same wait.
  EXPECT_EQ(limiter.Take("a", budget).retry_after, seconds(1));
}

TEST_F(MemoryRateLimiterTest, DecisionValues) {
  MemoryRateLimiter limiter(clock_);
  const Budget budget{2, 4};
  RateDecision first = limiter.Take("a", budget);
  EXPECT_TRUE(first.allowed);
  EXPECT_EQ(first.limit, 4);
  EXPECT_EQ(first.remaining, 3);
  EXPECT_EQ(first.reset, milliseconds(500));
  EXPECT_EQ(first.retry_after, milliseconds(0));
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(limiter.Take("a", budget).allowed);
  clock_.Advance(milliseconds(100));  // 0.2 tokens
  RateDecision refused = limiter.Take("a", budget);
  EXPECT_FALSE(refused.allowed);
  EXPECT_NEAR(refused.remaining, 0.2, 1e-9);
  EXPECT_EQ(refused.retry_after, milliseconds(400));
  EXPECT_EQ(refused.reset, milliseconds(1900));
}

TEST_F(MemoryRateLimiterTest, RetryAfterRoundsUpToMilliseconds) {
  MemoryRateLimiter limiter(clock_);
  const Budget budget{3, 1};  // one token every 333.33 ms
  ASSERT_TRUE(limiter.Take("a", budget).allowed);
  RateDecision refused = limiter.Take("a", budget);
  EXPECT_FALSE(refused.allowed);
  EXPECT_EQ(refused.retry_after, milliseconds(334));
  clock_.Advance(milliseconds(333));
  EXPECT_FALSE(limiter.Take("a", budget).allowed);
  clock_.Advance(milliseconds(1));
  EXPECT_TRUE(limiter.Take("a", budget).allowed);
}

TEST_F(MemoryRateLimiterTest, RefillsAtTheRateUpToTheBurst) {
  MemoryRateLimiter limiter(clock_);
  const Budget budget{10, 5};
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(limiter.Take("a", budget).allowed);
  EXPECT_FALSE(limiter.Take("a", budget).allowed);
  clock_.Advance(milliseconds(200));  // 2 tokens
  EXPECT_TRUE(limiter.Take("a", budget).allowed);
  EXPECT_TRUE(limiter.Take("a", budget).allowed);
  EXPECT_FALSE(limiter.Take("a", budget).allowed);
  clock_.Advance(seconds(60));  // capped at 5, not 600
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(limiter.Take("a", budget).allowed) << i;
  EXPECT_FALSE(limiter.Take("a", budget).allowed);
}

TEST_F(MemoryRateLimiterTest, FractionalRate) {
  MemoryRateLimiter limiter(clock_);
  const Budget budget{0.5, 1};  // one request every two seconds
  ASSERT_TRUE(limiter.Take("a", budget).allowed);
  RateDecision refused = limiter.Take("a", budget);
  EXPECT_FALSE(refused.allowed);
  EXPECT_EQ(refused.retry_after, seconds(2));
  EXPECT_EQ(refused.reset, seconds(2));
  clock_.Advance(milliseconds(1999));
  EXPECT_FALSE(limiter.Take("a", budget).allowed);
  EXPECT_EQ(limiter.Take("a", budget).retry_after, milliseconds(1));
  clock_.Advance(milliseconds(1));
  EXPECT_TRUE(limiter.Take("a", budget).allowed);
  // Twenty refills of 0.05 tokens add up to one, float errors or not.
  for (int i = 0; i < 19; ++i) {
    clock_.Advance(milliseconds(100));
    ASSERT_FALSE(limiter.Take("a", budget).allowed) << i;
  }
  clock_.Advance(milliseconds(100));
  EXPECT_TRUE(limiter.Take("a", budget).allowed);
  EXPECT_FALSE(limiter.Take("a", budget).allowed);
}

TEST_F(MemoryRateLimiterTest, ZeroBurstMeansCeilingOfTheRate) {
  MemoryRateLimiter limiter(clock_);
  const Budget budget{2.5, 0};
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(limiter.Take("a", budget).allowed) << i;
  RateDecision refused = limiter.Take("a", budget);
  EXPECT_FALSE(refused.allowed);
  EXPECT_EQ(refused.limit, 3);
}

TEST_F(MemoryRateLimiterTest, UnlimitedTracksNothing) {
  MemoryRateLimiter limiter(clock_);
  for (int i = 0; i < 1000; ++i) {
    RateDecision d = limiter.Take("a", Budget{});
    ASSERT_TRUE(d.allowed);
  }
  EXPECT_TRUE(limiter.Take("b", Budget{-1, 5}).allowed);
  EXPECT_EQ(limiter.tracked(), 0u);
}

TEST_F(MemoryRateLimiterTest, CostAboveOne) {
  MemoryRateLimiter limiter(clock_);
  const Budget budget{1, 5};
  RateDecision first = limiter.Take("a", budget, 3);
  EXPECT_TRUE(first.allowed);
  EXPECT_EQ(first.remaining, 2);
  RateDecision refused = limiter.Take("a", budget, 3);
  EXPECT_FALSE(refused.allowed);
  EXPECT_EQ(refused.remaining, 2);  // nothing taken
  EXPECT_EQ(refused.retry_after, seconds(1));
  EXPECT_TRUE(limiter.Take("a", budget, 2).allowed);   // a smaller cost still fits
  EXPECT_FALSE(limiter.Take("a", budget, 6).allowed);  // above the burst: never
  clock_.Advance(seconds(3));
  EXPECT_TRUE(limiter.Take("a", budget, 3).allowed);
}

TEST_F(MemoryRateLimiterTest, KeysAreIndependent) {
  MemoryRateLimiter limiter(clock_);
  const Budget budget{1, 1};
  EXPECT_TRUE(limiter.Take("ip:10.0.0.1", budget).allowed);
  EXPECT_FALSE(limiter.Take("ip:10.0.0.1", budget).allowed);
  EXPECT_TRUE(limiter.Take("ip:10.0.0.2", budget).allowed);
  EXPECT_TRUE(limiter.Take("id:alice", budget).allowed);
  EXPECT_FALSE(limiter.Take("ip:10.0.0.2", budget).allowed);
  EXPECT_EQ(limiter.tracked(), 3u);
}

TEST_F(MemoryRateLimiterTest, TrackedNeverExceedsTheMaximum) {
  for (std::size_t max : {1u, 3u, 100u, 1000u, 5000u}) {
    MemoryRateLimiter limiter(clock_, max);
    for (std::size_t i = 0; i < 3 * max + 10; ++i) {
      ASSERT_TRUE(limiter.Take("ip:" + std::to_string(i), Budget{1, 2}).allowed);
      ASSERT_LE(limiter.tracked(), max) << "max " << max << " after " << i;
    }
    EXPECT_GT(limiter.tracked(), 0u);
  }
}

TEST_F(MemoryRateLimiterTest, EvictsTheLeastRecentlyUsed) {
  MemoryRateLimiter limiter(clock_, 3);
  const Budget budget{0.001, 1};  // nothing refills within the test
  ASSERT_TRUE(limiter.Take("a", budget).allowed);
  ASSERT_TRUE(limiter.Take("b", budget).allowed);
  ASSERT_TRUE(limiter.Take("c", budget).allowed);
  EXPECT_FALSE(limiter.Take("a", budget).allowed);  // a is now the most recent
  ASSERT_TRUE(limiter.Take("d", budget).allowed);   // pushes out b
  EXPECT_EQ(limiter.tracked(), 3u);
  EXPECT_FALSE(limiter.Take("a", budget).allowed);
  EXPECT_FALSE(limiter.Take("c", budget).allowed);
  EXPECT_FALSE(limiter.Take("d", budget).allowed);
  EXPECT_TRUE(limiter.Take("b", budget).allowed);  // forgotten: a full bucket again
}

TEST_F(MemoryRateLimiterTest, FullBucketsGoBeforeTheLeastRecentlyUsed) {
  MemoryRateLimiter limiter(clock_, 3);
  const Budget slow{0.001, 1};
  const Budget fast{1000, 1};
  ASSERT_TRUE(limiter.Take("slow1", slow).allowed);
  ASSERT_TRUE(limiter.Take("fast", fast).allowed);
  ASSERT_TRUE(limiter.Take("slow2", slow).allowed);
  clock_.Advance(milliseconds(10));  // "fast" is full again; the slow ones are not
  ASSERT_TRUE(limiter.Take("new", slow).allowed);
  EXPECT_EQ(limiter.tracked(), 3u);
  // slow1, the least recently used, was kept: dropping "fast" lost nothing.
  EXPECT_FALSE(limiter.Take("slow1", slow).allowed);
  EXPECT_FALSE(limiter.Take("slow2", slow).allowed);
}

TEST_F(MemoryRateLimiterTest, IdleKeysAreForgotten) {
  MemoryRateLimiter limiter(clock_, 10, seconds(60));  // one shard: every Take looks
  const Budget budget{0.001, 1};                       // would take 1000 s to refill
  ASSERT_TRUE(limiter.Take("idle", budget).allowed);
  clock_.Advance(seconds(50));
  ASSERT_TRUE(limiter.Take("recent", budget).allowed);
  clock_.Advance(seconds(10));  // "idle" unused for exactly 60 s: kept
  EXPECT_FALSE(limiter.Take("recent", budget).allowed);
  EXPECT_EQ(limiter.tracked(), 2u);
  clock_.Advance(seconds(1));  // 61 s
  EXPECT_FALSE(limiter.Take("recent", budget).allowed);
  EXPECT_EQ(limiter.tracked(), 1u);                   // gone without any pressure
  EXPECT_TRUE(limiter.Take("idle", budget).allowed);  // forgotten: full again
  EXPECT_FALSE(limiter.Take("idle", budget).allowed);
}

TEST_F(MemoryRateLimiterTest, IdleKeysAreForgottenWhenFull) {
  MemoryRateLimiter limiter(clock_, 2, seconds(60));
  const Budget budget{0.001, 1};
  ASSERT_TRUE(limiter.Take("idle", budget).allowed);
  clock_.Advance(seconds(50));
  ASSERT_TRUE(limiter.Take("recent", budget).allowed);
  clock_.Advance(seconds(11));
  ASSERT_TRUE(limiter.Take("new", budget).allowed);
  EXPECT_EQ(limiter.tracked(), 2u);
  EXPECT_FALSE(limiter.Take("recent", budget).allowed);
  EXPECT_FALSE(limiter.Take("new", budget).allowed);
}

TEST_F(MemoryRateLimiterTest, ManyThreadsGetExactlyTheBurst) {
  MemoryRateLimiter limiter(clock_);
  const Budget budget{1, 100};
  constexpr int kThreads = 8;
  constexpr int kPerThread = 500;
  std::atomic<int> allowed{0};
  std::atomic<int> other_allowed{0};
  std::vector<std::thread> threads;
  threads.reserve(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        if (limiter.Take("shared", budget).allowed) ++allowed;
        // Other keys in the meantime, some in the same shard.
        if (limiter.Take("own:" + std::to_string(t) + ":" + std::to_string(i % 50), budget)
                .allowed) {
          ++other_allowed;
        }
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(allowed.load(), 100);
  EXPECT_EQ(other_allowed.load(), kThreads * kPerThread);
  EXPECT_EQ(limiter.tracked(), 1u + kThreads * 50);
}

}  // namespace
}  // namespace modproxy::policy
