#include "modproxy/loadgen/compare_report.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "modproxy/loadgen/report.h"

namespace modproxy::loadgen {
namespace {

using nlohmann::ordered_json;

ordered_json MedianOfNumbers(std::vector<double> values, bool all_integers) {
  std::sort(values.begin(), values.end());
  const std::size_t n = values.size();
  const double median = n % 2 == 1 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
  // Counts stay integers (scripts read "requests" as one), rounding the
  // mean of an even number of rounds.
  if (all_integers && median >= 0) return static_cast<std::uint64_t>(std::llround(median));
  return std::round(median * 1000) / 1000;
}

ordered_json MedianOf(const std::vector<const ordered_json*>& values) {
  const ordered_json& first = *values.front();
  if (first.is_object()) {
    std::vector<std::string> keys;  // the union, in first-seen order
    for (const ordered_json* value : values) {
      if (!value->is_object()) continue;
      for (const auto& item : value->items()) {
        if (std::find(keys.begin(), keys.end(), item.key()) == keys.end()) {
          keys.push_back(item.key());
        }
      }
    }
    static const ordered_json kZero = 0;
    ordered_json out = ordered_json::object();
    for (const std::string& key : keys) {
      std::vector<const ordered_json*> children;
      const ordered_json* sample = nullptr;
      for (const ordered_json* value : values) {
        auto it = value->find(key);
        if (it != value->end() && sample == nullptr) sample = &*it;
      }
      for (const ordered_json* value : values) {
        auto it = value->find(key);
        if (it != value->end()) {
          children.push_back(&*it);
        } else if (sample->is_number()) {
          children.push_back(&kZero);  // e.g. a status code only one round saw
        }
      }
      out[key] = MedianOf(children);
    }
    return out;
  }
  if (first.is_number()) {
    std::vector<double> numbers;
    bool all_integers = true;
    for (const ordered_json* value : values) {
      if (!value->is_number()) continue;
      numbers.push_back(value->get<double>());
      all_integers = all_integers && value->is_number_integer();
    }
    return MedianOfNumbers(std::move(numbers), all_integers);
  }
  return first;
}

ordered_json Ratio(const ordered_json& a, const ordered_json& b) {
  const double denominator = a.get<double>();
  if (denominator == 0) return nullptr;
  return std::round(b.get<double>() / denominator * 1000) / 1000;
}

std::uint64_t NonSuccess(const ordered_json& run) {
  std::uint64_t failed = 0;
  for (const auto& item : run["status"].items()) {
    if (item.key().front() != '2') failed += item.value().get<std::uint64_t>();
  }
  for (const auto& item : run["transport_errors"].items()) {
    failed += item.value().get<std::uint64_t>();
  }
  return failed;
}

std::string Ms(const ordered_json& value) { return FormatLatency(value.get<double>() * 1e6); }

std::string RatioText(const ordered_json& ratio) {
  return ratio.is_null() ? "-" : fmt::format("{:.2f}", ratio.get<double>());
}

}  // namespace

ordered_json MedianReport(const std::vector<ordered_json>& runs) {
  if (runs.empty()) return ordered_json::object();
  std::vector<const ordered_json*> values;
  for (const ordered_json& run : runs) values.push_back(&run);
  return MedianOf(values);
}

ordered_json CompareJson(const std::vector<ordered_json>& a, const std::vector<ordered_json>& b) {
  ordered_json out;
  out["a"] = MedianReport(a);
  out["b"] = MedianReport(b);
  out["rounds"] = ordered_json::array();
  for (std::size_t i = 0; i < a.size() && i < b.size(); ++i) {
    out["rounds"].push_back({{"a", a[i]}, {"b", b[i]}});
  }
  // Copies: inserting "ratios" may move the other members of an ordered_json.
  const ordered_json ma = out["a"];
  const ordered_json mb = out["b"];
  out["ratios"] = {
      {"requests_per_s", Ratio(ma["requests_per_s"], mb["requests_per_s"])},
      {"bytes_per_s", Ratio(ma["bytes_per_s"], mb["bytes_per_s"])},
      {"p50", Ratio(ma["latency_ms"]["p50"], mb["latency_ms"]["p50"])},
      {"p99", Ratio(ma["latency_ms"]["p99"], mb["latency_ms"]["p99"])},
  };
  return out;
}

std::string CompareRoundLine(int round, int rounds, char label, const ordered_json& run) {
  return fmt::format(
      "round {}/{} {}  {:>10.1f} req/s  {:>11}/s  p50 {:>9}  p99 {:>9}  failed {:<6} cpu {:.0f}%  "
      "{}\n",
      round, rounds, label, run["requests_per_s"].get<double>(),
      FormatBytes(run["bytes_per_s"].get<double>()), Ms(run["latency_ms"]["p50"]),
      Ms(run["latency_ms"]["p99"]), NonSuccess(run), run["client_cpu_percent"].get<double>(),
      run["url"].get<std::string>());
}

std::string CompareText(const ordered_json& compare) {
  const ordered_json& a = compare["a"];
  const ordered_json& b = compare["b"];
  const ordered_json& ratios = compare["ratios"];
  std::string out =
      fmt::format("median of {} rounds\n  A = {}\n  B = {}\n", compare["rounds"].size(),
                  a["url"].get<std::string>(), b["url"].get<std::string>());
  out += fmt::format("  {:<20}{:>14}{:>14}{:>8}\n", "", "A", "B", "B/A");
  auto row = [&out](std::string_view name, const std::string& va, const std::string& vb,
                    const std::string& ratio) {
    out += fmt::format("  {:<20}{:>14}{:>14}{:>8}\n", name, va, vb, ratio);
  };
  row("requests/s", fmt::format("{:.1f}", a["requests_per_s"].get<double>()),
      fmt::format("{:.1f}", b["requests_per_s"].get<double>()),
      RatioText(ratios["requests_per_s"]));
  row("body bytes/s", FormatBytes(a["bytes_per_s"].get<double>()),
      FormatBytes(b["bytes_per_s"].get<double>()), RatioText(ratios["bytes_per_s"]));
  for (const char* key : {"mean", "p50", "p90", "p95", "p99", "max"}) {
    const std::string ratio = std::string(key) == "p50"   ? RatioText(ratios["p50"])
                              : std::string(key) == "p99" ? RatioText(ratios["p99"])
                                                          : "";
    row(fmt::format("latency {}", key), Ms(a["latency_ms"][key]), Ms(b["latency_ms"][key]), ratio);
  }
  row("first byte p50", Ms(a["ttfb_ms"]["p50"]), Ms(b["ttfb_ms"]["p50"]), "");
  row("first byte p99", Ms(a["ttfb_ms"]["p99"]), Ms(b["ttfb_ms"]["p99"]), "");
  row("failed requests", std::to_string(NonSuccess(a)), std::to_string(NonSuccess(b)), "");
  row("client cpu %", fmt::format("{:.1f}", a["client_cpu_percent"].get<double>()),
      fmt::format("{:.1f}", b["client_cpu_percent"].get<double>()), "");
  return out;
}

}  // namespace modproxy::loadgen
