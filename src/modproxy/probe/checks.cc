#include "modproxy/probe/checks.h"

#include <string>

#include "modproxy/cache/content_checks.h"
#include "modproxy/protocol/text.h"

namespace modproxy::probe {
namespace {

std::optional<double> Ms(std::int64_t us) { return static_cast<double>(us) / 1000.0; }

std::string Header(const std::map<std::string, std::string>& headers, const std::string& name) {
  auto it = headers.find(name);
  return it == headers.end() ? "" : it->second;
}

std::string FirstOf(const std::map<std::string, std::string>& headers, const std::string& a,
                    const std::string& b) {
  std::string value = Header(headers, a);
  return value.empty() ? Header(headers, b) : value;
}

// The cache's content checks speak of "upstream .info ..."; here the proxy
// under test is the subject, so the word goes.
std::string ProblemFrom(const Error& error) {
  constexpr std::string_view kPrefix = "upstream ";
  std::string_view message = error.message;
  if (message.starts_with(kPrefix)) message.remove_prefix(kPrefix.size());
  return std::string(message);
}

std::string StatusProblem(ProbeFile file, long status) {
  return std::string(FileLabel(file)) + " answered " + std::to_string(status);
}

std::string ZipProblem(const FetchResult& result) {
  if (result.body_bytes == 0) return ".zip is empty";
  const std::string_view head = std::string_view(result.body).substr(0, 4);
  if (head == std::string_view("PK\x03\x04", 4) || head == std::string_view("PK\x05\x06", 4)) {
    return "";
  }
  return ".zip is not a zip file (no PK signature)";
}

}  // namespace

Phases PhasesOf(const Milestones& t) {
  Phases p;
  if (t.namelookup_us > 0 || t.connect_us > 0) p.dns = Ms(t.namelookup_us);
  if (t.connect_us > 0) p.connect = Ms(t.connect_us - t.namelookup_us);
  if (t.appconnect_us > 0) p.tls = Ms(t.appconnect_us - t.connect_us);
  if (t.starttransfer_us > 0) {
    const std::int64_t sent = t.pretransfer_us > 0  ? t.pretransfer_us
                              : t.appconnect_us > 0 ? t.appconnect_us
                                                    : t.connect_us;
    p.wait = Ms(t.starttransfer_us - sent);
    p.ttfb = Ms(t.starttransfer_us);
    if (t.total_us >= t.starttransfer_us) p.transfer = Ms(t.total_us - t.starttransfer_us);
  }
  if (t.total_us > 0) p.total = Ms(t.total_us);
  return p;
}

std::optional<bool> CacheHit(const std::map<std::string, std::string>& headers) {
  const std::string value = Header(headers, "x-go-proxy-cache-hit");
  if (value == "true") return true;
  if (value == "false") return false;
  return std::nullopt;
}

RateLimit RateLimitOf(long status, const std::map<std::string, std::string>& headers) {
  RateLimit r;
  r.too_many_requests = status == 429;
  r.retry_after = Header(headers, "retry-after");
  r.limit = FirstOf(headers, "x-ratelimit-limit", "ratelimit-limit");
  r.remaining = FirstOf(headers, "x-ratelimit-remaining", "ratelimit-remaining");
  r.reset = FirstOf(headers, "x-ratelimit-reset", "ratelimit-reset");
  return r;
}

std::string DescribeRateLimit(const RateLimit& r) {
  std::string text;
  auto add = [&text](const std::string& part) { text += (text.empty() ? "" : ", ") + part; };
  if (r.too_many_requests) add("429");
  if (!r.retry_after.empty()) add("Retry-After: " + r.retry_after);
  if (!r.remaining.empty()) {
    add("remaining " + r.remaining + (r.limit.empty() ? "" : "/" + r.limit));
  } else if (!r.limit.empty()) {
    add("limit " + r.limit);
  }
  if (!r.reset.empty()) add("reset " + r.reset);
  return text;
}

std::map<std::string, std::string> HeadersOfInterest(
    const std::map<std::string, std::string>& headers) {
  std::map<std::string, std::string> out;
  for (const auto& [name, value] : headers) {
    if (name == "x-go-proxy-cache-hit" || name == "retry-after" || name == "content-type" ||
        name.starts_with("x-ratelimit-") || name.starts_with("ratelimit")) {
      out[name] = value;
    }
  }
  return out;
}

const char* FailureName(TransportFailure failure) {
  switch (failure) {
    case TransportFailure::kNone:
      return "";
    case TransportFailure::kDns:
      return "DNS lookup failed";
    case TransportFailure::kConnect:
      return "connection failed";
    case TransportFailure::kTls:
      return "TLS failed";
    case TransportFailure::kTimeout:
      return "timed out";
    case TransportFailure::kBroken:
      return "connection broken";
  }
  return "failed";
}

std::string CheckAnswer(ProbeFile file, std::string_view module, std::string_view version,
                        const FetchResult& result) {
  if (result.failure != TransportFailure::kNone) return FailureName(result.failure);
  if (result.status != 200) return StatusProblem(file, result.status);
  switch (file) {
    case ProbeFile::kInfo:
      if (Result<std::string> v = cache::CheckInfo(result.body, module, version, true); !v) {
        return ProblemFrom(v.error());
      }
      return "";
    case ProbeFile::kMod:
      if (Result<void> ok = cache::CheckGoMod(result.body); !ok) return ProblemFrom(ok.error());
      return "";
    case ProbeFile::kZip:
      return ZipProblem(result);
    case ProbeFile::kLatest: {
      Result<std::string> latest = LatestVersion(module, result);
      return latest ? "" : latest.error().message;
    }
  }
  return "";
}

Result<std::string> LatestVersion(std::string_view module, const FetchResult& result) {
  if (result.failure != TransportFailure::kNone) {
    return MakeError(ErrorCode::kUnavailable, FailureName(result.failure));
  }
  if (result.status != 200) {
    return MakeError(ErrorCode::kUnavailable, StatusProblem(ProbeFile::kLatest, result.status));
  }
  Result<std::string> v = cache::CheckInfo(result.body, module, "", false);
  if (!v) return MakeError(ErrorCode::kUpstreamInvalid, ProblemFrom(v.error()));
  return v;
}

Verdict Judge(const ProxyReport& report) {
  for (const FileReport& f : report.files) {
    if (!f.attempted || f.problem.empty()) continue;
    const FetchResult& r = f.result;
    const std::string label = FileLabel(f.file);
    Verdict v;
    if (r.failure != TransportFailure::kNone) {
      v.summary = std::string("unusable: ") + FailureName(r.failure);
      v.detail = label + ": " + r.error;
    } else if (r.status == 429) {
      v.rate_limited = true;
      v.summary = "rate limited (" + DescribeRateLimit(RateLimitOf(r.status, r.headers)) + ")";
      v.detail = label + " answered 429 Too Many Requests";
    } else {
      v.summary = "unusable: " + f.problem;
      v.detail = f.problem;
    }
    if (r.failure == TransportFailure::kNone && r.status != 200 &&
        !protocol::detail::PrintableExcerpt(r.body).empty()) {
      v.detail += ": " + protocol::detail::PrintableExcerpt(r.body);
    }
    return v;
  }
  return Verdict{true, false, "ok", ""};
}

}  // namespace modproxy::probe
