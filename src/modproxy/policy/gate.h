#pragma once

#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "modproxy/core/result.h"
#include "modproxy/policy/auth_table.h"
#include "modproxy/policy/client_ip.h"
#include "modproxy/policy/fetch_slots.h"
#include "modproxy/policy/identity.h"
#include "modproxy/policy/limits.h"
#include "modproxy/policy/rate_limiter.h"

// The policy step of a request (design.md: "policy (auth, rate limit)"):
// who is asking, may they read this path, and may they ask now.
namespace modproxy::policy {

struct GateOptions {
  // Requests without credentials get 401 (an auth file without
  // --allow-anonymous). Wrong credentials are a 401 always.
  bool credentials_required = false;
  bool metrics_auth = false;  // /metrics only for identities with metrics = true
  LimitsConfig limits;
  TrustedProxies trusted_proxies;
};

// What a request shows of its sender.
struct Credentials {
  std::string_view peer_ip;
  std::string_view forwarded_for;  // X-Forwarded-For, several headers joined by ','
  std::string_view authorization;  // the Authorization header, "" when absent
  const CertificateSubject* certificate = nullptr;  // verified client certificate
};

// A rate-limit verdict and the budget it came from (headers are sent only
// for limited budgets).
struct RateCheck {
  bool limited = false;  // the budget has a rate; false: unlimited, no headers
  RateDecision decision;
};

class Gate {
 public:
  // `auth` may be null (no auth file). `limiter` and `slots` outlive the gate.
  Gate(GateOptions options, std::shared_ptr<const AuthTable> auth, RateLimiter& limiter,
       FetchSlots& slots);

  // Swaps the auth file's table (SIGHUP); requests in flight keep the old one.
  void SetAuthTable(std::shared_ptr<const AuthTable> auth);

  // The request's identity: a token (Authorization) wins over a client
  // certificate; neither is anonymous. kUnauthenticated for credentials that
  // do not check out, or none when credentials are required.
  Result<Identity> Identify(const Credentials& credentials) const;

  // kForbidden when the identity's allow/deny rules exclude `module_path`.
  Result<void> MayRead(const Identity& identity, std::string_view module_path) const;
  // kUnauthenticated / kForbidden under --metrics-auth.
  Result<void> MayReadMetrics(const Identity& identity) const;
  // Without --metrics-auth, /metrics is open like the probes.
  bool metrics_open() const { return !options_.metrics_auth; }

  // One token of the identity's request budget (every protocol request).
  RateCheck TakeRequest(const Identity& identity);
  // Whether misses of this identity are budgeted at all (a fetch rate or a
  // concurrent-fetch cap); when not, requests skip the cache-only first try.
  bool FetchesLimited(const Identity& identity) const;
  // One token of the fetch budget (a request that must go upstream).
  RateCheck TakeFetch(const Identity& identity);
  // A place among the identity's concurrent fetches; nullopt at the cap.
  std::optional<FetchSlots::Slot> AcquireFetchSlot(const Identity& identity);

 private:
  std::shared_ptr<const AuthTable> Auth() const { return auth_.load(); }

  GateOptions options_;
  std::atomic<std::shared_ptr<const AuthTable>> auth_;
  RateLimiter& limiter_;
  FetchSlots& slots_;
};

}  // namespace modproxy::policy
