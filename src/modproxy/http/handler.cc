#include "modproxy/http/handler.h"

#include <spdlog/spdlog.h>

#include "modproxy/http/status_mapping.h"
#include "modproxy/protocol/request_path.h"

namespace modproxy::http {
namespace {

using protocol::ModuleEndpoint;

constexpr const char* kImmutable = "public, max-age=31536000, immutable";

const char* ContentTypeFor(ModuleEndpoint endpoint) {
  switch (endpoint) {
    case ModuleEndpoint::kInfo:
    case ModuleEndpoint::kLatest:
      return "application/json";
    case ModuleEndpoint::kZip:
      return "application/zip";
    case ModuleEndpoint::kList:
    case ModuleEndpoint::kMod:
      break;
  }
  return "text/plain; charset=utf-8";
}

Response TextResponse(unsigned status, std::string text, std::string endpoint) {
  Response response;
  response.status = status;
  response.body = std::make_shared<const std::string>(std::move(text));
  response.endpoint = std::move(endpoint);
  response.cache_control = "no-store";
  return response;
}

void MoveBody(cache::Answer& answer, Response& response) {
  response.cache_hit = answer.cache_hit;
  response.body = std::move(answer.body);
  response.reader = std::move(answer.reader);
  response.stream = std::move(answer.stream);
}

// The endpoint label of a request refused before it was routed.
std::string EndpointOf(const protocol::ParsedRequest& parsed) {
  if (const auto* module = std::get_if<protocol::ModuleRequest>(&parsed)) {
    return protocol::EndpointName(module->endpoint);
  }
  if (std::holds_alternative<protocol::SumdbRequest>(parsed)) return "sumdb";
  return "metrics";  // the only operations endpoint that can be refused
}

std::string Who(const policy::Identity& identity) {
  return identity.authenticated() ? identity.name : identity.client_ip;
}

long long WholeSecondsUp(std::chrono::milliseconds ms) { return (ms.count() + 999) / 1000; }

// X-RateLimit-Limit is the burst, -Remaining the whole tokens left, -Reset
// the whole seconds until the bucket is full (the IETF draft's meaning).
void AddRateLimitHeaders(const policy::RateDecision& decision, Headers& headers) {
  headers.emplace_back("X-RateLimit-Limit",
                       std::to_string(static_cast<long long>(std::max(1.0, decision.limit))));
  headers.emplace_back("X-RateLimit-Remaining",
                       std::to_string(static_cast<long long>(std::max(0.0, decision.remaining))));
  headers.emplace_back("X-RateLimit-Reset", std::to_string(WholeSecondsUp(decision.reset)));
}

std::string RefusalText(const char* budget, const policy::Identity& identity,
                        const policy::RateDecision& decision) {
  return std::string(budget) + " exceeded for " + Who(identity) + "; retry in " +
         std::to_string(std::max(1LL, WholeSecondsUp(decision.retry_after))) + "s";
}

// Retry-After in whole seconds, at least 1 (0 would invite an instant retry).
void AddRetryAfter(std::chrono::milliseconds wait, Headers& headers) {
  headers.emplace_back("Retry-After", std::to_string(std::max(1LL, WholeSecondsUp(wait))));
}

Response RateLimitedResponse(const policy::RateDecision& decision, const char* budget,
                             const policy::Identity& identity, const char* endpoint,
                             Headers& headers) {
  Response response = ErrorResponse(
      MakeError(ErrorCode::kRateLimited, RefusalText(budget, identity, decision)), endpoint);
  AddRetryAfter(decision.retry_after, headers);
  response.extra_headers = std::move(headers);
  return response;
}

// The rate-limit headers ride on every answer of a limited client.
void AppendHeaders(Response& response, Headers& headers) {
  for (auto& header : headers) response.extra_headers.push_back(std::move(header));
}

}  // namespace

Response ErrorResponse(const Error& error, std::string endpoint) {
  std::string line = error.message;
  for (char& c : line) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  Response response = TextResponse(StatusFor(error.code), line + "\n", std::move(endpoint));
  response.error_reason = ReasonFor(error.code);
  response.cache_hit = false;
  return response;
}

Handler::Handler(cache::ModuleService& modules, sumdb::SumdbService& sumdb,
                 storage::Storage& storage, metrics::ProxyMetrics& metrics, HandlerOptions options,
                 policy::Gate* gate)
    : modules_(modules),
      sumdb_(sumdb),
      storage_(storage),
      metrics_(metrics),
      short_cache_control_("public, max-age=" + std::to_string(options.list_max_age.count())),
      gate_(gate) {}

boost::asio::awaitable<Response> Handler::Handle(const RequestView& request) {
  if (request.method != "GET" && request.method != "HEAD") {
    Response response = ErrorResponse(
        MakeError(ErrorCode::kMethodNotAllowed, "method " + request.method + " not allowed"),
        "other");
    response.extra_headers.emplace_back("Allow", "GET, HEAD");
    co_return response;
  }
  Result<protocol::ParsedRequest> parsed = protocol::ParseRequestTarget(request.target);
  if (!parsed) co_return ErrorResponse(parsed.error(), "other");
  const auto* ops = std::get_if<protocol::OpsEndpoint>(&*parsed);
  // Probes stay open whoever asks: an orchestrator has no token. So does
  // /metrics unless --metrics-auth.
  const bool probe = ops != nullptr && (*ops != protocol::OpsEndpoint::kMetrics ||
                                        (gate_ != nullptr && gate_->metrics_open()));

  // Anonymous, and no client IP: the server logs the peer's (nothing is
  // copied for a request that no policy looks at).
  policy::Identity identity;
  if (gate_ != nullptr && !probe) {
    Result<policy::Identity> who = gate_->Identify(
        {request.peer_ip, request.forwarded_for, request.authorization, request.certificate});
    if (!who) {
      Response response = ErrorResponse(who.error(), EndpointOf(*parsed));
      response.extra_headers.emplace_back("WWW-Authenticate", "Basic realm=\"modproxy\"");
      co_return response;
    }
    identity = std::move(*who);
  }

  Response response;
  const bool allow_fetch = !request.disable_fetch;
  if (auto* module = std::get_if<protocol::ModuleRequest>(&*parsed)) {
    response = co_await HandleModule(*module, allow_fetch, request.may_stream, identity);
  } else if (auto* sumdb = std::get_if<protocol::SumdbRequest>(&*parsed)) {
    response = co_await HandleSumdb(*sumdb, allow_fetch, identity);
  } else {
    response = HandleOps(*ops, identity);
  }
  response.identity = std::move(identity.name);
  response.client_ip = std::move(identity.client_ip);
  co_return response;
}

std::optional<Response> Handler::Admit(const policy::Identity& identity,
                                       std::string_view module_path, const char* endpoint,
                                       Headers& headers) {
  if (gate_ == nullptr) return std::nullopt;
  if (!module_path.empty()) {
    if (Result<void> allowed = gate_->MayRead(identity, module_path); !allowed) {
      return ErrorResponse(allowed.error(), endpoint);
    }
  }
  const policy::RateCheck check = gate_->TakeRequest(identity);
  if (!check.limited) return std::nullopt;
  AddRateLimitHeaders(check.decision, headers);
  if (check.decision.allowed) return std::nullopt;
  return RateLimitedResponse(check.decision, "request rate limit", identity, endpoint, headers);
}

boost::asio::awaitable<Result<cache::Answer>> Handler::GetWithinBudget(
    const policy::Identity& identity, bool allow_fetch, Headers& headers,
    std::shared_ptr<void>& hold,
    const std::function<boost::asio::awaitable<Result<cache::Answer>>(bool, bool)>& get) {
  if (gate_ == nullptr || !allow_fetch || !gate_->FetchesLimited(identity)) {
    Result<cache::Answer> answer = co_await get(allow_fetch, /*stale_ok=*/true);
    co_return answer;
  }
  // Hits cost no fetch: try the cache alone first (a stale list is a miss).
  Result<cache::Answer> cached = co_await get(false, /*stale_ok=*/false);
  if (cached || cached.error().code != ErrorCode::kNotFound) co_return cached;
  // The slot first: a request refused for it must not spend a fetch token.
  std::optional<policy::FetchSlots::Slot> slot = gate_->AcquireFetchSlot(identity);
  if (!slot) {
    AddRetryAfter(std::chrono::seconds(1), headers);
    co_return MakeError(ErrorCode::kRateLimited, "too many concurrent upstream fetches for " +
                                                     Who(identity) + "; retry in 1s");
  }
  const policy::RateCheck check = gate_->TakeFetch(identity);
  if (check.limited && !check.decision.allowed) {
    headers.clear();
    AddRateLimitHeaders(check.decision, headers);
    AddRetryAfter(check.decision.retry_after, headers);
    co_return MakeError(ErrorCode::kRateLimited,
                        RefusalText("fetch rate limit", identity, check.decision));
  }
  // An answer that went upstream shows the budget it spent.
  if (check.limited) {
    headers.clear();
    AddRateLimitHeaders(check.decision, headers);
  }
  // A zip miss streams on after Get returns: the slot lives until it is sent.
  hold = std::make_shared<policy::FetchSlots::Slot>(std::move(*slot));
  Result<cache::Answer> answer = co_await get(true, /*stale_ok=*/true);
  co_return answer;
}

boost::asio::awaitable<Response> Handler::HandleModule(const protocol::ModuleRequest& request,
                                                       bool allow_fetch, bool may_stream,
                                                       const policy::Identity& identity) {
  const char* endpoint = protocol::EndpointName(request.endpoint);
  Headers headers;
  if (std::optional<Response> refused = Admit(identity, request.module, endpoint, headers)) {
    co_return std::move(*refused);
  }
  std::shared_ptr<void> hold;
  Result<cache::Answer> answer = co_await GetWithinBudget(
      identity, allow_fetch, headers, hold, [&](bool fetch, bool stale_ok) {
        return modules_.Get(request, fetch, may_stream, stale_ok);
      });
  if (!answer) {
    Response response = ErrorResponse(answer.error(), endpoint);
    AppendHeaders(response, headers);
    co_return response;
  }
  Response response;
  response.endpoint = endpoint;
  response.content_type = ContentTypeFor(request.endpoint);
  response.cache_control = protocol::IsImmutable(request) ? kImmutable : short_cache_control_;
  MoveBody(*answer, response);
  response.extra_headers = std::move(headers);
  response.hold = std::move(hold);
  co_return response;
}

boost::asio::awaitable<Response> Handler::HandleSumdb(const protocol::SumdbRequest& request,
                                                      bool allow_fetch,
                                                      const policy::Identity& identity) {
  Headers headers;
  const std::string module = protocol::LookupModulePath(request).value_or("");
  if (std::optional<Response> refused = Admit(identity, module, "sumdb", headers)) {
    co_return std::move(*refused);
  }
  std::shared_ptr<void> hold;
  Result<cache::Answer> answer = co_await GetWithinBudget(
      identity, allow_fetch, headers, hold,
      [&](bool fetch, bool stale_ok) { return sumdb_.Get(request, fetch, stale_ok); });
  if (!answer) {
    Response response = ErrorResponse(answer.error(), "sumdb");
    AppendHeaders(response, headers);
    co_return response;
  }
  Response response;
  response.endpoint = "sumdb";
  if (request.endpoint == protocol::SumdbEndpoint::kTile) {
    response.content_type = "application/octet-stream";
  }
  response.cache_control = request.immutable ? kImmutable : short_cache_control_;
  MoveBody(*answer, response);
  response.extra_headers = std::move(headers);
  co_return response;
}

Response Handler::HandleOps(protocol::OpsEndpoint endpoint, const policy::Identity& identity) {
  switch (endpoint) {
    case protocol::OpsEndpoint::kHealthz:
      return TextResponse(200, "ok\n", "healthz");
    case protocol::OpsEndpoint::kReadyz: {
      Result<void> writable = storage_.CheckWritable();
      if (!writable) {
        spdlog::warn("readiness check failed: {}", writable.error().message);
        return TextResponse(503, "not ready: " + writable.error().message + "\n", "readyz");
      }
      return TextResponse(200, "ok\n", "readyz");
    }
    case protocol::OpsEndpoint::kMetrics: {
      if (gate_ != nullptr) {
        if (Result<void> allowed = gate_->MayReadMetrics(identity); !allowed) {
          Response refused = ErrorResponse(allowed.error(), "metrics");
          if (allowed.error().code == ErrorCode::kUnauthenticated) {
            refused.extra_headers.emplace_back("WWW-Authenticate", "Basic realm=\"modproxy\"");
          }
          return refused;
        }
      }
      Response response = TextResponse(200, metrics_.Render(), "metrics");
      response.content_type = "text/plain; version=0.0.4; charset=utf-8";
      return response;
    }
  }
  return TextResponse(404, "not found\n", "other");
}

}  // namespace modproxy::http
