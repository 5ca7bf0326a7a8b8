#pragma once

#include <array>
#include <cstdint>
#include <string>

#include "modproxy/loadgen/histogram.h"

// What one load run measured: the contract between the load loop, which
// fills it, and the report, which formats it.
namespace modproxy::loadgen {

// Failures below HTTP, by kind. Each ends the connection (it is re-opened).
struct TransportErrors {
  std::uint64_t connect = 0;    // connect() failed or timed out
  std::uint64_t reset = 0;      // closed or reset before a complete response
  std::uint64_t timeout = 0;    // no complete response within --timeout
  std::uint64_t malformed = 0;  // the response was not valid HTTP/1.1

  std::uint64_t total() const { return connect + reset + timeout + malformed; }
};

struct RunStats {
  std::string url;
  int concurrency = 0;
  std::size_t paths = 0;       // distinct request paths to choose from
  int idle_requested = 0;      // --idle
  int idle_established = 0;    // idle connections whose first request succeeded
  int idle_open_at_end = 0;    // of those, still open when the run ended
  double duration_s = 0;       // wall time of the measured run
  std::uint64_t requests = 0;  // complete responses, any status
  std::uint64_t requests_2xx = 0;
  std::array<std::uint64_t, 1000> status{};  // complete responses by status code
  TransportErrors errors;
  std::uint64_t body_bytes = 0;  // of complete responses, after de-chunking
  Histogram latency;             // request written -> last body byte read, ns
  Histogram ttfb;                // request written -> first response byte read, ns
  // User+sys CPU of this process over wall time, minus the time the loop
  // busy-polled with nothing to do (client_busy_poll_percent).
  double client_cpu_percent = 0;
  double client_busy_poll_percent = 0;
  std::uint64_t unanswered = 0;  // --once: paths never answered (the run gave up)
  bool interrupted = false;      // SIGINT/SIGTERM ended the run early
};

}  // namespace modproxy::loadgen
