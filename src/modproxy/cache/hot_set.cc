#include "modproxy/cache/hot_set.h"

namespace modproxy::cache {
namespace {

// What an entry costs against the capacity: its body plus the key, twice
// (map and order list), so that millions of tiny entries are bounded too.
std::size_t Cost(const std::string& key, const HotSet::Entry& entry) {
  return entry.body->size() + 2 * key.size() + 128;
}

}  // namespace

std::optional<HotSet::Entry> HotSet::Find(const std::string& key) {
  std::lock_guard lock(mu_);
  auto it = slots_.find(key);
  if (it == slots_.end()) return std::nullopt;
  order_.splice(order_.begin(), order_, it->second.position);
  return it->second.entry;
}

void HotSet::Insert(const std::string& key, Entry entry) {
  if (!entry.body || entry.body->size() > kMaxEntryBytes) return;
  const std::size_t cost = Cost(key, entry);
  if (cost > capacity_) return;
  std::lock_guard lock(mu_);
  if (auto it = slots_.find(key); it != slots_.end()) EraseLocked(it);
  while (bytes_ + cost > capacity_ && !order_.empty()) EraseLocked(slots_.find(order_.back()));
  order_.push_front(key);
  slots_.emplace(key, Slot{std::move(entry), order_.begin()});
  bytes_ += cost;
}

void HotSet::Erase(const std::string& key) {
  std::lock_guard lock(mu_);
  if (auto it = slots_.find(key); it != slots_.end()) EraseLocked(it);
}

void HotSet::EraseLocked(std::unordered_map<std::string, Slot>::iterator it) {
  bytes_ -= Cost(it->first, it->second.entry);
  order_.erase(it->second.position);
  slots_.erase(it);
}

std::size_t HotSet::bytes() const {
  std::lock_guard lock(mu_);
  return bytes_;
}

std::size_t HotSet::size() const {
  std::lock_guard lock(mu_);
  return slots_.size();
}

}  // namespace modproxy::cache
