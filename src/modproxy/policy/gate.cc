#include "modproxy/policy/gate.h"

namespace modproxy::policy {
namespace {

// Budgets of the two kinds share the limiter under different keys.
std::string FetchKey(const Identity& identity) { return "fetch:" + identity.RateKey(); }

// The auth-file rules of a certificate identity: by CN, then by any SAN.
const AuthEntry* CertificateRules(const AuthTable& table, const Identity& identity) {
  if (const AuthEntry* entry = table.FindByName(identity.name)) return entry;
  for (const std::string& alias : identity.aliases) {
    if (const AuthEntry* entry = table.FindByName(alias)) return entry;
  }
  return nullptr;
}

}  // namespace

Gate::Gate(GateOptions options, std::shared_ptr<const AuthTable> auth, RateLimiter& limiter,
           FetchSlots& slots)
    : options_(std::move(options)), auth_(std::move(auth)), limiter_(limiter), slots_(slots) {}

void Gate::SetAuthTable(std::shared_ptr<const AuthTable> auth) { auth_.store(std::move(auth)); }

Result<Identity> Gate::Identify(const Credentials& credentials) const {
  Identity identity;
  identity.client_ip =
      ClientIp(credentials.peer_ip, credentials.forwarded_for, options_.trusted_proxies);
  std::shared_ptr<const AuthTable> auth = Auth();
  // Without an auth file there is nothing to check a token against: the
  // header is ignored, as it is when no policy is configured at all (a
  // developer's .netrc may well name this host for other reasons).
  if (auth && !credentials.authorization.empty()) {
    Result<PresentedCredentials> presented = ParseAuthorization(credentials.authorization);
    if (!presented) return presented.error();
    Result<const AuthEntry*> entry = Authenticate(*auth, *presented);
    if (!entry) return entry.error();
    identity.kind = Identity::Kind::kToken;
    identity.name = (*entry)->name;
    return identity;
  }
  if (credentials.certificate != nullptr) {
    const CertificateSubject& subject = *credentials.certificate;
    identity.kind = Identity::Kind::kCertificate;
    identity.name = !subject.common_name.empty() ? subject.common_name : subject.sans.front();
    identity.aliases = subject.sans;
    return identity;
  }
  if (options_.credentials_required) {
    return MakeError(ErrorCode::kUnauthenticated,
                     "authentication required: send a token (Authorization: Bearer, or basic auth "
                     "from .netrc)");
  }
  return identity;
}

Result<void> Gate::MayRead(const Identity& identity, std::string_view module_path) const {
  std::shared_ptr<const AuthTable> auth = Auth();
  if (!auth || !identity.authenticated()) return {};
  const AuthEntry* rules = identity.kind == Identity::Kind::kToken
                               ? auth->FindByName(identity.name)
                               : CertificateRules(*auth, identity);
  if (MayAccess(rules, module_path)) return {};
  return MakeError(ErrorCode::kForbidden,
                   "access to " + std::string(module_path) + " denied for " + identity.name);
}

Result<void> Gate::MayReadMetrics(const Identity& identity) const {
  if (!options_.metrics_auth) return {};
  if (!identity.authenticated()) {
    return MakeError(ErrorCode::kUnauthenticated, "/metrics needs credentials");
  }
  std::shared_ptr<const AuthTable> auth = Auth();
  const AuthEntry* rules = nullptr;
  if (auth) {
    rules = identity.kind == Identity::Kind::kToken ? auth->FindByName(identity.name)
                                                    : CertificateRules(*auth, identity);
  }
  if (rules != nullptr && rules->metrics) return {};
  return MakeError(ErrorCode::kForbidden, "/metrics is not allowed for " + identity.name);
}

RateCheck Gate::TakeRequest(const Identity& identity) {
  const Budget& budget = LimitsFor(options_.limits, identity).requests;
  if (budget.unlimited()) return {};
  return {true, limiter_.Take(identity.RateKey(), budget)};
}

bool Gate::FetchesLimited(const Identity& identity) const {
  const ClassLimits& limits = LimitsFor(options_.limits, identity);
  return !limits.fetches.unlimited() || limits.max_fetches > 0;
}

RateCheck Gate::TakeFetch(const Identity& identity) {
  const Budget& budget = LimitsFor(options_.limits, identity).fetches;
  if (budget.unlimited()) return {};
  return {true, limiter_.Take(FetchKey(identity), budget)};
}

std::optional<FetchSlots::Slot> Gate::AcquireFetchSlot(const Identity& identity) {
  return slots_.TryAcquire(identity.RateKey(), LimitsFor(options_.limits, identity).max_fetches);
}

}  // namespace modproxy::policy
