#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "modproxy/core/result.h"
#include "modproxy/loadgen/run_stats.h"
#include "modproxy/loadgen/target.h"

// The load loop of `modproxy bench`: keep-alive HTTP/1.1 clients on one
// thread and one Asio event loop, each sending one GET at a time and the next
// as soon as the answer is complete (a closed-loop load, like wrk).
//
// It is built to stay cheaper than the server it measures: requests are
// formatted once before the run, each connection reuses one receive buffer,
// responses are parsed without copying or storing headers, and a completed
// response is recorded with a few increments. Nothing on that path allocates.
namespace modproxy::loadgen {

// A progress sample, about once a second during the measured run.
struct Progress {
  double elapsed_s = 0;
  std::uint64_t requests = 0;
  double requests_per_s = 0;  // over the last interval
  std::uint64_t non_2xx = 0;
  std::uint64_t transport_errors = 0;
};

struct LoadOptions {
  Target target;
  std::vector<std::string> paths;  // request paths, each starting with '/'; not empty
  int concurrency = 100;           // load connections
  std::chrono::nanoseconds duration = std::chrono::seconds(30);
  // Instead of `duration`: send every path exactly once, spread over the
  // connections, and stop when each has been answered (or failed).
  bool once = false;
  // Extra connections opened before the run, each after one request, and
  // then held open and idle during the run.
  int idle = 0;
  // For connecting and for each complete response.
  std::chrono::nanoseconds timeout = std::chrono::seconds(10);
  std::uint64_t seed = 1;  // for the random choice of paths
  // Poll instead of sleeping for up to 1 ms between events, so that the
  // server pays no wake-up per response (see LoadRun::Spin). Off when bench
  // shares its core with the server and must leave it the CPU.
  bool busy_poll = true;
  std::function<void(const Progress&)> on_progress;  // may be empty
};

// Runs one measured load. The connections are opened first (and the idle
// ones set up), then the clock starts. kUnavailable, with a message naming the
// address and the reason, when the host cannot be resolved or not one
// connection could be opened; otherwise the statistics, even when every
// request failed. SIGINT or SIGTERM during the run end it early
// (RunStats::interrupted).
Result<RunStats> RunLoad(const LoadOptions& options);

// The request line and headers sent for `path` (exposed for tests).
std::string FormatRequest(const Target& target, std::string_view path);

}  // namespace modproxy::loadgen
