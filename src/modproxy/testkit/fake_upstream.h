#pragma once

#include <condition_variable>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "modproxy/upstream/upstream.h"

namespace modproxy::testkit {

// An Upstream that answers from a table and records every call. Paths not in
// the table are "not found". Optionally holds every fetch until Release(), to
// let tests pile up concurrent requests.
class FakeUpstream final : public upstream::Upstream {
 public:
  explicit FakeUpstream(std::string name = "fake") : name_(std::move(name)) {}

  void Set(const std::string& path, std::string body) {
    std::lock_guard lock(mu_);
    answers_[path] = std::move(body);
  }
  void SetError(const std::string& path, Error error) {
    std::lock_guard lock(mu_);
    errors_.insert_or_assign(path, std::move(error));
  }
  void Hold() {
    std::lock_guard lock(mu_);
    held_ = true;
  }
  void Release() {
    {
      std::lock_guard lock(mu_);
      held_ = false;
    }
    cv_.notify_all();
  }
  std::vector<std::string> calls() const {
    std::lock_guard lock(mu_);
    return calls_;
  }
  std::size_t CallCount(const std::string& path) const {
    std::lock_guard lock(mu_);
    std::size_t n = 0;
    for (const std::string& c : calls_) n += c == path ? 1 : 0;
    return n;
  }

  const std::string& name() const override { return name_; }

  Result<void> Fetch(std::string_view path, const upstream::FetchOptions&,
                     const upstream::ChunkSink& sink) override {
    std::string body;
    {
      std::unique_lock lock(mu_);
      calls_.emplace_back(path);
      cv_.wait(lock, [this] { return !held_; });
      if (auto e = errors_.find(std::string(path)); e != errors_.end()) return e->second;
      auto it = answers_.find(std::string(path));
      if (it == answers_.end()) {
        return MakeError(ErrorCode::kNotFound, "not found: " + std::string(path));
      }
      body = it->second;
    }
    return sink(body);
  }

 private:
  std::string name_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool held_ = false;
  std::map<std::string, std::string> answers_;
  std::map<std::string, Error> errors_;
  std::vector<std::string> calls_;
};

}  // namespace modproxy::testkit
