#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "modproxy/loadgen/load_loop.h"
#include "modproxy/loadgen/run_stats.h"

// Formatting of one run's results: the JSON object (`--json`; its keys are a
// contract for scripts: keys may be added, never renamed or removed), the
// human summary, and the live progress line.
namespace modproxy::loadgen {

// Above this share of one core the load generator itself may be what limits
// the measured rate; the human report warns.
inline constexpr double kClientCpuWarningPercent = 90;

// {"tool":"modproxy bench","url":...,"concurrency":...,"idle_connections":...,
//  "idle_open_at_end":...,"duration_s":...,"requests":...,"status":{"200":n,...},
//  "transport_errors":{"connect":n,"reset":n,"timeout":n,"malformed":n},
//  "requests_per_s":...,"bytes":...,"bytes_per_s":...,
//  "latency_ms":{"mean","p50","p90","p95","p99","max"},"ttfb_ms":{same},
//  "client_cpu_percent":...} plus "client_busy_poll_percent", "paths",
// "idle_established", "requests_2xx", "interrupted", "min" in both latency
// objects, and "unanswered" for --once.
nlohmann::ordered_json ReportJson(const RunStats& stats, bool once);

// The multi-line human summary, ending with a newline; it includes a warning
// line when client_cpu_percent exceeds kClientCpuWarningPercent.
std::string ReportText(const RunStats& stats);

// "  3s  requests 123456  req/s 41234  non-2xx 0  transport errors 0" (no newline).
std::string ProgressLine(const Progress& progress);

// "1.23 MiB": a byte count for people.
std::string FormatBytes(double bytes);
// "1.234ms": a latency for people (from nanoseconds).
std::string FormatLatency(double ns);

}  // namespace modproxy::loadgen
