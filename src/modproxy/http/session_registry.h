#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <unordered_set>

#include <boost/asio/any_io_executor.hpp>
#include <boost/beast/core/tcp_stream.hpp>

namespace modproxy::http {

// Live connections, so that a graceful stop can close the idle ones at once
// while busy ones finish their response.
class SessionRegistry {
 public:
  struct Entry {
    // Written by the connection's loop, read by the stopping thread.
    std::atomic<bool> idle{true};
    boost::asio::any_io_executor executor;
    // Touched only on `executor`'s loop: the stream is valid while alive.
    bool alive = true;
    boost::beast::tcp_stream* stream = nullptr;
  };

  std::shared_ptr<Entry> Add(boost::asio::any_io_executor executor,
                             boost::beast::tcp_stream* stream) {
    auto entry = std::make_shared<Entry>();
    entry->executor = std::move(executor);
    entry->stream = stream;
    std::lock_guard lock(mu_);
    entries_.insert(entry);
    return entry;
  }

  // Call on the entry's loop before the stream is destroyed.
  void Remove(const std::shared_ptr<Entry>& entry) {
    entry->alive = false;
    std::lock_guard lock(mu_);
    entries_.erase(entry);
  }

  // Calls f on a snapshot of the live entries.
  void ForEach(const std::function<void(const std::shared_ptr<Entry>&)>& f) {
    std::unordered_set<std::shared_ptr<Entry>> snapshot;
    {
      std::lock_guard lock(mu_);
      snapshot = entries_;
    }
    for (const auto& entry : snapshot) f(entry);
  }

 private:
  std::mutex mu_;
  std::unordered_set<std::shared_ptr<Entry>> entries_;  // guarded by mu_
};

}  // namespace modproxy::http
