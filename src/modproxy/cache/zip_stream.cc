#include "modproxy/cache/zip_stream.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace modproxy::cache {

ZipStream::~ZipStream() {
  if (fd_ >= 0) ::close(fd_);
}

void ZipStream::Notify(std::unique_lock<std::mutex>& lock) {
  std::vector<std::function<void()>> wakers;
  wakers.swap(wakers_);
  lock.unlock();
  for (std::function<void()>& wake : wakers) wake();
}

void ZipStream::Begin(const std::string& staging_path) {
  const int fd = ::open(staging_path.c_str(), O_RDONLY | O_CLOEXEC);
  std::unique_lock lock(mu_);
  if (snapshot_.state != State::kRunning) {
    if (fd >= 0) ::close(fd);
    return;
  }
  if (snapshot_.released > 0) {
    if (fd >= 0) ::close(fd);
    snapshot_.state = State::kFailed;
    snapshot_.error = MakeError(ErrorCode::kUnavailable,
                                "upstream failed in the middle of the zip; retry the download");
    Notify(lock);
    return;
  }
  if (fd_ >= 0) ::close(fd_);
  fd_ = fd;
  written_ = 0;
  if (fd < 0) {
    // Readers cannot follow this attempt; they wait for the end instead.
    snapshot_.released = 0;
  }
}

void ZipStream::Wrote(std::uint64_t total) {
  std::unique_lock lock(mu_);
  written_ = total;
  if (snapshot_.state != State::kRunning || fd_ < 0) return;
  if (total <= hold_back_ || total - hold_back_ <= snapshot_.released) return;
  snapshot_.released = total - hold_back_;
  Notify(lock);
}

void ZipStream::AttemptFailed(const Error& error) {
  std::unique_lock lock(mu_);
  if (snapshot_.state != State::kRunning || snapshot_.released == 0) return;
  snapshot_.state = State::kFailed;
  snapshot_.error = error;
  Notify(lock);
}

void ZipStream::Finish(const Result<void>& outcome) {
  std::unique_lock lock(mu_);
  if (snapshot_.state != State::kRunning) return;
  if (outcome && fd_ >= 0) {
    snapshot_.state = State::kDone;
    snapshot_.released = written_;
  } else {
    // A success that readers cannot follow (no descriptor) also ends the
    // stream: they are told to read the stored file instead (kDone with
    // nothing released is handled by the caller as "read from storage").
    snapshot_.state = outcome ? State::kDone : State::kFailed;
    if (!outcome) snapshot_.error = outcome.error();
  }
  Notify(lock);
}

ZipStream::Snapshot ZipStream::snapshot() const {
  std::lock_guard lock(mu_);
  return snapshot_;
}

bool ZipStream::WakeAfter(std::uint64_t seen_released, std::function<void()> wake) {
  std::lock_guard lock(mu_);
  if (snapshot_.state != State::kRunning || snapshot_.released > seen_released) return false;
  wakers_.push_back(std::move(wake));
  return true;
}

Result<std::size_t> ZipStream::ReadAt(std::uint64_t offset, char* out, std::size_t n) const {
  int fd = -1;
  {
    std::lock_guard lock(mu_);
    fd = fd_;
    if (offset >= snapshot_.released) return std::size_t{0};
    n = static_cast<std::size_t>(std::min<std::uint64_t>(n, snapshot_.released - offset));
  }
  // The descriptor stays open while the stream lives (Begin replaces it only
  // before anything was released, and then no reader is past offset 0).
  for (;;) {
    const ssize_t got = ::pread(fd, out, n, static_cast<off_t>(offset));
    if (got >= 0) return static_cast<std::size_t>(got);
    if (errno == EINTR) continue;
    return MakeError(ErrorCode::kStorage,
                     std::string("reading the zip being downloaded: ") + std::strerror(errno));
  }
}

boost::asio::awaitable<ZipStream::Snapshot> AwaitZipStream(std::shared_ptr<ZipStream> stream,
                                                           std::uint64_t seen, bool until_end) {
  using Timer = boost::asio::steady_timer;
  // The writer wakes a waiting reader by cancelling its timer on the reader's
  // own executor. A waker may outlive the wait (a timeout, or a wake racing
  // with the end of the wait) and even the reader's event loop, so it holds
  // the timer weakly and posts only while the wait is still on.
  struct Wait {
    std::mutex mu;
    bool waiting = true;
  };
  auto executor = co_await boost::asio::this_coro::executor;
  auto timer = std::make_shared<Timer>(executor);
  for (;;) {
    ZipStream::Snapshot now = stream->snapshot();
    if (now.state != ZipStream::State::kRunning) co_return now;
    if (!until_end && now.released > seen) co_return now;
    timer->expires_after(std::chrono::milliseconds(250));  // a safety net only
    auto wait = std::make_shared<Wait>();
    const bool armed = stream->WakeAfter(until_end ? now.released : seen,
                                         [wait, executor, weak = std::weak_ptr<Timer>(timer)] {
                                           std::lock_guard lock(wait->mu);
                                           if (!wait->waiting) return;
                                           if (std::shared_ptr<Timer> t = weak.lock()) {
                                             boost::asio::post(executor, [t] { t->cancel(); });
                                           }
                                         });
    if (!armed) continue;
    co_await timer->async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
    std::lock_guard lock(wait->mu);
    wait->waiting = false;
  }
}

}  // namespace modproxy::cache
