#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "modproxy/core/result.h"

namespace modproxy::cache {

// A zip being downloaded, shared by the fetch worker that writes it and the
// clients that read it while it arrives (a miss stays fast). Everything but
// the last `hold_back` bytes written so far is released to readers; the rest
// only once the whole zip passed verification. So a client can never hold a
// complete unverified zip: when verification fails, its response is aborted
// with the end (the central directory at least) missing. Thread-safe.
class ZipStream {
 public:
  explicit ZipStream(std::uint64_t hold_back) : hold_back_(hold_back) {}
  ZipStream(const ZipStream&) = delete;
  ZipStream& operator=(const ZipStream&) = delete;
  ~ZipStream();

  enum class State { kRunning, kDone, kFailed };
  struct Snapshot {
    State state = State::kRunning;
    std::uint64_t released = 0;             // bytes readers may send
    Error error{ErrorCode::kInternal, ""};  // when kFailed
  };

  // --- the writer (fetch worker) ---
  // A download attempt starts writing to `staging_path`. Readers read it
  // through a descriptor opened here, which stays valid after the file is
  // renamed into the cache. If an earlier attempt already released bytes
  // the stream fails (those readers got another upstream's bytes).
  void Begin(const std::string& staging_path);
  // `total` bytes of the current attempt are written.
  void Wrote(std::uint64_t total);
  // The attempt failed; the chain may try another upstream.
  void AttemptFailed(const Error& error);
  // The fetch is over: verified and stored (ok), or refused/failed.
  void Finish(const Result<void>& outcome);

  // --- readers (event loops) ---
  Snapshot snapshot() const;
  // Calls `wake` once (on the writer's thread, without locks held) after
  // the state changes past `seen_released`, unless it already has: then it
  // returns false and never calls it.
  bool WakeAfter(std::uint64_t seen_released, std::function<void()> wake);
  // pread of released bytes; kStorage on an I/O error.
  Result<std::size_t> ReadAt(std::uint64_t offset, char* out, std::size_t n) const;

 private:
  // Publishes a change: wakes every waiting reader.
  void Notify(std::unique_lock<std::mutex>& lock);

  const std::uint64_t hold_back_;
  mutable std::mutex mu_;
  int fd_ = -1;                // the current attempt's staging file, read-only
  std::uint64_t written_ = 0;  // by the current attempt
  Snapshot snapshot_;
  std::vector<std::function<void()>> wakers_;
};

// Waits on the caller's executor until `stream` has released more than
// `seen` bytes or ended (`until_end`: only until it ended).
boost::asio::awaitable<ZipStream::Snapshot> AwaitZipStream(std::shared_ptr<ZipStream> stream,
                                                           std::uint64_t seen, bool until_end);

}  // namespace modproxy::cache
