#include "modproxy/http/status_mapping.h"

namespace modproxy::http {

unsigned StatusFor(ErrorCode code) {
  switch (code) {
    case ErrorCode::kNotFound:
      return 404;
    case ErrorCode::kGone:
      return 410;
    case ErrorCode::kInvalidArgument:
      return 400;
    case ErrorCode::kUnauthenticated:
      return 401;
    case ErrorCode::kForbidden:
    case ErrorCode::kIntegrity:
      return 403;
    case ErrorCode::kMethodNotAllowed:
      return 405;
    case ErrorCode::kRateLimited:
      return 429;
    case ErrorCode::kTimeout:
    case ErrorCode::kUnavailable:
    case ErrorCode::kUpstreamInvalid:
      return 502;
    case ErrorCode::kStorage:
      return 503;
    case ErrorCode::kInternal:
      return 500;
  }
  return 500;
}

const char* ReasonFor(ErrorCode code) {
  switch (code) {
    case ErrorCode::kNotFound:
    case ErrorCode::kGone:
      return "not_found";
    case ErrorCode::kInvalidArgument:
      return "bad_request";
    case ErrorCode::kMethodNotAllowed:
      return "method_not_allowed";
    case ErrorCode::kRateLimited:
      return "rate_limited";
    case ErrorCode::kTimeout:
      return "upstream_timeout";
    case ErrorCode::kUnauthenticated:
      return "unauthenticated";
    case ErrorCode::kForbidden:
      return "forbidden";
    case ErrorCode::kIntegrity:
      return "integrity";
    case ErrorCode::kUnavailable:
      return "upstream_error";
    case ErrorCode::kUpstreamInvalid:
      return "upstream_invalid";
    case ErrorCode::kStorage:
      return "storage";
    case ErrorCode::kInternal:
      return "internal";
  }
  return "internal";
}

}  // namespace modproxy::http
