#include <nlohmann/json.hpp>

#include "modproxy/probe/checks.h"
#include "modproxy/probe/format.h"

namespace modproxy::probe {
namespace {

// Keys in the order format.h documents them, for people reading the output.
using json = nlohmann::ordered_json;

json OrNull(const std::optional<double>& value) { return value ? json(*value) : json(nullptr); }

json OrNull(const std::string& value) { return value.empty() ? json(nullptr) : json(value); }

json TimingsJson(const Phases& p) {
  return json{{"dns", OrNull(p.dns)},    {"connect", OrNull(p.connect)},
              {"tls", OrNull(p.tls)},    {"wait", OrNull(p.wait)},
              {"ttfb", OrNull(p.ttfb)},  {"transfer", OrNull(p.transfer)},
              {"total", OrNull(p.total)}};
}

json FileJson(const FileReport& f) {
  const FetchResult& r = f.result;
  json out = {{"url", OrNull(f.url)}, {"attempted", f.attempted}};
  if (!f.attempted) {
    for (const char* key : {"status", "failure", "error", "problem", "cache_hit", "bytes",
                            "bytes_per_second", "redirects", "timings_ms"}) {
      out[key] = nullptr;
    }
    out["headers"] = json::object();
    return out;
  }
  const Phases phases = PhasesOf(r.times);
  const std::optional<bool> hit = CacheHit(r.headers);
  out["status"] = r.status > 0 ? json(r.status) : json(nullptr);
  out["failure"] = OrNull(std::string(FailureName(r.failure)));
  out["error"] = OrNull(r.error);
  out["problem"] = OrNull(f.problem);
  out["cache_hit"] = hit ? json(*hit) : json(nullptr);
  out["bytes"] = r.body_bytes;
  out["bytes_per_second"] = r.status > 0 && phases.total && *phases.total > 0
                                ? json(static_cast<double>(r.body_bytes) * 1000.0 / *phases.total)
                                : json(nullptr);
  out["redirects"] = r.redirects;
  out["timings_ms"] = TimingsJson(phases);
  out["headers"] = json(HeadersOfInterest(r.headers));
  return out;
}

json ProxyJson(const ProxyReport& report) {
  json files = json::object();
  for (const FileReport& f : report.files) files[FileKey(f.file)] = FileJson(f);
  return json{{"proxy", report.proxy},
              {"module", report.module},
              {"requested", report.requested},
              {"version", OrNull(report.version)},
              {"usable", report.verdict.usable},
              {"rate_limited", report.verdict.rate_limited},
              {"verdict", report.verdict.summary},
              {"detail", OrNull(report.verdict.detail)},
              {"files", std::move(files)}};
}

}  // namespace

std::string FormatJson(const std::vector<ProxyReport>& reports) {
  json out = json::array();
  for (const ProxyReport& report : reports) out.push_back(ProxyJson(report));
  // Invalid UTF-8 from a misbehaving proxy (a header, an error body) is
  // replaced rather than aborting the whole report.
  return out.dump(2, ' ', false, json::error_handler_t::replace) + "\n";
}

}  // namespace modproxy::probe
