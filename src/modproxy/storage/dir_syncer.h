#pragma once

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <set>
#include <string>
#include <thread>

namespace modproxy::storage {

// Makes renames durable off the request path. A committed file is complete
// and visible as soon as it is renamed (its data was fsynced first), so a
// power cut before the directory is synced can only lose the name, never
// leave a partial file under it. Only the directory fsync waits here: on
// this machine it was about 0.7 ms of the 2.6 ms a cache miss took.
// Directories queued while a sync runs are synced once, together.
class DirSyncer {
 public:
  DirSyncer();
  ~DirSyncer();  // syncs everything still queued
  DirSyncer(const DirSyncer&) = delete;
  DirSyncer& operator=(const DirSyncer&) = delete;

  void Queue(std::string dir);
  // Returns once every directory queued before the call is synced.
  void Drain();
  std::uint64_t failures() const;

 private:
  void Run();

  mutable std::mutex mu_;
  std::condition_variable work_cv_;
  std::condition_variable done_cv_;
  std::set<std::string> pending_;  // guarded by mu_
  std::uint64_t queued_ = 0;       // guarded by mu_: directories ever queued
  std::uint64_t synced_ = 0;       // guarded by mu_: of those, synced (or failed)
  std::uint64_t failures_ = 0;     // guarded by mu_
  bool stop_ = false;              // guarded by mu_
  std::thread thread_;
};

}  // namespace modproxy::storage
