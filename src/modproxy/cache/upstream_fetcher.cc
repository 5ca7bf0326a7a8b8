#include "modproxy/cache/upstream_fetcher.h"

#include <chrono>

#include <spdlog/spdlog.h>

namespace modproxy::cache {
namespace {

const char* ResultLabel(const Result<void>& r) {
  if (r) return "ok";
  if (IsNotFound(r.error())) {
    return "not_found";
  }
  return "error";
}

}  // namespace

UpstreamFetcher::UpstreamFetcher(const upstream::ChainRouter& router,
                                 metrics::ProxyMetrics& metrics, FetcherOptions options)
    : router_(router), metrics_(metrics), options_(options) {}

Result<void> UpstreamFetcher::Measured(upstream::Upstream& upstream, std::string_view path,
                                       const std::function<Result<void>()>& call) {
  metrics::Gauge& in_flight = metrics_.fetches_in_flight.With({});
  in_flight.Add(1);
  const auto start = std::chrono::steady_clock::now();
  Result<void> r = call();
  const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start;
  in_flight.Add(-1);
  metrics_.upstream_duration.With({}).Observe(elapsed.count());
  metrics_.upstream_fetches.With({ResultLabel(r)}).Increment();
  if (!r && std::string_view(ResultLabel(r)) == "error") {
    spdlog::warn("upstream {} failed for {}: {}", upstream.name(), path, r.error().message);
  }
  return r;
}

Result<std::string> UpstreamFetcher::FetchSmall(
    upstream::Upstream& upstream, std::string_view path,
    const std::function<Result<void>(std::string_view)>& check) {
  std::string body;
  Result<void> r = Measured(upstream, path, [&]() -> Result<void> {
    Result<std::string> fetched = upstream::FetchToString(upstream, path, options_.small);
    if (!fetched) return fetched.error();
    if (Result<void> ok = check(*fetched); !ok) {
      return MakeError(ok.error().code, ok.error().message + " (from " + upstream.name() + ")");
    }
    body = std::move(*fetched);
    return {};
  });
  if (!r) return r.error();
  return body;
}

Result<std::string> UpstreamFetcher::ChainSmall(
    std::string_view module, std::string_view path,
    const std::function<Result<void>(std::string_view)>& check) {
  std::string body;
  Result<void> r = router_.For(module).Try([&](upstream::Upstream& upstream) -> Result<void> {
    Result<std::string> fetched = FetchSmall(upstream, path, check);
    if (!fetched) return fetched.error();
    body = std::move(*fetched);
    return {};
  });
  if (!r) return r.error();
  return body;
}

Result<void> UpstreamFetcher::ChainToStorage(std::string_view module, std::string_view path,
                                             storage::Storage& storage, const std::string& key,
                                             const StagedCheck& check, ZipStream* stream) {
  return router_.For(module).Try([&](upstream::Upstream& upstream) -> Result<void> {
    Result<void> attempt = Measured(upstream, path, [&]() -> Result<void> {
      // A fresh writer per attempt: a failed upstream may have sent part of a body.
      Result<std::unique_ptr<storage::BlobWriter>> writer = storage.OpenWrite(key);
      if (!writer) return MakeError(ErrorCode::kStorage, writer.error().message);
      storage::BlobWriter& w = **writer;
      if (stream != nullptr) stream->Begin(w.staging_path());
      Result<void> fetched = upstream.Fetch(
          path, options_.large, [&w, stream](std::string_view chunk) -> Result<void> {
            Result<void> written = w.Write(chunk);
            if (!written) return MakeError(ErrorCode::kStorage, written.error().message);
            if (stream != nullptr) stream->Wrote(w.bytes_written());
            return {};
          });
      if (!fetched) return fetched;
      if (Result<void> ok = check(w.staging_path(), upstream.name()); !ok) return ok;
      if (Result<void> committed = w.Commit(); !committed) {
        return MakeError(ErrorCode::kStorage, committed.error().message);
      }
      return {};
    });
    if (!attempt && stream != nullptr) stream->AttemptFailed(attempt.error());
    return attempt;
  });
}

}  // namespace modproxy::cache
