#pragma once

#include "modproxy/core/result.h"

namespace modproxy::http {

// The one place where ErrorCode becomes an HTTP status (design.md): 404/410
// not found, 400 bad request, 502 for every upstream failure, 503 when the
// cache cannot store what it fetched. 500 only for kInternal (a bug).
unsigned StatusFor(ErrorCode code);

// The reason label of modproxy_request_errors_total.
const char* ReasonFor(ErrorCode code);

}  // namespace modproxy::http
