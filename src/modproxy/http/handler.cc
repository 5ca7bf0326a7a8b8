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
                 storage::Storage& storage, metrics::ProxyMetrics& metrics, HandlerOptions options)
    : modules_(modules),
      sumdb_(sumdb),
      storage_(storage),
      metrics_(metrics),
      short_cache_control_("public, max-age=" + std::to_string(options.list_max_age.count())) {}

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
  const bool allow_fetch = !request.disable_fetch;
  if (auto* module = std::get_if<protocol::ModuleRequest>(&*parsed)) {
    Response response = co_await HandleModule(*module, allow_fetch, request.may_stream);
    co_return response;
  }
  if (auto* sumdb = std::get_if<protocol::SumdbRequest>(&*parsed)) {
    Response response = co_await HandleSumdb(*sumdb, allow_fetch);
    co_return response;
  }
  co_return HandleOps(std::get<protocol::OpsEndpoint>(*parsed));
}

boost::asio::awaitable<Response> Handler::HandleModule(const protocol::ModuleRequest& request,
                                                       bool allow_fetch, bool may_stream) {
  const char* endpoint = protocol::EndpointName(request.endpoint);
  Result<cache::Answer> answer = co_await modules_.Get(request, allow_fetch, may_stream);
  if (!answer) {
    co_return ErrorResponse(answer.error(), endpoint);
  }
  Response response;
  response.endpoint = endpoint;
  response.content_type = ContentTypeFor(request.endpoint);
  response.cache_control = protocol::IsImmutable(request) ? kImmutable : short_cache_control_;
  MoveBody(*answer, response);
  co_return response;
}

boost::asio::awaitable<Response> Handler::HandleSumdb(const protocol::SumdbRequest& request,
                                                      bool allow_fetch) {
  Result<cache::Answer> answer = co_await sumdb_.Get(request, allow_fetch);
  if (!answer) {
    co_return ErrorResponse(answer.error(), "sumdb");
  }
  Response response;
  response.endpoint = "sumdb";
  if (request.endpoint == protocol::SumdbEndpoint::kTile) {
    response.content_type = "application/octet-stream";
  }
  response.cache_control = request.immutable ? kImmutable : short_cache_control_;
  MoveBody(*answer, response);
  co_return response;
}

Response Handler::HandleOps(protocol::OpsEndpoint endpoint) {
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
      Response response = TextResponse(200, metrics_.Render(), "metrics");
      response.content_type = "text/plain; version=0.0.4; charset=utf-8";
      return response;
    }
  }
  return TextResponse(404, "not found\n", "other");
}

}  // namespace modproxy::http
