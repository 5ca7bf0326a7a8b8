// Micro-benchmark of the whole request handler for the hottest case, a cached
// .info hit: target parsing, routing, the module service's storage lookup and
// building the Response (no sockets). It runs on the in-memory storage, so it
// shows the CPU cost the server adds on top of I/O.
#include <chrono>
#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <benchmark/benchmark.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/thread_pool.hpp>

#include "modproxy/cache/module_service.h"
#include "modproxy/cache/negative_cache.h"
#include "modproxy/cache/upstream_fetcher.h"
#include "modproxy/http/handler.h"
#include "modproxy/metrics/metrics.h"
#include "modproxy/storage/storage.h"
#include "modproxy/sumdb/sumdb_service.h"
#include "modproxy/upstream/upstream_chain.h"

namespace modproxy::http {
namespace {

using namespace std::chrono_literals;

// The object graph of `modproxy serve` with no upstream (every miss is a 404)
// and one cached module version.
struct CachedHitFixture {
  CachedHitFixture() {
    (void)storage->Put("example.com/bench/m0001/@v/v1.0.3.info",
                       R"({"Version":"v1.0.3","Time":"2024-01-01T00:00:00Z"})");
    (void)storage->Put("example.com/bench/m0001/@v/v1.0.3.mod",
                       "module example.com/bench/m0001\n\ngo 1.19\n");
  }
  ~CachedHitFixture() { workers.join(); }

  std::unique_ptr<storage::Storage> storage = storage::NewMemoryStorage();
  upstream::UpstreamChain chain{std::vector<upstream::UpstreamChain::Link>{}};
  metrics::ProxyMetrics metrics;
  cache::UpstreamFetcher fetcher{chain, metrics, cache::FetcherOptions{}};
  boost::asio::thread_pool workers{1};
  cache::NegativeCache negative{30s, [] { return std::chrono::steady_clock::now(); }};
  cache::ModuleService modules{*storage, fetcher,  workers,
                               metrics,  negative, cache::ModuleServiceOptions{}};
  sumdb::SumdbService sumdb{*storage, fetcher,  workers,
                            metrics,  negative, sumdb::SumdbServiceOptions{}};
  Handler handler{modules, sumdb, *storage, metrics, HandlerOptions{}};
};

// One io_context reused across iterations, as a server's event loop is: each
// iteration spawns the handler coroutine and runs the loop until it is done.
Response HandleOnce(boost::asio::io_context& loop, Handler& handler, const RequestView& request) {
  std::optional<Response> out;
  auto task = [&]() -> boost::asio::awaitable<void> {
    out.emplace(co_await handler.Handle(request));
  };
  boost::asio::co_spawn(loop, task(), [](std::exception_ptr e) {
    if (e) std::rethrow_exception(e);
  });
  loop.run();
  loop.restart();
  return std::move(*out);
}

void BM_HandleCachedInfo(benchmark::State& state) {
  CachedHitFixture fixture;
  boost::asio::io_context loop;
  const RequestView request{"GET", "/example.com/bench/m0001/@v/v1.0.3.info", false};
  if (HandleOnce(loop, fixture.handler, request).status != 200) {
    state.SkipWithError("the cached .info was not a 200");
    return;
  }
  for (auto _ : state) {
    Response response = HandleOnce(loop, fixture.handler, request);
    benchmark::DoNotOptimize(response);
  }
}
BENCHMARK(BM_HandleCachedInfo);

// The same for a request that fails parsing (a 400): the floor of the handler.
void BM_HandleBadTarget(benchmark::State& state) {
  CachedHitFixture fixture;
  boost::asio::io_context loop;
  const RequestView request{"GET", "/example.com/bench/M0001/@v/v1.0.3.info", false};
  for (auto _ : state) {
    Response response = HandleOnce(loop, fixture.handler, request);
    benchmark::DoNotOptimize(response);
  }
}
BENCHMARK(BM_HandleBadTarget);

}  // namespace
}  // namespace modproxy::http
