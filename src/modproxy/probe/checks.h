#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "modproxy/core/result.h"
#include "modproxy/probe/fetcher.h"
#include "modproxy/probe/report.h"
#include "modproxy/probe/target.h"

// The rules of `modproxy probe`: per-phase timings from curl's milestones,
// what headers say (cache hits, rate limits), whether an answer is usable and
// the verdict on a proxy. Pure, no I/O.
namespace modproxy::probe {

// Per-phase durations in milliseconds, as httpstat shows them. dns, connect,
// tls, wait (server processing: request sent to first byte) and transfer (first
// to last byte) are durations; ttfb and total count from the start. nullopt
// for a phase that was never reached (tls on plain HTTP, connect when refused).
struct Phases {
  std::optional<double> dns, connect, tls, wait, ttfb, transfer, total;
};
Phases PhasesOf(const Milestones& times);

// X-Go-Proxy-Cache-Hit: true/false; nullopt when absent or neither.
std::optional<bool> CacheHit(const std::map<std::string, std::string>& headers);

// Rate-limit signals of one answer: status 429, Retry-After, and the limit,
// remaining and reset values of X-RateLimit-* or (IETF draft) RateLimit-*
// headers, the X- form preferred. Values are kept as sent.
struct RateLimit {
  bool too_many_requests = false;  // status 429
  std::string retry_after, limit, remaining, reset;
  bool any() const {
    return too_many_requests || !retry_after.empty() || !limit.empty() || !remaining.empty() ||
           !reset.empty();
  }
};
RateLimit RateLimitOf(long status, const std::map<std::string, std::string>& headers);
// "429, Retry-After: 30, remaining 0/60, reset 30"; "" when !any().
std::string DescribeRateLimit(const RateLimit& limit);

// The headers worth showing (cache hit, rate limits, content type), as received.
std::map<std::string, std::string> HeadersOfInterest(
    const std::map<std::string, std::string>& headers);

// "connection failed", "timed out", "DNS lookup failed", ...; "" for kNone.
const char* FailureName(TransportFailure failure);

// Why an answer for `file` of module@version is unusable, or "" when it is
// usable: a transport failure, a status other than 200, a .info that is not
// JSON naming `version`, a .mod without a module directive, a .zip without the
// zip magic, an @latest answer without a valid Version.
std::string CheckAnswer(ProbeFile file, std::string_view module, std::string_view version,
                        const FetchResult& result);

// The version an @latest answer names, or the problem with the answer
// (kUpstreamInvalid, or kUnavailable for a transport failure or a non-200).
Result<std::string> LatestVersion(std::string_view module, const FetchResult& result);

// The verdict on a proxy: usable when every attempted file is; otherwise the
// first problem in probing order decides, with a 429 reported as rate limited.
Verdict Judge(const ProxyReport& report);

}  // namespace modproxy::probe
