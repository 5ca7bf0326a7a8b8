#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "modproxy/core/result.h"
#include "modproxy/direct/meta_fetcher.h"
#include "modproxy/vcs/repo_root.h"

// Module path -> git repository, the way the go command's
// RepoRootForImportPath does it (go-modules-reference.md §8.1), with the
// operator's rewrite rules first: they are how hosts without go-import pages
// (or reachable only by another URL) are served.
namespace modproxy::direct {

struct RepoLocation {
  std::string root;  // the import-path prefix that is the repository root
  // Where to fetch it, tried in order until one answers (the go command
  // probes schemes for ".git" paths); one entry otherwise.
  std::vector<std::string> urls;
  // From the operator's [[rewrite]] rules: fetched wherever they point, as
  // --private paths are (the egress policy guards against module paths
  // anyone may make up, not against the operator's own configuration).
  bool operator_configured = false;
};

struct RepoResolverOptions {
  std::vector<vcs::RewriteRule> rewrites;
  std::string private_patterns;  // --private: discovery may reach internal hosts
  std::string insecure;          // --insecure: discovery may use plain http
  std::chrono::milliseconds ttl{std::chrono::minutes(5)};  // how long an answer is reused
};

class RepoResolver {
 public:
  RepoResolver(RepoResolverOptions options, MetaFetcher& meta);

  // kNotFound when no rule, table entry or go-import tag names a repository
  // (the go command's "unrecognized import path"); kUnavailable, kTimeout,
  // kForbidden or kUpstreamInvalid when discovery failed.
  Result<RepoLocation> Resolve(std::string_view module);

 private:
  Result<RepoLocation> ResolveUncached(const std::string& module);
  Result<RepoLocation> Discover(const std::string& module);

  RepoResolverOptions options_;
  MetaFetcher& meta_;
  struct Cached {
    RepoLocation location;
    std::chrono::steady_clock::time_point at;
  };
  std::mutex mu_;
  std::map<std::string, Cached> cache_;  // guarded by mu_; successes only
};

}  // namespace modproxy::direct
