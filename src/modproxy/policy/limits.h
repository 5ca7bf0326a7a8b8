#pragma once

#include <chrono>
#include <cstddef>
#include <map>
#include <string>
#include <vector>

#include "modproxy/policy/identity.h"
#include "modproxy/policy/rate_limiter.h"

namespace modproxy::policy {

// The budgets of one class of clients.
struct ClassLimits {
  Budget requests;      // every protocol and sumdb request
  Budget fetches;       // requests that go upstream (cache misses)
  int max_fetches = 0;  // concurrent upstream fetches; 0: unlimited
};

struct LimitsConfig {
  ClassLimits anonymous;
  ClassLimits authenticated;
  std::map<std::string, ClassLimits> identities;  // by identity name
};

// The limits for `identity`: its own entry (by name, then by certificate
// alias), else the authenticated or anonymous class.
const ClassLimits& LimitsFor(const LimitsConfig& config, const Identity& identity);

// A burst of 0 means max(1, ceil(rate)).
Budget MakeBudget(double rate, double burst);

}  // namespace modproxy::policy
