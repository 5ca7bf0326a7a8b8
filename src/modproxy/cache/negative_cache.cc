#include "modproxy/cache/negative_cache.h"

namespace modproxy::cache {

NegativeCache::NegativeCache(std::chrono::milliseconds ttl, Clock clock, std::size_t max_entries)
    : ttl_(ttl), clock_(std::move(clock)), max_entries_(max_entries) {}

std::optional<Error> NegativeCache::Find(const std::string& key) {
  if (ttl_.count() <= 0) return std::nullopt;
  std::lock_guard lock(mu_);
  auto it = entries_.find(key);
  if (it == entries_.end()) return std::nullopt;
  if (it->second.expires <= clock_()) {
    entries_.erase(it);
    return std::nullopt;
  }
  return it->second.error;
}

void NegativeCache::Remember(const std::string& key, const Error& error) {
  if (ttl_.count() <= 0) return;
  const auto now = clock_();
  std::lock_guard lock(mu_);
  if (entries_.size() >= max_entries_) {
    std::erase_if(entries_, [now](const auto& item) { return item.second.expires <= now; });
    if (entries_.size() >= max_entries_) entries_.clear();
  }
  entries_[key] = Entry{now + ttl_, error};
}

}  // namespace modproxy::cache
