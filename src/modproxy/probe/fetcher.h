#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>

// One timed HTTP GET, the only I/O `modproxy probe` does. Behind an interface
// so that the probing and reporting logic runs against a fake in unit tests.
namespace modproxy::probe {

// How a request failed before a complete answer arrived.
enum class TransportFailure {
  kNone,     // an HTTP answer arrived in full (any status)
  kDns,      // the host name did not resolve
  kConnect,  // TCP connection refused or unreachable
  kTls,      // TLS handshake or certificate verification failed
  kTimeout,  // the per-request timeout expired
  kBroken,   // the connection broke or the answer was malformed
};

// Milestones of one request in microseconds since it started, as curl's
// CURLINFO_*_TIME_T report them; 0 means "not reached". appconnect stays 0 on
// plain HTTP. With redirects, the milestones cover every hop.
struct Milestones {
  std::int64_t namelookup_us = 0;
  std::int64_t connect_us = 0;
  std::int64_t appconnect_us = 0;
  std::int64_t pretransfer_us = 0;
  std::int64_t starttransfer_us = 0;
  std::int64_t total_us = 0;
};

struct FetchRequest {
  std::string url;  // absolute http(s) URL, may hold credentials
  std::chrono::milliseconds timeout{10000};
  // How many leading body bytes to keep in FetchResult::body (the rest is
  // only counted): enough for a .info or .mod, a few bytes for a .zip.
  std::size_t keep_bytes = 1 << 20;
};

struct FetchResult {
  TransportFailure failure = TransportFailure::kNone;
  std::string error;  // the transport error in words; empty when failure is kNone
  long status = 0;    // the final HTTP status; 0 when no status line arrived
  // Headers of the final answer (after redirects), names lower-cased; a
  // repeated header keeps its last value.
  std::map<std::string, std::string> headers;
  std::string body;              // the first keep_bytes bytes
  std::uint64_t body_bytes = 0;  // all body bytes received
  long redirects = 0;
  Milestones times;
};

class Fetcher {
 public:
  virtual ~Fetcher() = default;
  // Performs one GET on a fresh connection (no reuse, no cached DNS), so
  // every phase is measured. Never throws; failures are in the result.
  virtual FetchResult Fetch(const FetchRequest& request) = 0;
};

// The libcurl fetcher: follows up to 10 redirects (never from https to http),
// verifies TLS against the system CA store or, like the curl tool, the file
// named by CURL_CA_BUNDLE or SSL_CERT_FILE (directory: SSL_CERT_DIR), and
// honours the usual *_proxy variables.
std::unique_ptr<Fetcher> NewCurlFetcher();

}  // namespace modproxy::probe
