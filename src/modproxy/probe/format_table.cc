#include <algorithm>
#include <optional>

#include <fmt/format.h>

#include "modproxy/probe/checks.h"
#include "modproxy/probe/format.h"

namespace modproxy::probe {
namespace {

struct Row {
  std::string label;
  std::vector<std::string> cells;
};

std::string Millis(const std::optional<double>& ms) {
  return ms ? fmt::format("{:.1f} ms", *ms) : "-";
}

std::string Bytes(double bytes) {
  if (bytes < 1024) return fmt::format("{:.0f} B", bytes);
  if (bytes < 1024 * 1024) return fmt::format("{:.1f} KiB", bytes / 1024);
  if (bytes < 1024.0 * 1024 * 1024) return fmt::format("{:.1f} MiB", bytes / (1024 * 1024));
  return fmt::format("{:.1f} GiB", bytes / (1024.0 * 1024 * 1024));
}

std::string StatusCell(const FileReport& f) {
  if (!f.attempted) return "skipped";
  const FetchResult& r = f.result;
  if (r.failure != TransportFailure::kNone) return FailureName(r.failure);
  std::vector<std::string> notes;
  if (const std::optional<bool> hit = CacheHit(r.headers)) {
    notes.push_back(*hit ? "cache hit" : "cache miss");
  }
  if (r.status == 429) notes.push_back("rate limited");
  if (r.redirects > 0)
    notes.push_back(fmt::format("{} redirect{}", r.redirects, r.redirects > 1 ? "s" : ""));
  if (r.status == 200 && !f.problem.empty()) notes.push_back("bad answer");
  std::string cell = std::to_string(r.status);
  for (std::size_t i = 0; i < notes.size(); ++i) cell += (i == 0 ? " (" : ", ") + notes[i];
  return notes.empty() ? cell : cell + ")";
}

// The rows of one file across proxies. Every report probes the same files in
// the same order, so index i is the same file in each.
void AddFileRows(const std::vector<ProxyReport>& reports, std::size_t i, std::vector<Row>& rows) {
  const ProbeFile file = reports.front().files[i].file;
  const std::string indent(10, ' ');
  Row status{"  " + fmt::format("{:<8}", FileLabel(file)) + "status", {}};
  std::vector<Row> phases = {{indent + "dns", {}},  {indent + "connect", {}},
                             {indent + "tls", {}},  {indent + "wait", {}},
                             {indent + "ttfb", {}}, {indent + "total", {}}};
  Row size{indent + "size", {}};
  Row speed{indent + "speed", {}};
  for (const ProxyReport& report : reports) {
    const FileReport& f = report.files[i];
    status.cells.push_back(StatusCell(f));
    const bool answered = f.attempted && f.result.status > 0;
    const Phases p = f.attempted ? PhasesOf(f.result.times) : Phases{};
    const std::optional<double> values[] = {p.dns, p.connect, p.tls, p.wait, p.ttfb, p.total};
    for (std::size_t k = 0; k < phases.size(); ++k) phases[k].cells.push_back(Millis(values[k]));
    const double bytes = static_cast<double>(f.result.body_bytes);
    size.cells.push_back(answered ? Bytes(bytes) : "-");
    speed.cells.push_back(
        answered && p.total && *p.total > 0 ? Bytes(bytes * 1000 / *p.total) + "/s" : "-");
  }
  rows.push_back(std::move(status));
  for (Row& row : phases) rows.push_back(std::move(row));
  if (file == ProbeFile::kZip) {
    rows.push_back(std::move(size));
    rows.push_back(std::move(speed));
  }
}

// The most telling rate-limit signal of a proxy: a 429's, else the last
// answer's that carried any.
std::string RateLimitCell(const ProxyReport& report) {
  std::string cell;
  for (const FileReport& f : report.files) {
    if (!f.attempted) continue;
    const RateLimit limit = RateLimitOf(f.result.status, f.result.headers);
    if (limit.too_many_requests) return DescribeRateLimit(limit);
    if (limit.any()) cell = DescribeRateLimit(limit);
  }
  return cell.empty() ? "-" : cell;
}

std::string Render(const std::vector<Row>& rows) {
  std::size_t label_width = 0;
  std::vector<std::size_t> widths(rows.front().cells.size(), 0);
  for (const Row& row : rows) {
    label_width = std::max(label_width, row.label.size());
    for (std::size_t c = 0; c < row.cells.size(); ++c) {
      widths[c] = std::max(widths[c], row.cells[c].size());
    }
  }
  std::string out;
  for (const Row& row : rows) {
    std::string line = fmt::format("{:<{}}", row.label, label_width + 3);
    for (std::size_t c = 0; c < row.cells.size(); ++c) {
      line += fmt::format("{:<{}}", row.cells[c], widths[c] + 3);
    }
    line.erase(line.find_last_not_of(' ') + 1);
    out += line + "\n";
  }
  return out;
}

}  // namespace

std::string FormatTable(const std::vector<ProxyReport>& reports) {
  if (reports.empty()) return "";
  const ProxyReport& first = reports.front();
  std::vector<Row> rows;
  Row header{"", {}};
  for (const ProxyReport& report : reports) header.cells.push_back(report.proxy);
  rows.push_back(std::move(header));
  if (first.requested == "latest") {
    Row version{"  version", {}};
    for (const ProxyReport& report : reports) {
      version.cells.push_back(report.version.empty() ? "-" : report.version);
    }
    rows.push_back(std::move(version));
  }
  for (std::size_t i = 0; i < first.files.size(); ++i) AddFileRows(reports, i, rows);
  Row limits{"  rate limit", {}};
  for (const ProxyReport& report : reports) limits.cells.push_back(RateLimitCell(report));
  if (std::any_of(limits.cells.begin(), limits.cells.end(),
                  [](const std::string& cell) { return cell != "-"; })) {
    rows.push_back(std::move(limits));
  }
  Row verdict{"  verdict", {}};
  for (const ProxyReport& report : reports) verdict.cells.push_back(report.verdict.summary);
  rows.push_back(std::move(verdict));

  std::string out =
      fmt::format("{}@{} (each request on a fresh connection)\n\n", first.module, first.requested);
  out += Render(rows);
  bool blank = false;
  for (const ProxyReport& report : reports) {
    if (report.verdict.detail.empty()) continue;
    if (!blank) out += "\n";
    blank = true;
    out += report.proxy + ": " + report.verdict.detail + "\n";
  }
  return out;
}

}  // namespace modproxy::probe
