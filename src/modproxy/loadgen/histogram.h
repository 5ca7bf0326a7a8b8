#pragma once

#include <array>
#include <cstdint>

// A latency histogram with log-linear buckets, in the spirit of HdrHistogram:
// exact below 128 ns, then 128 buckets per power of two, so every bucket is at
// most 1/128 (0.8 %) of its values wide from 1 µs up to 2^37 ns (137 s).
// Recording is an index computation and an increment (no allocation), which
// the load loop does twice per response. Pure code: no clock.
namespace modproxy::loadgen {

class Histogram {
 public:
  static constexpr int kSubBucketBits = 7;
  static constexpr std::uint64_t kSubBuckets = std::uint64_t{1} << kSubBucketBits;
  static constexpr int kMaxExponent = 36;  // the last power of two with its own buckets
  static constexpr std::uint64_t kMaxTrackable = (std::uint64_t{1} << (kMaxExponent + 1)) - 1;
  static constexpr std::size_t kBuckets =
      kSubBuckets + (kMaxExponent - kSubBucketBits + 1) * kSubBuckets;

  // Records one value in nanoseconds. Values above kMaxTrackable land in the
  // last bucket; max() still reports them exactly.
  void Record(std::uint64_t value_ns);
  // Adds every value recorded in `other`.
  void Merge(const Histogram& other);

  std::uint64_t count() const { return count_; }
  std::uint64_t min() const { return count_ == 0 ? 0 : min_; }
  std::uint64_t max() const { return max_; }
  double mean() const;

  // The value below which `percent` % of the recorded values lie (0 < percent
  // <= 100): the smallest bucket holding the value of that rank (nearest-rank
  // method), reported as the bucket's midpoint clamped to [min(), max()]. So
  // results never decrease as `percent` grows and never exceed max().
  // 0 when nothing was recorded.
  std::uint64_t Percentile(double percent) const;

  // The bucket of a value and the range of values it holds (for tests).
  static std::size_t BucketIndex(std::uint64_t value_ns);
  static std::uint64_t BucketLow(std::size_t index);
  static std::uint64_t BucketHigh(std::size_t index);

 private:
  std::array<std::uint64_t, kBuckets> counts_{};
  std::uint64_t count_ = 0;
  std::uint64_t min_ = UINT64_MAX;
  std::uint64_t max_ = 0;
  std::uint64_t sum_ = 0;  // ns: overflows only after 584 years of latency
};

}  // namespace modproxy::loadgen
