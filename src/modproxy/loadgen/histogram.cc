#include "modproxy/loadgen/histogram.h"

#include <algorithm>
#include <bit>
#include <cmath>

namespace modproxy::loadgen {

std::size_t Histogram::BucketIndex(std::uint64_t value_ns) {
  if (value_ns < kSubBuckets) return static_cast<std::size_t>(value_ns);
  value_ns = std::min(value_ns, kMaxTrackable);
  // exponent = position of the leading bit; the kSubBucketBits bits below it
  // pick the linear sub-bucket within that power of two.
  const int exponent = std::bit_width(value_ns) - 1;
  const int shift = exponent - kSubBucketBits;
  const std::uint64_t sub = (value_ns >> shift) & (kSubBuckets - 1);
  return static_cast<std::size_t>(kSubBuckets + static_cast<std::uint64_t>(shift) * kSubBuckets +
                                  sub);
}

std::uint64_t Histogram::BucketLow(std::size_t index) {
  if (index < kSubBuckets) return index;
  const std::uint64_t shift = (index - kSubBuckets) / kSubBuckets;
  const std::uint64_t sub = (index - kSubBuckets) % kSubBuckets;
  return (kSubBuckets + sub) << shift;
}

std::uint64_t Histogram::BucketHigh(std::size_t index) {
  if (index + 1 >= kBuckets) return kMaxTrackable;
  return BucketLow(index + 1) - 1;
}

void Histogram::Record(std::uint64_t value_ns) {
  ++counts_[BucketIndex(value_ns)];
  ++count_;
  min_ = std::min(min_, value_ns);
  max_ = std::max(max_, value_ns);
  sum_ += value_ns;
}

void Histogram::Merge(const Histogram& other) {
  for (std::size_t i = 0; i < kBuckets; ++i) counts_[i] += other.counts_[i];
  count_ += other.count_;
  min_ = std::min(min_, other.min_);
  max_ = std::max(max_, other.max_);
  sum_ += other.sum_;
}

double Histogram::mean() const {
  return count_ == 0 ? 0.0 : static_cast<double>(sum_) / static_cast<double>(count_);
}

std::uint64_t Histogram::Percentile(double percent) const {
  if (count_ == 0) return 0;
  percent = std::clamp(percent, 0.0, 100.0);
  // Nearest rank: the smallest value with at least percent % of the values at or below it.
  auto rank = static_cast<std::uint64_t>(std::ceil(percent / 100.0 * static_cast<double>(count_)));
  rank = std::clamp<std::uint64_t>(rank, 1, count_);
  std::uint64_t seen = 0;
  for (std::size_t i = 0; i < kBuckets; ++i) {
    seen += counts_[i];
    if (seen >= rank) {
      const std::uint64_t low = BucketLow(i);
      const std::uint64_t mid = low + (BucketHigh(i) - low) / 2;
      return std::clamp(mid, min(), max_);
    }
  }
  return max_;
}

}  // namespace modproxy::loadgen
