#pragma once

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

// Prometheus metrics: families of counters, gauges and histograms with fixed
// label names, rendered in the text exposition format. Thread-safe; a series
// reference stays valid for the life of its family, so hot paths may keep it.
namespace modproxy::metrics {

using LabelValues = std::vector<std::string>;

class Counter {
 public:
  void Increment(std::uint64_t n = 1) { value_.fetch_add(n, std::memory_order_relaxed); }
  std::uint64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::uint64_t> value_{0};
};

class Gauge {
 public:
  void Add(std::int64_t n) { value_.fetch_add(n, std::memory_order_relaxed); }
  std::int64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::int64_t> value_{0};
};

class Histogram {
 public:
  explicit Histogram(const std::vector<double>& bounds);
  void Observe(double value);
  // Cumulative counts per bound, then the +Inf count; and the sum.
  std::vector<std::uint64_t> CumulativeCounts() const;
  double sum() const;

 private:
  const std::vector<double>& bounds_;
  std::unique_ptr<std::atomic<std::uint64_t>[]> counts_;  // one per bound, then +Inf
  std::atomic<double> sum_{0};
};

// Orders label-value lists of any string type, so that a series can be found
// from string_views without building a std::vector<std::string> per lookup.
struct LabelLess {
  using is_transparent = void;
  template <typename A, typename B>
  bool operator()(const A& a, const B& b) const {
    return std::lexicographical_compare(
        a.begin(), a.end(), b.begin(), b.end(),
        [](std::string_view x, std::string_view y) { return x < y; });
  }
};

// One metric name with its label names; series are created on first use.
template <typename Series>
class Family {
 public:
  using Factory = std::function<std::unique_ptr<Series>()>;

  Family(
      std::string name, std::string help, std::vector<std::string> label_names,
      Factory make = [] { return std::make_unique<Series>(); })
      : name_(std::move(name)),
        help_(std::move(help)),
        label_names_(std::move(label_names)),
        make_(std::move(make)) {}

  Series& With(std::initializer_list<std::string_view> values) {
    std::lock_guard lock(mu_);
    auto it = series_.find(values);
    if (it == series_.end()) {
      it = series_.emplace(LabelValues(values.begin(), values.end()), make_()).first;
    }
    return *it->second;
  }

  const std::string& name() const { return name_; }
  const std::string& help() const { return help_; }
  const std::vector<std::string>& label_names() const { return label_names_; }

  template <typename F>
  void ForEach(F&& f) const {
    std::lock_guard lock(mu_);
    for (const auto& [values, series] : series_) f(values, *series);
  }

 private:
  std::string name_;
  std::string help_;
  std::vector<std::string> label_names_;
  Factory make_;
  mutable std::mutex mu_;
  std::map<LabelValues, std::unique_ptr<Series>, LabelLess> series_;  // guarded by mu_
};

class HistogramFamily final : public Family<Histogram> {
 public:
  HistogramFamily(std::string name, std::string help, std::vector<std::string> label_names,
                  std::vector<double> bounds)
      : Family(std::move(name), std::move(help), std::move(label_names),
               [this] { return std::make_unique<Histogram>(bounds_); }),
        bounds_(std::move(bounds)) {}
  HistogramFamily(const HistogramFamily&) = delete;
  HistogramFamily& operator=(const HistogramFamily&) = delete;
  const std::vector<double>& bounds() const { return bounds_; }

 private:
  std::vector<double> bounds_;
};

// Latency buckets in seconds, from 100 µs to 30 s.
std::vector<double> LatencyBuckets();

// Every metric modproxy exports; names are a contract (design.md: "modproxy_").
struct ProxyMetrics {
  Family<Counter> http_requests{"modproxy_http_requests_total",
                                "HTTP requests by endpoint and status.",
                                {"endpoint", "status"}};
  HistogramFamily http_duration{"modproxy_http_request_duration_seconds",
                                "Time from request read to response written.",
                                {"endpoint"},
                                LatencyBuckets()};
  Family<Counter> response_bytes{
      "modproxy_http_response_bytes_total", "Response body bytes sent.", {}};
  Family<Counter> cache_hits{
      "modproxy_cache_hits_total", "Requests answered from the cache.", {"endpoint"}};
  Family<Counter> cache_misses{
      "modproxy_cache_misses_total", "Requests that needed the upstream.", {"endpoint"}};
  Family<Counter> upstream_fetches{"modproxy_upstream_fetches_total",
                                   "Upstream fetches by result (ok, not_found, error).",
                                   {"result"}};
  HistogramFamily upstream_duration{"modproxy_upstream_fetch_duration_seconds",
                                    "Duration of upstream fetches.",
                                    {},
                                    LatencyBuckets()};
  Family<Gauge> fetches_in_flight{
      "modproxy_upstream_fetches_in_flight", "Upstream fetches running now.", {}};
  Family<Counter> request_errors{
      "modproxy_request_errors_total", "Requests that failed, by reason.", {"reason"}};
  Family<Counter> cache_write_failures{
      "modproxy_cache_write_failures_total", "Fetched files that could not be stored.", {}};
  Family<Counter> stale_served{"modproxy_stale_served_total",
                               "Lists and latest answers served stale because the upstream "
                               "failed.",
                               {"endpoint"}};
  Family<Counter> verifications{"modproxy_verifications_total",
                                "Fetched .mod and .zip files verified, by endpoint and result "
                                "(ok, exempt: checked only locally, refused, error: could not "
                                "check).",
                                {"endpoint", "result"}};
  Family<Counter> integrity_failures{
      "modproxy_integrity_failures_total",
      "Fetched files refused by verification, by endpoint and reason (zip_rules, "
      "checksum_mismatch, sumdb_misbehaviour).",
      {"endpoint", "reason"}};
  HistogramFamily verify_duration{"modproxy_verify_duration_seconds",
                                  "Time verification added to a fetch (zip rules, hashing, "
                                  "checksum-database lookup and proofs).",
                                  {"endpoint"},
                                  LatencyBuckets()};

  ProxyMetrics();
  std::string Render() const;
};

}  // namespace modproxy::metrics
