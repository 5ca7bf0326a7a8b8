#include "modproxy/metrics/metrics.h"

#include <fmt/format.h>

namespace modproxy::metrics {
namespace {

std::string EscapeLabelValue(const std::string& value) {
  std::string out;
  for (char c : value) {
    if (c == '\\' || c == '"') out.push_back('\\');
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out.push_back(c);
  }
  return out;
}

std::string LabelText(const std::vector<std::string>& names, const LabelValues& values,
                      const std::string& extra = "") {
  std::string out;
  for (std::size_t i = 0; i < names.size() && i < values.size(); ++i) {
    if (!out.empty()) out += ",";
    out += names[i] + "=\"" + EscapeLabelValue(values[i]) + "\"";
  }
  if (!extra.empty()) out += (out.empty() ? "" : ",") + extra;
  return out.empty() ? "" : "{" + out + "}";
}

template <typename Series>
void Header(std::string& out, const Family<Series>& family, const char* type) {
  out += "# HELP " + family.name() + " " + family.help() + "\n";
  out += "# TYPE " + family.name() + " " + type + "\n";
}

void RenderCounters(std::string& out, const Family<Counter>& family) {
  Header(out, family, "counter");
  family.ForEach([&](const LabelValues& values, const Counter& c) {
    out += family.name() + LabelText(family.label_names(), values) + " " +
           std::to_string(c.value()) + "\n";
  });
}

void RenderGauge(std::string& out, const Family<Gauge>& family) {
  Header(out, family, "gauge");
  family.ForEach([&](const LabelValues& values, const Gauge& g) {
    out += family.name() + LabelText(family.label_names(), values) + " " +
           std::to_string(g.value()) + "\n";
  });
}

void RenderHistogram(std::string& out, const HistogramFamily& family) {
  Header(out, family, "histogram");
  family.ForEach([&](const LabelValues& values, const Histogram& h) {
    std::vector<std::uint64_t> counts = h.CumulativeCounts();
    for (std::size_t i = 0; i < counts.size(); ++i) {
      std::string le = i < family.bounds().size() ? fmt::format("{}", family.bounds()[i]) : "+Inf";
      out += family.name() + "_bucket" +
             LabelText(family.label_names(), values, "le=\"" + le + "\"") + " " +
             std::to_string(counts[i]) + "\n";
    }
    out += family.name() + "_sum" + LabelText(family.label_names(), values) + " " +
           fmt::format("{}", h.sum()) + "\n";
    out += family.name() + "_count" + LabelText(family.label_names(), values) + " " +
           std::to_string(counts.back()) + "\n";
  });
}

}  // namespace

Histogram::Histogram(const std::vector<double>& bounds)
    : bounds_(bounds), counts_(new std::atomic<std::uint64_t>[bounds.size() + 1]) {
  for (std::size_t i = 0; i <= bounds_.size(); ++i) counts_[i] = 0;
}

void Histogram::Observe(double value) {
  std::size_t i = 0;
  while (i < bounds_.size() && value > bounds_[i]) ++i;
  counts_[i].fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(value, std::memory_order_relaxed);
}

std::vector<std::uint64_t> Histogram::CumulativeCounts() const {
  std::vector<std::uint64_t> out(bounds_.size() + 1);
  std::uint64_t total = 0;
  for (std::size_t i = 0; i <= bounds_.size(); ++i) {
    total += counts_[i].load(std::memory_order_relaxed);
    out[i] = total;
  }
  return out;
}

double Histogram::sum() const { return sum_.load(std::memory_order_relaxed); }

std::vector<double> LatencyBuckets() {
  return {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
          0.1,    0.25,    0.5,    1,     2.5,    5,     10,   30};
}

ProxyMetrics::ProxyMetrics() {
  // Series without labels exist from the start, so scrapers see zeros.
  response_bytes.With({});
  upstream_duration.With({});
  fetches_in_flight.With({});
  cache_write_failures.With({});
}

std::string ProxyMetrics::Render() const {
  std::string out;
  RenderCounters(out, http_requests);
  RenderHistogram(out, http_duration);
  RenderCounters(out, response_bytes);
  RenderCounters(out, cache_hits);
  RenderCounters(out, cache_misses);
  RenderCounters(out, upstream_fetches);
  RenderHistogram(out, upstream_duration);
  RenderGauge(out, fetches_in_flight);
  RenderCounters(out, request_errors);
  RenderCounters(out, cache_write_failures);
  RenderCounters(out, stale_served);
  RenderCounters(out, verifications);
  RenderCounters(out, integrity_failures);
  RenderHistogram(out, verify_duration);
  return out;
}

}  // namespace modproxy::metrics
