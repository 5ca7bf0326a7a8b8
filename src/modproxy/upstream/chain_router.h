#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "modproxy/upstream/upstream_chain.h"

namespace modproxy::upstream {

// Which upstream chain serves a module path (issue 5, design.md "policy:
// private-pattern routing"): the first route whose GOPRIVATE-syntax
// patterns match the path's leading elements, otherwise the default chain
// (--upstream). This is how a private path never reaches a public proxy.
class ChainRouter {
 public:
  struct Route {
    std::string patterns;  // comma-separated globs, as GOPRIVATE
    UpstreamChain chain;
  };

  ChainRouter(std::vector<Route> routes, UpstreamChain fallback);
  // One chain for every path (tests, and configurations without routes).
  explicit ChainRouter(UpstreamChain fallback) : ChainRouter({}, std::move(fallback)) {}

  const UpstreamChain& For(std::string_view module) const;
  // The --upstream chain: where checksum-database requests go.
  const UpstreamChain& fallback() const { return fallback_; }
  const std::vector<Route>& routes() const { return routes_; }
  // Whether every chain is "off": the cache is then the whole truth.
  bool AllOff() const;

 private:
  std::vector<Route> routes_;
  UpstreamChain fallback_;
};

}  // namespace modproxy::upstream
