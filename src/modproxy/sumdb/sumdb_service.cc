#include "modproxy/sumdb/sumdb_service.h"

#include <spdlog/spdlog.h>

#include "modproxy/cache/keys.h"
#include "modproxy/protocol/module_path.h"
#include "modproxy/protocol/path_patterns.h"

namespace modproxy::sumdb {
namespace {

using protocol::SumdbEndpoint;

// A hash tile of any other size than its path says is a truncated or foreign
// answer and must not be cached.
Result<void> CheckTileSize(const protocol::SumdbRequest& request, std::string_view body) {
  if (request.hash_tile_bytes == 0 || body.size() == request.hash_tile_bytes) return {};
  return MakeError(ErrorCode::kUpstreamInvalid, "checksum database tile " + request.rest + " has " +
                                                    std::to_string(body.size()) + " bytes, want " +
                                                    std::to_string(request.hash_tile_bytes));
}

}  // namespace

SumdbService::SumdbService(storage::Storage& storage, cache::UpstreamFetcher& fetcher,
                           boost::asio::thread_pool& workers, metrics::ProxyMetrics& metrics,
                           cache::NegativeCache& negative_cache, SumdbServiceOptions options)
    : storage_(storage),
      fetcher_(fetcher),
      workers_(workers),
      metrics_(metrics),
      negative_cache_(negative_cache),
      options_(std::move(options)) {
  for (const auto& [name, url] : options_.databases) {
    if (!url.empty()) {
      direct_[name] = upstream::MakeUpstream({protocol::UpstreamKind::kUrl, url, false});
    }
  }
}

upstream::Upstream* SumdbService::Source(const std::string& name) const {
  if (!options_.databases.count(name)) return nullptr;
  auto it = direct_.find(name);
  return it != direct_.end() ? it->second.get() : fetcher_.router().fallback().FirstProxy();
}

boost::asio::awaitable<Result<cache::Answer>> SumdbService::Get(
    const protocol::SumdbRequest& request, bool allow_fetch, bool stale_ok) {
  if (Source(request.name) == nullptr) {
    co_return MakeError(ErrorCode::kNotFound,
                        "not found: checksum database " + request.name + " is not proxied here");
  }
  if (!options_.nosumdb.empty()) {
    std::optional<std::string> module = protocol::LookupModulePath(request);
    if (module && protocol::MatchPrefixPatterns(options_.nosumdb, *module)) {
      co_return MakeError(ErrorCode::kForbidden,
                          "forbidden: " + *module +
                              " matches --nosumdb; modproxy never sends it to a checksum database");
    }
  }
  if (request.endpoint == SumdbEndpoint::kSupported) {
    cache::Answer answer;
    answer.cache_hit = true;
    answer.body = std::make_shared<const std::string>();
    co_return answer;
  }
  const std::string key = cache::KeyFor(request);
  Result<std::unique_ptr<storage::BlobReader>> reader = storage_.OpenRead(key);
  if (reader && (request.immutable || (!allow_fetch && stale_ok) ||
                 std::chrono::system_clock::now() - (*reader)->modified() < options_.latest_ttl)) {
    metrics_.cache_hits.With({"sumdb"}).Increment();
    cache::Answer answer;
    answer.cache_hit = true;
    answer.reader = std::move(*reader);
    co_return answer;
  }
  if (!allow_fetch) {
    co_return MakeError(ErrorCode::kNotFound, "not found: " + request.rest +
                                                  ": not in the cache, and fetching is disabled");
  }
  if (std::optional<Error> remembered = negative_cache_.Find(key)) co_return *remembered;
  metrics_.cache_misses.With({"sumdb"}).Increment();
  cache::Singleflight<Result<Fetched>>::Work work = [this, request, key]() {
    return Fetch(request, key);
  };
  Result<Fetched> fetched = co_await flights_.Do(key, workers_, work);
  if (!fetched) co_return fetched.error();
  if (fetched->stale) metrics_.stale_served.With({"sumdb"}).Increment();
  cache::Answer answer;
  answer.cache_hit = fetched->stale;
  answer.stale = fetched->stale;
  answer.body = fetched->body;
  co_return answer;
}

Result<std::string> SumdbService::FetchUncached(const std::string& name, std::string_view rest) {
  if (!options_.databases.count(name)) {
    return MakeError(ErrorCode::kNotFound,
                     "not found: checksum database " + name + " is not proxied here");
  }
  upstream::Upstream* source = Source(name);
  if (source == nullptr) {
    return MakeError(ErrorCode::kUnavailable, "checksum database " + name +
                                                  " has no URL, and there is no upstream proxy "
                                                  "to reach it through (give name+key URL)");
  }
  const std::string path =
      direct_.count(name) ? std::string(rest) : "sumdb/" + name + "/" + std::string(rest);
  return fetcher_.FetchSmall(*source, path, [](std::string_view) -> Result<void> { return {}; });
}

Result<SumdbService::Fetched> SumdbService::Fetch(const protocol::SumdbRequest& request,
                                                  const std::string& key) {
  // A database URL is the database's root; a proxy serves it under /sumdb/<name>/.
  const std::string path = direct_.count(request.name) ? request.rest : key;
  Result<std::string> body =
      fetcher_.FetchSmall(*Source(request.name), path,
                          [&request](std::string_view b) { return CheckTileSize(request, b); });
  if (!body) {
    const Error& error = body.error();
    if (IsNotFound(error)) {
      negative_cache_.Remember(key, error);
      return error;
    }
    if (request.endpoint == SumdbEndpoint::kLatest) {
      if (Result<std::string> stale = storage_.Get(key); stale) {
        spdlog::warn("serving stale checksum database latest for {}: {}", request.name,
                     error.message);
        // Restarts the TTL: clients get the cached head at once while the
        // database is unreachable, and it is retried once per TTL.
        if (Result<void> r = storage_.Put(key, *stale); !r) {
          metrics_.cache_write_failures.With({}).Increment();
        }
        return Fetched{std::make_shared<const std::string>(std::move(*stale)), true};
      }
    }
    return error;
  }
  if (Result<void> stored = storage_.Put(key, *body); !stored) {
    metrics_.cache_write_failures.With({}).Increment();
    spdlog::error("cache write {} failed, serving without caching: {}", key,
                  stored.error().message);
  }
  return Fetched{std::make_shared<const std::string>(std::move(*body)), false};
}

}  // namespace modproxy::sumdb
