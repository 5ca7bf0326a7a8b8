#include "modproxy/policy/limits.h"

#include <algorithm>
#include <cmath>

namespace modproxy::policy {

const ClassLimits& LimitsFor(const LimitsConfig& config, const Identity& identity) {
  if (!identity.authenticated()) return config.anonymous;
  if (auto it = config.identities.find(identity.name); it != config.identities.end()) {
    return it->second;
  }
  for (const std::string& alias : identity.aliases) {
    if (auto it = config.identities.find(alias); it != config.identities.end()) return it->second;
  }
  return config.authenticated;
}

Budget MakeBudget(double rate, double burst) {
  return Budget{rate, burst > 0 ? burst : std::max(1.0, std::ceil(rate))};
}

}  // namespace modproxy::policy
