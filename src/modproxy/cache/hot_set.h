#pragma once

#include <chrono>
#include <cstddef>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

namespace modproxy::cache {

// The small cached files (.info, .mod, lists, small zips) most recently served, kept in
// memory so that a hit costs no open/stat/read/close: on this machine those
// four system calls were most of the time of a cached .info hit. Bounded by
// total body bytes, least recently used first out. Thread-safe.
class HotSet {
 public:
  // Bodies above this are never kept: they are not "small files".
  static constexpr std::size_t kMaxEntryBytes = 64 * 1024;

  struct Entry {
    std::shared_ptr<const std::string> body;
    // The stored object's modification time (list freshness), and when it
    // was read from storage (how long the copy may be trusted).
    std::chrono::system_clock::time_point modified;
    std::chrono::steady_clock::time_point loaded;
  };

  // capacity_bytes 0 disables the set.
  explicit HotSet(std::size_t capacity_bytes) : capacity_(capacity_bytes) {}

  std::optional<Entry> Find(const std::string& key);
  // Replaces any entry of that key; ignored when the body is too large.
  void Insert(const std::string& key, Entry entry);
  void Erase(const std::string& key);

  std::size_t bytes() const;
  std::size_t size() const;

 private:
  using Order = std::list<std::string>;  // most recently used first
  struct Slot {
    Entry entry;
    Order::iterator position;
  };

  void EraseLocked(std::unordered_map<std::string, Slot>::iterator it);

  const std::size_t capacity_;
  mutable std::mutex mu_;
  Order order_;                                  // guarded by mu_
  std::unordered_map<std::string, Slot> slots_;  // guarded by mu_
  std::size_t bytes_ = 0;                        // guarded by mu_
};

}  // namespace modproxy::cache
