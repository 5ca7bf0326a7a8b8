#pragma once

#include <chrono>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "modproxy/core/result.h"

namespace modproxy::cache {

// Remembers "not found" answers from the upstream for a short time, so that a
// burst of requests for a missing version costs one upstream fetch. Bounded:
// past max_entries the expired entries are dropped, then everything.
class NegativeCache {
 public:
  using Clock = std::function<std::chrono::steady_clock::time_point()>;

  NegativeCache(std::chrono::milliseconds ttl, Clock clock, std::size_t max_entries = 100000);

  std::optional<Error> Find(const std::string& key);
  void Remember(const std::string& key, const Error& error);

 private:
  struct Entry {
    std::chrono::steady_clock::time_point expires;
    Error error;
  };

  std::chrono::milliseconds ttl_;
  Clock clock_;
  std::size_t max_entries_;
  std::mutex mu_;
  std::unordered_map<std::string, Entry> entries_;  // guarded by mu_
};

}  // namespace modproxy::cache
