#include "modproxy/loadgen/report.h"

#include <chrono>
#include <cmath>

#include <fmt/format.h>

#include "modproxy/loadgen/duration.h"

namespace modproxy::loadgen {
namespace {

using nlohmann::ordered_json;

double Round(double value, int decimals) {
  const double scale = std::pow(10.0, decimals);
  return std::round(value * scale) / scale;
}

// Milliseconds with microsecond resolution: finer digits would be noise.
double Ms(double ns) { return Round(ns / 1e6, 3); }

ordered_json LatencyJson(const Histogram& histogram) {
  ordered_json out;
  out["mean"] = Ms(histogram.mean());
  out["p50"] = Ms(static_cast<double>(histogram.Percentile(50)));
  out["p90"] = Ms(static_cast<double>(histogram.Percentile(90)));
  out["p95"] = Ms(static_cast<double>(histogram.Percentile(95)));
  out["p99"] = Ms(static_cast<double>(histogram.Percentile(99)));
  out["max"] = Ms(static_cast<double>(histogram.max()));
  out["min"] = Ms(static_cast<double>(histogram.min()));
  return out;
}

double PerSecond(double count, double seconds) { return seconds > 0 ? count / seconds : 0; }

std::string LatencyRow(std::string_view name, const Histogram& histogram) {
  return fmt::format("  {:<14}{:>11}{:>11}{:>11}{:>11}{:>11}{:>11}\n", name,
                     FormatLatency(histogram.mean()),
                     FormatLatency(static_cast<double>(histogram.Percentile(50))),
                     FormatLatency(static_cast<double>(histogram.Percentile(90))),
                     FormatLatency(static_cast<double>(histogram.Percentile(95))),
                     FormatLatency(static_cast<double>(histogram.Percentile(99))),
                     FormatLatency(static_cast<double>(histogram.max())));
}

}  // namespace

ordered_json ReportJson(const RunStats& stats, bool once) {
  ordered_json out;
  out["tool"] = "modproxy bench";
  out["url"] = stats.url;
  out["concurrency"] = stats.concurrency;
  out["idle_connections"] = stats.idle_requested;
  out["idle_open_at_end"] = stats.idle_open_at_end;
  out["duration_s"] = Round(stats.duration_s, 3);
  out["requests"] = stats.requests;
  ordered_json status = ordered_json::object();
  for (std::size_t code = 0; code < stats.status.size(); ++code) {
    if (stats.status[code] > 0) status[std::to_string(code)] = stats.status[code];
  }
  out["status"] = status;
  out["transport_errors"] = {{"connect", stats.errors.connect},
                             {"reset", stats.errors.reset},
                             {"timeout", stats.errors.timeout},
                             {"malformed", stats.errors.malformed}};
  out["requests_per_s"] =
      Round(PerSecond(static_cast<double>(stats.requests), stats.duration_s), 1);
  out["bytes"] = stats.body_bytes;
  out["bytes_per_s"] = Round(PerSecond(static_cast<double>(stats.body_bytes), stats.duration_s), 1);
  out["latency_ms"] = LatencyJson(stats.latency);
  out["ttfb_ms"] = LatencyJson(stats.ttfb);
  out["client_cpu_percent"] = Round(stats.client_cpu_percent, 1);
  out["client_busy_poll_percent"] = Round(stats.client_busy_poll_percent, 1);
  out["paths"] = stats.paths;
  out["idle_established"] = stats.idle_established;
  out["requests_2xx"] = stats.requests_2xx;
  out["interrupted"] = stats.interrupted;
  if (once) out["unanswered"] = stats.unanswered;
  return out;
}

std::string ReportText(const RunStats& stats) {
  const auto duration = std::chrono::duration_cast<std::chrono::nanoseconds>(
      std::chrono::duration<double>(stats.duration_s));
  std::string out = fmt::format("modproxy bench {}: {} connections, {} paths, {}{}\n", stats.url,
                                stats.concurrency, stats.paths, FormatDuration(duration),
                                stats.interrupted ? " (interrupted)" : "");
  out += fmt::format("  {:<18}{} ({:.1f}/s), 2xx {}\n", "requests", stats.requests,
                     PerSecond(static_cast<double>(stats.requests), stats.duration_s),
                     stats.requests_2xx);
  out += fmt::format(
      "  {:<18}{} ({}/s)\n", "body bytes", FormatBytes(static_cast<double>(stats.body_bytes)),
      FormatBytes(PerSecond(static_cast<double>(stats.body_bytes), stats.duration_s)));
  std::string status;
  for (std::size_t code = 0; code < stats.status.size(); ++code) {
    if (stats.status[code] == 0) continue;
    if (!status.empty()) status += ", ";
    status += fmt::format("{}: {}", code, stats.status[code]);
  }
  out += fmt::format("  {:<18}{}\n", "status", status.empty() ? "no responses" : status);
  out += fmt::format("  {:<18}connect {}, reset {}, timeout {}, malformed {}\n", "transport errors",
                     stats.errors.connect, stats.errors.reset, stats.errors.timeout,
                     stats.errors.malformed);
  if (stats.unanswered > 0) {
    out +=
        fmt::format("  {:<18}{} (the server stopped answering)\n", "unanswered", stats.unanswered);
  }
  out += fmt::format("  {:<14}{:>11}{:>11}{:>11}{:>11}{:>11}{:>11}\n", "", "mean", "p50", "p90",
                     "p95", "p99", "max");
  out += LatencyRow("latency", stats.latency);
  out += LatencyRow("first byte", stats.ttfb);
  if (stats.idle_requested > 0) {
    out += fmt::format("  {:<18}{} requested, {} established, {} still open at the end\n",
                       "idle connections", stats.idle_requested, stats.idle_established,
                       stats.idle_open_at_end);
  }
  out += fmt::format("  {:<18}{:.1f}% of one core (plus {:.1f}% polling for responses)\n",
                     "client cpu", stats.client_cpu_percent, stats.client_busy_poll_percent);
  if (stats.client_cpu_percent > kClientCpuWarningPercent) {
    out += fmt::format(
        "warning: modproxy bench used {:.0f}% of a core: it may be the bottleneck, not the "
        "server (give it a core of its own, or lower --concurrency)\n",
        stats.client_cpu_percent);
  }
  return out;
}

std::string ProgressLine(const Progress& progress) {
  return fmt::format("{:>5.0f}s  requests {}  req/s {:.0f}  non-2xx {}  transport errors {}",
                     progress.elapsed_s, progress.requests, progress.requests_per_s,
                     progress.non_2xx, progress.transport_errors);
}

std::string FormatBytes(double bytes) {
  static constexpr const char* kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  int unit = 0;
  while (bytes >= 1024 && unit < 4) {
    bytes /= 1024;
    ++unit;
  }
  if (unit == 0) return fmt::format("{:.0f} B", bytes);
  return fmt::format("{:.2f} {}", bytes, kUnits[unit]);
}

std::string FormatLatency(double ns) {
  if (ns >= 1e9) return fmt::format("{:.2f}s", ns / 1e9);
  return fmt::format("{:.3f}ms", ns / 1e6);
}

}  // namespace modproxy::loadgen
