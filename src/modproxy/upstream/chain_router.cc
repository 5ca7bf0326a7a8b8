#include "modproxy/upstream/chain_router.h"

#include <algorithm>

#include "modproxy/protocol/path_patterns.h"

namespace modproxy::upstream {
namespace {

bool IsOff(const UpstreamChain& chain) {
  return std::all_of(chain.links().begin(), chain.links().end(), [](const UpstreamChain::Link& l) {
    return l.entry.kind == protocol::UpstreamKind::kOff;
  });
}

}  // namespace

ChainRouter::ChainRouter(std::vector<Route> routes, UpstreamChain fallback)
    : routes_(std::move(routes)), fallback_(std::move(fallback)) {}

const UpstreamChain& ChainRouter::For(std::string_view module) const {
  for (const Route& route : routes_) {
    if (protocol::MatchPrefixPatterns(route.patterns, module)) return route.chain;
  }
  return fallback_;
}

bool ChainRouter::AllOff() const {
  return IsOff(fallback_) &&
         std::all_of(routes_.begin(), routes_.end(), [](const Route& r) { return IsOff(r.chain); });
}

}  // namespace modproxy::upstream
