#pragma once

#include <string>
#include <string_view>

#include "modproxy/cache/zip_stream.h"
#include "modproxy/metrics/metrics.h"
#include "modproxy/storage/storage.h"
#include "modproxy/upstream/chain_router.h"

namespace modproxy::cache {

struct FetcherOptions {
  upstream::FetchOptions small;  // list, info, mod, latest, sumdb
  upstream::FetchOptions large;  // zips
};

// Runs fetches through an upstream (or the chain that serves a module path),
// with metrics and a log line for each failed attempt. Blocking: worker
// threads only.
class UpstreamFetcher {
 public:
  UpstreamFetcher(const upstream::ChainRouter& router, metrics::ProxyMetrics& metrics,
                  FetcherOptions options);

  // One small body from `upstream`, checked by `check` (which may turn a 200
  // into kUpstreamInvalid, so that '|' falls through past a broken proxy).
  Result<std::string> FetchSmall(upstream::Upstream& upstream, std::string_view path,
                                 const std::function<Result<void>(std::string_view)>& check);
  // The chain version of FetchSmall, through the chain that serves `module`.
  Result<std::string> ChainSmall(std::string_view module, std::string_view path,
                                 const std::function<Result<void>(std::string_view)>& check);
  // Streams a large body through the chain into a fresh writer per attempt;
  // `check` runs on the staged file before Commit(), given the upstream that
  // sent it (its errors pass through as they are: name the upstream in
  // them). kStorage when storing fails. `stream` (optional) follows each
  // attempt, for clients reading the body while it arrives.
  using StagedCheck =
      std::function<Result<void>(const std::string& staged, const std::string& upstream_name)>;
  Result<void> ChainToStorage(std::string_view module, std::string_view path,
                              storage::Storage& storage, const std::string& key,
                              const StagedCheck& check, ZipStream* stream = nullptr);

  const upstream::ChainRouter& router() const { return router_; }

 private:
  // Wraps one upstream call with the in-flight gauge, duration and result metrics.
  Result<void> Measured(upstream::Upstream& upstream, std::string_view path,
                        const std::function<Result<void>()>& call);

  const upstream::ChainRouter& router_;
  metrics::ProxyMetrics& metrics_;
  FetcherOptions options_;
};

}  // namespace modproxy::cache
