#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include <boost/asio/io_context.hpp>

namespace modproxy::http {

struct AccessRecord {
  std::string_view remote;
  std::string_view method;
  std::string_view path;
  unsigned status = 0;
  std::uint64_t bytes = 0;
  std::chrono::duration<double> duration{};
  bool cache_hit = false;      // false for endpoints that have no cache
  std::string_view identity;   // certificate or token identity; "" anonymous
  std::string_view client_ip;  // the client, after trusted X-Forwarded-For
};

// Appends one JSON object and a newline to `out`. `time` is the RFC 3339 UTC
// timestamp. Strings are escaped for JSON, and bytes that are not UTF-8
// (request targets are attacker-chosen) become U+FFFD, so every line parses.
void AppendAccessLine(std::string& out, const AccessRecord& record, std::string_view time);

// The current time as RFC 3339 UTC with milliseconds; the date part is
// formatted once per second per thread.
std::string_view AccessLogTime();

// One JSON object per line on stdout (logs go to stderr): machine-readable
// for any log shipper. Lines are buffered per thread and written in one
// system call once `loop` has run the handlers that were ready (a quiet
// server logs each request at once, a busy one in batches), or as soon as
// 64 KiB are waiting. Lines from different threads never interleave.
void WriteAccessLog(const AccessRecord& record, boost::asio::io_context& loop);

// Writes out the calling thread's buffered lines now (a loop that ends).
void FlushAccessLog();

}  // namespace modproxy::http
