#include "modproxy/storage/dir_syncer.h"

#include <spdlog/spdlog.h>

#include "modproxy/storage/posix_file.h"

namespace modproxy::storage {

DirSyncer::DirSyncer() : thread_([this] { Run(); }) {}

DirSyncer::~DirSyncer() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  work_cv_.notify_all();
  thread_.join();
}

void DirSyncer::Queue(std::string dir) {
  {
    std::lock_guard lock(mu_);
    ++queued_;
    // A directory already waiting is synced once for both renames; count it
    // as synced now so that Drain() does not wait for a second sync.
    if (!pending_.insert(std::move(dir)).second) ++synced_;
  }
  work_cv_.notify_one();
}

void DirSyncer::Drain() {
  std::unique_lock lock(mu_);
  const std::uint64_t target = queued_;
  done_cv_.wait(lock, [&] { return synced_ >= target; });
}

std::uint64_t DirSyncer::failures() const {
  std::lock_guard lock(mu_);
  return failures_;
}

void DirSyncer::Run() {
  std::unique_lock lock(mu_);
  for (;;) {
    work_cv_.wait(lock, [&] { return stop_ || !pending_.empty(); });
    if (pending_.empty()) return;  // stopping, and nothing left to sync
    std::set<std::string> batch;
    batch.swap(pending_);
    lock.unlock();
    std::uint64_t failed = 0;
    for (const std::string& dir : batch) {
      if (Result<void> r = FsyncDir(dir); !r) {
        ++failed;
        spdlog::error("cache directory sync failed (a power cut could lose recent files): {}",
                      r.error().message);
      }
    }
    lock.lock();
    synced_ += batch.size();
    failures_ += failed;
    done_cv_.notify_all();
  }
}

}  // namespace modproxy::storage
