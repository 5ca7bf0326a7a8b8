#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/thread_pool.hpp>

#include "modproxy/cache/answer.h"
#include "modproxy/cache/negative_cache.h"
#include "modproxy/cache/singleflight.h"
#include "modproxy/cache/upstream_fetcher.h"
#include "modproxy/protocol/request_path.h"
#include "modproxy/storage/storage.h"

namespace modproxy::sumdb {

struct SumdbServiceOptions {
  // The databases this proxy serves, by name, with where to reach each: a URL
  // from "--sumdb name+key URL", or "" to go through the first upstream
  // proxy's /sumdb/<name>/, like the go client. Empty (--sumdb off): every
  // /sumdb/ request is 404, and go clients talk to their database directly.
  std::map<std::string, std::string> databases;
  std::chrono::milliseconds latest_ttl{60000};
  // GONOSUMDB globs: lookups of matching module paths are refused (403), so
  // a private path never reaches a checksum database through this proxy.
  std::string nosumdb;
};

// Checksum-database passthrough (go-modules-reference.md §7.9): /supported is
// answered here, lookups and tiles are fetched once and cached for good (they
// never change), /latest is refreshed after latest_ttl and served stale when
// the database is unreachable, so go clients that check sums keep working
// offline. Verification of what passes through arrives with the integrity work.
class SumdbService {
 public:
  SumdbService(storage::Storage& storage, cache::UpstreamFetcher& fetcher,
               boost::asio::thread_pool& workers, metrics::ProxyMetrics& metrics,
               cache::NegativeCache& negative_cache, SumdbServiceOptions options);

  // `stale_ok` as in ModuleService::Get: false keeps a cache-only try from
  // serving a latest note past its TTL.
  boost::asio::awaitable<Result<cache::Answer>> Get(const protocol::SumdbRequest& request,
                                                    bool allow_fetch, bool stale_ok = true);

  // <database>/<rest> ("lookup/...", "tile/8/0/000.p/5") fetched from where
  // this service reaches database `name`, without caching it: for the
  // verifier, which caches only what it has verified. Blocking (worker
  // threads). kNotFound when `name` is not served here.
  Result<std::string> FetchUncached(const std::string& name, std::string_view rest);

 private:
  struct Fetched {
    std::shared_ptr<const std::string> body;
    bool stale = false;
  };

  Result<Fetched> Fetch(const protocol::SumdbRequest& request, const std::string& key);
  // Where requests for database `name` go; nullptr when not proxied here.
  upstream::Upstream* Source(const std::string& name) const;

  storage::Storage& storage_;
  cache::UpstreamFetcher& fetcher_;
  boost::asio::thread_pool& workers_;
  metrics::ProxyMetrics& metrics_;
  cache::NegativeCache& negative_cache_;
  SumdbServiceOptions options_;
  // Databases with their own URL.
  std::map<std::string, std::unique_ptr<upstream::Upstream>> direct_;
  cache::Singleflight<Result<Fetched>> flights_;
};

}  // namespace modproxy::sumdb
