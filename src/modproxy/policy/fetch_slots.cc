#include "modproxy/policy/fetch_slots.h"

#include <utility>

namespace modproxy::policy {

FetchSlots::Slot::Slot(Slot&& other) noexcept
    : owner_(std::exchange(other.owner_, nullptr)), key_(std::move(other.key_)) {}

FetchSlots::Slot& FetchSlots::Slot::operator=(Slot&& other) noexcept {
  if (this != &other) {
    Release();
    owner_ = std::exchange(other.owner_, nullptr);
    key_ = std::move(other.key_);
  }
  return *this;
}

void FetchSlots::Slot::Release() {
  if (owner_ != nullptr) std::exchange(owner_, nullptr)->Release(key_);
}

std::optional<FetchSlots::Slot> FetchSlots::TryAcquire(std::string_view key, int max) {
  if (max <= 0) return Slot();
  std::lock_guard lock(mu_);
  auto it = counts_.find(key);
  if (it == counts_.end()) {
    it = counts_.emplace(std::string(key), 0).first;
  } else if (it->second >= max) {
    return std::nullopt;
  }
  ++it->second;
  return Slot(this, it->first);
}

void FetchSlots::Release(const std::string& key) {
  std::lock_guard lock(mu_);
  auto it = counts_.find(key);
  if (it != counts_.end() && --it->second <= 0) counts_.erase(it);
}

int FetchSlots::InFlight(std::string_view key) const {
  std::lock_guard lock(mu_);
  auto it = counts_.find(key);
  return it == counts_.end() ? 0 : it->second;
}

std::size_t FetchSlots::tracked() const {
  std::lock_guard lock(mu_);
  return counts_.size();
}

}  // namespace modproxy::policy
