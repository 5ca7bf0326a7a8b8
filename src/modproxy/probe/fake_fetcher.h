#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "modproxy/probe/fetcher.h"

// Test-only: a Fetcher that answers from a table, for the prober and the
// formatting tests.
namespace modproxy::probe::testing {

// Plain HTTP on loopback: 0.1 ms DNS, 0.2 ms connect, request sent at 0.4 ms,
// first byte at 1 ms,
// done at 2 ms.
inline Milestones LoopbackTimes() { return Milestones{100, 300, 0, 400, 1000, 2000}; }

inline FetchResult Answer(long status, std::string body,
                          std::map<std::string, std::string> headers = {},
                          Milestones times = LoopbackTimes()) {
  FetchResult r;
  r.status = status;
  r.body_bytes = body.size();
  r.body = std::move(body);
  r.headers = std::move(headers);
  r.times = times;
  return r;
}

inline FetchResult Failure(TransportFailure failure, std::string error, Milestones times = {}) {
  FetchResult r;
  r.failure = failure;
  r.error = std::move(error);
  r.times = times;
  return r;
}

class FakeFetcher final : public Fetcher {
 public:
  // Answers requests for `url` (exactly) with `result`; unknown URLs get 404.
  void Set(const std::string& url, FetchResult result) { answers_[url] = std::move(result); }

  FetchResult Fetch(const FetchRequest& request) override {
    requests_.push_back(request);
    auto it = answers_.find(request.url);
    if (it == answers_.end()) return Answer(404, "not found");
    FetchResult r = it->second;
    if (r.body.size() > request.keep_bytes) r.body.resize(request.keep_bytes);
    return r;
  }

  const std::vector<FetchRequest>& requests() const { return requests_; }

 private:
  std::map<std::string, FetchResult> answers_;
  std::vector<FetchRequest> requests_;
};

// The three good answers for example.com/m@v1.0.0 under `base`.
inline void ServeGoodModule(FakeFetcher& fetcher, const std::string& base,
                            std::map<std::string, std::string> headers = {}) {
  const std::string prefix = base + "/example.com/m/@v/v1.0.0";
  fetcher.Set(prefix + ".info",
              Answer(200, R"({"Version":"v1.0.0","Time":"2023-01-01T00:00:00Z"})", headers));
  fetcher.Set(prefix + ".mod", Answer(200, "module example.com/m\n", headers));
  fetcher.Set(prefix + ".zip",
              Answer(200, std::string("PK\x03\x04", 4) + std::string(2044, 'z'), headers));
}

}  // namespace modproxy::probe::testing
