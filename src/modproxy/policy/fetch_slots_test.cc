#include "modproxy/policy/fetch_slots.h"

#include <atomic>
#include <thread>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

namespace modproxy::policy {
namespace {

TEST(FetchSlots, CapAndRelease) {
  FetchSlots slots;
  std::optional<FetchSlots::Slot> first = slots.TryAcquire("id:bob", 2);
  std::optional<FetchSlots::Slot> second = slots.TryAcquire("id:bob", 2);
  ASSERT_TRUE(first);
  ASSERT_TRUE(second);
  EXPECT_FALSE(slots.TryAcquire("id:bob", 2));
  EXPECT_EQ(slots.InFlight("id:bob"), 2);
  EXPECT_TRUE(slots.TryAcquire("id:alice", 2));  // another key: its own count
  first.reset();
  EXPECT_EQ(slots.InFlight("id:bob"), 1);
  EXPECT_TRUE(slots.TryAcquire("id:bob", 2));  // taken and given back at once
  second.reset();
  EXPECT_EQ(slots.InFlight("id:bob"), 0);
  EXPECT_EQ(slots.tracked(), 0u);  // no entry left behind
}

TEST(FetchSlots, UnlimitedCountsNothing) {
  FetchSlots slots;
  std::vector<FetchSlots::Slot> held;
  for (int i = 0; i < 100; ++i) {
    std::optional<FetchSlots::Slot> slot = slots.TryAcquire("id:bob", 0);
    ASSERT_TRUE(slot);
    held.push_back(std::move(*slot));
  }
  EXPECT_TRUE(slots.TryAcquire("id:bob", -1));
  EXPECT_EQ(slots.tracked(), 0u);
}

TEST(FetchSlots, SlotsMove) {
  FetchSlots slots;
  std::optional<FetchSlots::Slot> acquired = slots.TryAcquire("k", 1);
  ASSERT_TRUE(acquired);
  FetchSlots::Slot moved = std::move(*acquired);
  acquired.reset();  // the moved-from slot gives back nothing
  EXPECT_EQ(slots.InFlight("k"), 1);
  FetchSlots::Slot other = std::move(*slots.TryAcquire("j", 1));
  other = std::move(moved);  // gives back "j", now holds "k"
  EXPECT_EQ(slots.InFlight("j"), 0);
  EXPECT_EQ(slots.InFlight("k"), 1);
  { FetchSlots::Slot last = std::move(other); }
  EXPECT_EQ(slots.InFlight("k"), 0);
  EXPECT_EQ(slots.tracked(), 0u);
}

TEST(FetchSlots, ConcurrentHoldersNeverExceedTheCap) {
  FetchSlots slots;
  constexpr int kMax = 3;
  std::atomic<int> holding{0};
  std::atomic<int> most{0};
  std::vector<std::thread> threads;
  threads.reserve(8);
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 2000; ++i) {
        std::optional<FetchSlots::Slot> slot = slots.TryAcquire("shared", kMax);
        if (!slot) continue;
        const int now = ++holding;
        int seen = most.load();
        while (now > seen && !most.compare_exchange_weak(seen, now)) {
        }
        --holding;
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_LE(most.load(), kMax);
  EXPECT_GE(most.load(), 1);
  EXPECT_EQ(slots.tracked(), 0u);
}

}  // namespace
}  // namespace modproxy::policy
