#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/thread_pool.hpp>

#include "modproxy/cache/answer.h"
#include "modproxy/cache/hot_set.h"
#include "modproxy/cache/negative_cache.h"
#include "modproxy/cache/singleflight.h"
#include "modproxy/cache/sum_verifier.h"
#include "modproxy/cache/upstream_fetcher.h"
#include "modproxy/metrics/metrics.h"
#include "modproxy/protocol/request_path.h"
#include "modproxy/storage/storage.h"
#include "modproxy/upstream/upstream_chain.h"

namespace modproxy::cache {

struct ModuleServiceOptions {
  // How long @v/list and @latest are served from the cache before the
  // upstream is asked again.
  std::chrono::milliseconds list_ttl{60000};
  // No upstream can ever answer (the chain is "off"): the cache is the whole
  // truth, so cached lists and @latest are served as they are, never refreshed.
  bool upstream_off = false;
  // Memory for small cached files kept hot (HotSet); 0 turns it off.
  std::size_t hot_set_bytes = 64 * 1024 * 1024;
  // Checks fetched .mod and .zip hashes against the checksum database; null
  // when no database is configured (--sumdb off). The zip rules apply either way.
  SumVerifier* verifier = nullptr;
};

// The GOPROXY endpoints over the cache: storage first; a miss goes to the
// upstream chain once per key however many clients wait (singleflight), on the
// worker pool; what comes back is checked, stored atomically, then served.
// .info (canonical), .mod and .zip are immutable once cached. A fetched .mod
// or .zip is verified before it is stored or served: the module zip rules,
// then its h1 against the checksum database; its go.sum line is recorded
// beside the cache (SumKeyFor). @v/list and
// @latest are refreshed after list_ttl, merged with the versions already
// cached, and served stale (with a log line) when the upstream fails.
class ModuleService {
 public:
  ModuleService(storage::Storage& storage, UpstreamFetcher& fetcher,
                boost::asio::thread_pool& workers, metrics::ProxyMetrics& metrics,
                NegativeCache& negative_cache, ModuleServiceOptions options);

  // `allow_fetch` false (the Disable-Module-Fetch header) answers from the
  // cache only: kNotFound when absent, stale lists accepted.
  // Errors: kNotFound/kGone (404/410 upstream or nothing cached), kTimeout,
  // kUnavailable, kUpstreamInvalid (502), kStorage (503: a zip that could not
  // be stored; small files are served even when storing fails).
  // `may_stream`: the client can take a zip miss while it downloads (an
  // Answer with a stream, sent chunked); otherwise the answer waits until
  // the zip is verified and stored.
  // `stale_ok` false with `allow_fetch` false: from the cache only, and only
  // what is still fresh (a rate-limited client's free first try; a stale list
  // then costs a fetch instead of being served forever).
  boost::asio::awaitable<Result<Answer>> Get(const protocol::ModuleRequest& request,
                                             bool allow_fetch, bool may_stream = false,
                                             bool stale_ok = true);

  // Bytes of a zip miss held back from streaming readers until it verified.
  static constexpr std::uint64_t kZipHoldBackBytes = 64 * 1024;

 private:
  struct Fetched {
    std::shared_ptr<const std::string> body;  // null: read the stored object
    bool stale = false;
  };

  // A reader on the stored object; kNotFound when absent, kStorage when unreadable.
  Result<Answer> FromStorage(const std::string& key, bool cache_hit);
  Result<Fetched> FetchInfo(const protocol::ModuleRequest& request, const std::string& key);
  Result<Fetched> FetchMod(const protocol::ModuleRequest& request, const std::string& key);
  Result<Fetched> FetchZip(const protocol::ModuleRequest& request, const std::string& key,
                           ZipStream* stream);
  // A zip miss: one download per key on the workers, followed by every
  // client asking for it meanwhile (ZipStream).
  boost::asio::awaitable<Result<Answer>> GetZipMiss(const protocol::ModuleRequest& request,
                                                    const std::string& key, bool may_stream);
  Result<Fetched> FetchList(const protocol::ModuleRequest& request, const std::string& key);
  Result<Fetched> FetchLatest(const protocol::ModuleRequest& request, const std::string& key);
  // The h1 of a fetched .mod or .zip against the checksum database, with
  // metrics and an error-level log line for refusals; records the go.sum line.
  Result<void> VerifySum(const protocol::ModuleRequest& request, bool go_mod, std::string_view h1,
                         std::chrono::steady_clock::time_point started);
  // Stores a small body; a failure is logged and counted, never fatal.
  void StoreBestEffort(const std::string& key, std::string_view bytes);
  // Canonical, non-pseudo versions with a cached .info, .mod or .zip.
  std::vector<std::string> CachedVersions(const protocol::ModuleRequest& request);
  // CachedVersions plus the last list served: what to answer when the upstream fails.
  std::vector<std::string> StaleVersions(const protocol::ModuleRequest& request);
  // A list or @latest stored less than list_ttl ago.
  bool IsFresh(std::chrono::system_clock::time_point modified) const;
  // Whether a hot copy of a list or @latest may answer: it was read from
  // storage less than list_ttl ago (so changes on disk are seen), and the
  // stored object itself may be served.
  bool TrustHot(const HotSet::Entry& entry, bool need_fresh) const;
  // A stored hit becomes an in-memory answer and enters the hot set when it
  // is small (any endpoint: for a 20 KB zip, open/fstat/sendfile/close cost
  // more than a copy from memory); larger files keep their reader.
  Result<Answer> Promote(const std::string& key, Answer stored);

  storage::Storage& storage_;
  UpstreamFetcher& fetcher_;
  boost::asio::thread_pool& workers_;
  metrics::ProxyMetrics& metrics_;
  NegativeCache& negative_cache_;
  ModuleServiceOptions options_;
  Singleflight<Result<Fetched>> flights_;
  std::mutex streams_mu_;
  std::unordered_map<std::string, std::shared_ptr<ZipStream>> streams_;  // guarded
  HotSet hot_;
};

}  // namespace modproxy::cache
