#pragma once

#include <chrono>

#include "modproxy/probe/fetcher.h"
#include "modproxy/probe/proxy_url.h"
#include "modproxy/probe/report.h"
#include "modproxy/probe/target.h"

namespace modproxy::probe {

// Probes one proxy: for "module@latest" asks /@latest first and probes the
// version it names; then fetches .info, .mod and .zip in that order, one
// request each, each with `timeout`. After a transport failure or a 429 the
// remaining files are skipped (marked not attempted): the proxy is unusable
// either way, and a rate-limited proxy should not be asked again at once.
// Every message in the report is redacted with `proxy`.
ProxyReport ProbeProxy(Fetcher& fetcher, const ProxyUrl& proxy, const ModuleTarget& target,
                       std::chrono::milliseconds timeout);

}  // namespace modproxy::probe
