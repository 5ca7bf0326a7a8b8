#include "modproxy/loadgen/histogram.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include <gtest/gtest.h>

namespace modproxy::loadgen {
namespace {

TEST(HistogramTest, EmptyHistogramReportsZero) {
  Histogram histogram;
  EXPECT_EQ(histogram.count(), 0u);
  EXPECT_EQ(histogram.Percentile(50), 0u);
  EXPECT_EQ(histogram.max(), 0u);
  EXPECT_EQ(histogram.min(), 0u);
  EXPECT_EQ(histogram.mean(), 0.0);
}

TEST(HistogramTest, SmallValuesAreExact) {
  Histogram histogram;
  for (std::uint64_t v = 1; v <= 100; ++v) histogram.Record(v);
  EXPECT_EQ(histogram.Percentile(50), 50u);
  EXPECT_EQ(histogram.Percentile(90), 90u);
  EXPECT_EQ(histogram.Percentile(99), 99u);
  EXPECT_EQ(histogram.Percentile(100), 100u);
  EXPECT_EQ(histogram.min(), 1u);
  EXPECT_DOUBLE_EQ(histogram.mean(), 50.5);
}

TEST(HistogramTest, BucketsTileTheRangeWithinOnePercent) {
  for (std::size_t i = 0; i + 1 < Histogram::kBuckets; ++i) {
    ASSERT_EQ(Histogram::BucketHigh(i) + 1, Histogram::BucketLow(i + 1)) << i;
    const std::uint64_t low = Histogram::BucketLow(i);
    const std::uint64_t width = Histogram::BucketHigh(i) - low + 1;
    if (low >= 1000) {
      EXPECT_LE(static_cast<double>(width) / static_cast<double>(low), 0.01) << i;
    }
  }
  // 60 s still has its own buckets.
  EXPECT_LT(Histogram::BucketIndex(60'000'000'000ULL), Histogram::kBuckets - 1);
}

TEST(HistogramTest, EveryValueLandsInTheBucketThatHoldsIt) {
  std::mt19937_64 rng(7);
  for (int i = 0; i < 100000; ++i) {
    const std::uint64_t value = rng() % Histogram::kMaxTrackable;
    const std::size_t index = Histogram::BucketIndex(value);
    ASSERT_LE(Histogram::BucketLow(index), value);
    ASSERT_GE(Histogram::BucketHigh(index), value);
  }
}

TEST(HistogramTest, PercentilesMatchSortedValuesWithinOnePercent) {
  std::mt19937_64 rng(42);
  // Log-uniform from 1 µs to 60 s, like latencies of very different servers.
  std::uniform_real_distribution<double> exponent(3, std::log10(60e9));
  std::vector<std::uint64_t> values;
  Histogram histogram;
  for (int i = 0; i < 200000; ++i) {
    const auto value = static_cast<std::uint64_t>(std::pow(10.0, exponent(rng)));
    values.push_back(value);
    histogram.Record(value);
  }
  std::sort(values.begin(), values.end());
  for (double percent : {1.0, 10.0, 50.0, 90.0, 95.0, 99.0, 99.9}) {
    const auto rank = static_cast<std::size_t>(std::ceil(percent / 100 * values.size()));
    const double exact = static_cast<double>(values[rank - 1]);
    const double got = static_cast<double>(histogram.Percentile(percent));
    EXPECT_NEAR(got, exact, exact * 0.01) << "p" << percent;
  }
  EXPECT_EQ(histogram.max(), values.back());
  EXPECT_EQ(histogram.Percentile(100), values.back());
}

TEST(HistogramTest, PercentilesNeverDecreaseAndNeverExceedMax) {
  Histogram histogram;
  for (std::uint64_t v : {1500000ULL, 1500001ULL, 1500002ULL, 9000000ULL, 9000001ULL}) {
    histogram.Record(v);
  }
  std::uint64_t previous = 0;
  for (double percent = 1; percent <= 100; percent += 1) {
    const std::uint64_t value = histogram.Percentile(percent);
    EXPECT_GE(value, previous);
    EXPECT_LE(value, histogram.max());
    EXPECT_GE(value, histogram.min());
    previous = value;
  }
}

TEST(HistogramTest, HugeValuesClampToTheLastBucketButKeepExactMax) {
  Histogram histogram;
  histogram.Record(UINT64_MAX / 2);
  EXPECT_EQ(Histogram::BucketIndex(UINT64_MAX / 2), Histogram::kBuckets - 1);
  EXPECT_EQ(histogram.max(), UINT64_MAX / 2);
  EXPECT_EQ(histogram.Percentile(50), UINT64_MAX / 2);  // clamped to [min, max]
}

TEST(HistogramTest, MergeAddsCounts) {
  Histogram a;
  Histogram b;
  for (int i = 0; i < 90; ++i) a.Record(1000);
  for (int i = 0; i < 10; ++i) b.Record(5000000);
  a.Merge(b);
  EXPECT_EQ(a.count(), 100u);
  EXPECT_NEAR(static_cast<double>(a.Percentile(90)), 1000, 10);
  EXPECT_NEAR(static_cast<double>(a.Percentile(91)), 5e6, 5e6 * 0.01);
  EXPECT_EQ(a.max(), 5000000u);
}

}  // namespace
}  // namespace modproxy::loadgen
