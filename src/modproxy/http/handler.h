#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "modproxy/cache/module_service.h"
#include "modproxy/http/response.h"
#include "modproxy/metrics/metrics.h"
#include "modproxy/policy/gate.h"
#include "modproxy/storage/storage.h"
#include "modproxy/sumdb/sumdb_service.h"

namespace modproxy::http {

struct RequestView {
  std::string method;          // "GET", "HEAD", ...
  std::string target;          // raw request target
  bool disable_fetch = false;  // Disable-Module-Fetch: true
  // A GET over HTTP/1.1: a zip miss may be sent chunked while it downloads.
  bool may_stream = false;
  // Who is asking (issue 6): the TCP peer, its X-Forwarded-For list, its
  // Authorization header, and its verified client certificate (or null).
  // Views into the connection and the parsed request, which outlive Handle:
  // a cache hit copies none of them.
  std::string_view peer_ip;
  std::string forwarded_for;  // several headers joined, so owned
  std::string_view authorization;
  const policy::CertificateSubject* certificate = nullptr;
};

struct HandlerOptions {
  std::chrono::seconds list_max_age{60};  // Cache-Control of lists and @latest
};

// Routes one request to the module service, the checksum-database service
// or the operations endpoints, and turns every outcome into a Response:
// content types, caching headers, X-Go-Proxy-Cache-Hit, one-line error bodies.
using Headers = std::vector<std::pair<std::string, std::string>>;

class Handler {
 public:
  // `gate` decides who may ask what, and how often; null lets everyone in.
  Handler(cache::ModuleService& modules, sumdb::SumdbService& sumdb, storage::Storage& storage,
          metrics::ProxyMetrics& metrics, HandlerOptions options, policy::Gate* gate = nullptr);

  boost::asio::awaitable<Response> Handle(const RequestView& request);

 private:
  boost::asio::awaitable<Response> HandleModule(const protocol::ModuleRequest& request,
                                                bool allow_fetch, bool may_stream,
                                                const policy::Identity& identity);
  boost::asio::awaitable<Response> HandleSumdb(const protocol::SumdbRequest& request,
                                               bool allow_fetch, const policy::Identity& identity);
  Response HandleOps(protocol::OpsEndpoint endpoint, const policy::Identity& identity);
  // Admission of a protocol or sumdb request: the path rules and the request
  // budget. nullopt lets it in; `headers` gets the X-RateLimit-* headers.
  std::optional<Response> Admit(const policy::Identity& identity, std::string_view module_path,
                                const char* endpoint, Headers& headers);
  // Runs `get(allow_fetch, stale_ok)` as the fetch budget allows: from the
  // cache only first (fresh answers only), and upstream when the identity's
  // fetch budget and fetch slots allow.
  // `hold` keeps a fetch slot until the response is sent.
  boost::asio::awaitable<Result<cache::Answer>> GetWithinBudget(
      const policy::Identity& identity, bool allow_fetch, Headers& headers,
      std::shared_ptr<void>& hold,
      const std::function<boost::asio::awaitable<Result<cache::Answer>>(bool, bool)>& get);

  cache::ModuleService& modules_;
  sumdb::SumdbService& sumdb_;
  storage::Storage& storage_;
  metrics::ProxyMetrics& metrics_;
  // Cache-Control of answers that may change (lists, @latest, sumdb latest).
  std::string short_cache_control_;
  policy::Gate* gate_;
};

// A one-line text/plain error response (the go command prints the body).
Response ErrorResponse(const Error& error, std::string endpoint);

}  // namespace modproxy::http
