#pragma once

#include <string>
#include <vector>

#include "modproxy/probe/fetcher.h"
#include "modproxy/probe/target.h"

// What probing one proxy found: the data the table and the JSON are made of.
// Every string in it is already redacted (no proxy credentials).
namespace modproxy::probe {

struct FileReport {
  ProbeFile file = ProbeFile::kInfo;
  std::string url;         // redacted; empty when skipped before the version was known
  bool attempted = false;  // false: skipped after an earlier failure
  FetchResult result;      // meaningful only when attempted
  std::string problem;     // why the answer is not usable; empty when it is
};

struct Verdict {
  bool usable = false;
  bool rate_limited = false;
  std::string summary;  // "ok", "rate limited (429, Retry-After: 30)", "unusable: ..."
  std::string detail;   // the full reason (error text, body excerpt); empty when usable
};

struct ProxyReport {
  std::string proxy;  // redacted URL
  std::string module;
  std::string requested;  // the version asked for: canonical or "latest"
  std::string version;    // the version probed; empty when @latest failed
  std::vector<FileReport> files;
  Verdict verdict;
};

}  // namespace modproxy::probe
