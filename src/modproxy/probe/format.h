#pragma once

#include <string>
#include <vector>

#include "modproxy/probe/report.h"

// The two outputs of `modproxy probe`. Pure: reports in, text out.
namespace modproxy::probe {

// Side by side, one column per proxy, a group of rows per file (status, dns,
// connect, tls, wait, ttfb, total; for .zip also size and speed), then the
// rate-limit signals (when any proxy sent some) and the verdict, followed by
// one line of detail per unusable proxy. Times in milliseconds with one
// decimal, "-" for a phase not reached or a file not fetched.
std::string FormatTable(const std::vector<ProxyReport>& reports);

// A JSON array, one object per proxy, in the order given:
//   {"proxy", "module", "requested", "version", "usable", "rate_limited",
//    "verdict", "detail",
//    "files": {"latest"?, "info", "mod", "zip": {
//        "url", "attempted", "status", "failure", "error", "problem",
//        "cache_hit", "bytes", "bytes_per_second", "redirects",
//        "timings_ms": {"dns", "connect", "tls", "wait", "ttfb", "transfer", "total"},
//        "headers": {lower-case name: value}}}}
// Absent values (no status, a phase not reached, no header) are null.
// Timings are milliseconds with microsecond precision. Ends with a newline.
std::string FormatJson(const std::vector<ProxyReport>& reports);

}  // namespace modproxy::probe
