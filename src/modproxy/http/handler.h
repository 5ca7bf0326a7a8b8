#pragma once

#include <string>

#include <boost/asio/awaitable.hpp>

#include "modproxy/cache/module_service.h"
#include "modproxy/http/response.h"
#include "modproxy/metrics/metrics.h"
#include "modproxy/storage/storage.h"
#include "modproxy/sumdb/sumdb_service.h"

namespace modproxy::http {

struct RequestView {
  std::string method;          // "GET", "HEAD", ...
  std::string target;          // raw request target
  bool disable_fetch = false;  // Disable-Module-Fetch: true
  // A GET over HTTP/1.1: a zip miss may be sent chunked while it downloads.
  bool may_stream = false;
};

struct HandlerOptions {
  std::chrono::seconds list_max_age{60};  // Cache-Control of lists and @latest
};

// Routes one request to the module service, the checksum-database service
// or the operations endpoints, and turns every outcome into a Response:
// content types, caching headers, X-Go-Proxy-Cache-Hit, one-line error bodies.
class Handler {
 public:
  Handler(cache::ModuleService& modules, sumdb::SumdbService& sumdb, storage::Storage& storage,
          metrics::ProxyMetrics& metrics, HandlerOptions options);

  boost::asio::awaitable<Response> Handle(const RequestView& request);

 private:
  boost::asio::awaitable<Response> HandleModule(const protocol::ModuleRequest& request,
                                                bool allow_fetch, bool may_stream);
  boost::asio::awaitable<Response> HandleSumdb(const protocol::SumdbRequest& request,
                                               bool allow_fetch);
  Response HandleOps(protocol::OpsEndpoint endpoint);

  cache::ModuleService& modules_;
  sumdb::SumdbService& sumdb_;
  storage::Storage& storage_;
  metrics::ProxyMetrics& metrics_;
  // Cache-Control of answers that may change (lists, @latest, sumdb latest).
  std::string short_cache_control_;
};

// A one-line text/plain error response (the go command prints the body).
Response ErrorResponse(const Error& error, std::string endpoint);

}  // namespace modproxy::http
