#pragma once

#include <cstddef>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

// Concurrent upstream fetches per client (max_fetches): one client must not
// hold all of the proxy's upstream connections.
namespace modproxy::policy {

class FetchSlots {
 public:
  // A place among a key's concurrent fetches, given back when destroyed.
  // Movable; an empty Slot (moved from, or from an unlimited TryAcquire)
  // gives back nothing.
  class Slot {
   public:
    Slot() = default;
    Slot(Slot&& other) noexcept;
    Slot& operator=(Slot&& other) noexcept;
    Slot(const Slot&) = delete;
    Slot& operator=(const Slot&) = delete;
    ~Slot() { Release(); }

   private:
    friend class FetchSlots;
    Slot(FetchSlots* owner, std::string key) : owner_(owner), key_(std::move(key)) {}
    void Release();

    FetchSlots* owner_ = nullptr;
    std::string key_;
  };

  FetchSlots() = default;
  FetchSlots(const FetchSlots&) = delete;
  FetchSlots& operator=(const FetchSlots&) = delete;

  // A slot of `key` when it holds fewer than `max`; nullopt at the cap.
  // max <= 0: unlimited, an empty Slot and nothing counted. Thread-safe.
  // The FetchSlots outlives its slots.
  std::optional<Slot> TryAcquire(std::string_view key, int max);

  // How many slots `key` holds now, and how many keys hold any (for tests).
  int InFlight(std::string_view key) const;
  std::size_t tracked() const;

 private:
  struct KeyHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view key) const {
      return std::hash<std::string_view>{}(key);
    }
  };

  void Release(const std::string& key);

  mutable std::mutex mu_;
  // Keys with at least one slot out; guarded by mu_.
  std::unordered_map<std::string, int, KeyHash, std::equal_to<>> counts_;
};

}  // namespace modproxy::policy
