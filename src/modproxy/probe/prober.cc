#include "modproxy/probe/prober.h"

#include <vector>

#include "modproxy/probe/checks.h"

namespace modproxy::probe {
namespace {

// Enough for any .info or .mod in practice; of a .zip only the magic and, for
// an error answer, the first line of its body are looked at.
constexpr std::size_t kKeepSmall = 1 << 20;
constexpr std::size_t kKeepZip = 512;

bool StopsProbing(const FileReport& report) {
  const FetchResult& r = report.result;
  return r.failure != TransportFailure::kNone || r.status == 429 ||
         (report.file == ProbeFile::kLatest && !report.problem.empty());
}

}  // namespace

ProxyReport ProbeProxy(Fetcher& fetcher, const ProxyUrl& proxy, const ModuleTarget& target,
                       std::chrono::milliseconds timeout) {
  ProxyReport report;
  report.proxy = proxy.shown;
  report.module = target.module;
  report.requested = target.version;
  if (!target.latest()) report.version = target.version;

  std::vector<ProbeFile> files = {ProbeFile::kInfo, ProbeFile::kMod, ProbeFile::kZip};
  if (target.latest()) files.insert(files.begin(), ProbeFile::kLatest);
  bool stopped = false;
  for (ProbeFile file : files) {
    FileReport f;
    f.file = file;
    Result<std::string> path = RequestPath(target, report.version, file);
    if (path) f.url = proxy.shown + *path;
    if (stopped || !path) {
      report.files.push_back(std::move(f));
      continue;
    }
    FetchRequest request;
    request.url = proxy.url + *path;
    request.timeout = timeout;
    request.keep_bytes = file == ProbeFile::kZip ? kKeepZip : kKeepSmall;
    f.attempted = true;
    f.result = fetcher.Fetch(request);
    f.result.error = proxy.Redact(f.result.error);
    f.problem = CheckAnswer(file, target.module, report.version, f.result);
    if (file == ProbeFile::kLatest && f.problem.empty()) {
      report.version = *LatestVersion(target.module, f.result);
    }
    stopped = StopsProbing(f);
    report.files.push_back(std::move(f));
  }
  report.verdict = Judge(report);
  return report;
}

}  // namespace modproxy::probe
