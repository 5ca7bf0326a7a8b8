#pragma once

#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>

namespace modproxy::http {

// Open connections per client IP, so that one address cannot hold every
// file descriptor (slowloris from one host).
class ConnectionLimiter {
 public:
  // Releases its connection's place on destruction.
  class Place {
   public:
    Place(ConnectionLimiter* owner, std::string ip) : owner_(owner), ip_(std::move(ip)) {}
    Place(Place&& other) noexcept
        : owner_(std::exchange(other.owner_, nullptr)), ip_(std::move(other.ip_)) {}
    Place(const Place&) = delete;
    Place& operator=(const Place&) = delete;
    Place& operator=(Place&&) = delete;
    ~Place() {
      if (owner_ != nullptr) owner_->Release(ip_);
    }

   private:
    ConnectionLimiter* owner_;
    std::string ip_;
  };

  explicit ConnectionLimiter(int max_per_ip) : max_per_ip_(max_per_ip) {}

  // A place for one more connection from `ip`, or nullopt when it already
  // has the maximum (0: unlimited, nothing counted).
  std::optional<Place> TryAdd(const std::string& ip) {
    if (max_per_ip_ <= 0) return Place(nullptr, ip);
    std::lock_guard lock(mu_);
    int& open = open_[ip];
    if (open >= max_per_ip_) return std::nullopt;
    ++open;
    return Place(this, ip);
  }

 private:
  void Release(const std::string& ip) {
    std::lock_guard lock(mu_);
    auto it = open_.find(ip);
    if (it != open_.end() && --it->second <= 0) open_.erase(it);
  }

  const int max_per_ip_;
  std::mutex mu_;
  std::unordered_map<std::string, int> open_;  // guarded by mu_
};

}  // namespace modproxy::http
