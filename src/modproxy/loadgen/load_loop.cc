#include "modproxy/loadgen/load_loop.h"

#include <signal.h>
#include <sys/resource.h>
#include <time.h>

#include <algorithm>
#include <memory>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <fmt/format.h>

#include "modproxy/core/version.h"
#include "modproxy/loadgen/connection.h"

namespace modproxy::loadgen {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using boost::system::error_code;

// Idle connections are set up this many at a time: opening ten thousand at
// once would overflow the server's listen backlog and turn into SYN retries.
constexpr std::size_t kIdleSetupParallelism = 256;
// A connect that failed is retried after this pause, so that a server that is
// down costs a few connects a second per connection instead of a busy loop.
constexpr auto kConnectBackoff = std::chrono::milliseconds(50);
constexpr auto kProgressInterval = std::chrono::seconds(1);
// How long the loop keeps polling without sleeping after its last event (see Spin).
constexpr auto kSpinLimit = std::chrono::milliseconds(1);

double CpuSeconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  auto seconds = [](const timeval& t) {
    return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6;
  };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

// CPU time of this thread: what the loop spent, whether or not the kernel
// let it run all the time (wall-clock intervals would include preemption).
Clock::duration ThreadCpuTime() {
  timespec now{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
  return std::chrono::duration_cast<Clock::duration>(std::chrono::seconds(now.tv_sec) +
                                                     std::chrono::nanoseconds(now.tv_nsec));
}

std::uint64_t Nanoseconds(Clock::duration d) {
  return static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(d).count());
}

// Owns the connections and the statistics of one run, and moves through its
// phases: probe (one connection finds a working address), connect (the
// others follow), idle set-up, measured run. Each phase runs the event loop
// until its last callback calls io_.stop().
class LoadRun final : public ConnectionHost {
 public:
  explicit LoadRun(const LoadOptions& options)
      : options_(options),
        sweep_timer_(io_),
        progress_timer_(io_),
        end_timer_(io_),
        signals_(io_),
        rng_(options.seed) {}

  Result<RunStats> Run();

  void OnConnected(Connection& connection, error_code error) override;
  void OnResponse(Connection& connection, Clock::time_point sent, Clock::time_point first_byte,
                  Clock::time_point done) override;
  void OnSendFailed(Connection& connection, TransportError error) override;
  void OnActivity() override;

 private:
  enum class Phase { kProbe, kConnect, kIdleSetup, kRunning, kDone };

  void RunPhase() {
    io_.restart();
    io_.run();
  }
  Result<void> Resolve();
  // Opens the load connections; kUnavailable when not even one can be opened.
  Result<void> ConnectAll();
  void StartIdle();
  void IdleFinished(Connection& connection, bool established);
  void StartMeasuring();
  void SendNext(Connection& connection);
  void Answered(Clock::time_point now);
  void Spin();
  void ScheduleSweep();
  void ScheduleProgress();
  void Stop();
  std::uint64_t NextRandom();

  const LoadOptions& options_;
  // Declared first, destroyed last: sockets and timers need it to close.
  // Everything runs on this one thread, so Asio's internal locking is off.
  asio::io_context io_{BOOST_ASIO_CONCURRENCY_HINT_UNSAFE};
  asio::steady_timer sweep_timer_;
  asio::steady_timer progress_timer_;
  asio::steady_timer end_timer_;
  asio::signal_set signals_;
  Phase phase_ = Phase::kProbe;
  std::vector<tcp::endpoint> endpoints_;  // resolved; endpoints_[0] is used once probed
  std::size_t probe_index_ = 0;
  std::vector<std::string> requests_;
  std::vector<std::unique_ptr<Connection>> load_;
  std::vector<std::unique_ptr<Connection>> idle_;
  RunStats stats_;
  std::uint64_t rng_;

  int connect_results_ = 0;
  int connected_ = 0;
  error_code connect_error_;
  std::size_t idle_done_ = 0;
  std::vector<Connection*> parked_;
  std::size_t once_next_ = 0;
  std::size_t answered_ = 0;
  Clock::time_point last_answer_{};
  Clock::time_point start_{};
  double cpu_start_ = 0;
  Clock::time_point progress_time_{};
  std::uint64_t progress_requests_ = 0;

  bool spinning_ = false;
  std::uint64_t activity_ = 0;       // completions so far (OnActivity)
  std::uint64_t spin_activity_ = 0;  // activity_ when Spin last ran
  Clock::duration last_spin_cpu_{};
  Clock::time_point spin_idle_since_{};
  Clock::duration spin_idle_{};  // CPU time polling with nothing to do: not client work
};

Result<RunStats> LoadRun::Run() {
  stats_.url = options_.target.url;
  stats_.concurrency = options_.concurrency;
  stats_.paths = options_.paths.size();
  stats_.idle_requested = options_.idle;
  if (Result<void> resolved = Resolve(); !resolved) return resolved.error();
  requests_.reserve(options_.paths.size());
  for (const std::string& path : options_.paths) {
    requests_.push_back(FormatRequest(options_.target, path));
  }
  ScheduleSweep();
  if (Result<void> connected = ConnectAll(); !connected) return connected.error();
  if (options_.idle > 0) {
    phase_ = Phase::kIdleSetup;
    const std::size_t first = std::min<std::size_t>(kIdleSetupParallelism, options_.idle);
    for (std::size_t i = 0; i < first; ++i) StartIdle();
    RunPhase();
  }

  StartMeasuring();
  RunPhase();

  for (Connection* connection : parked_) {
    if (!connection->PeerClosed()) ++stats_.idle_open_at_end;
  }
  if (options_.once) stats_.unanswered = requests_.size() - answered_;
  return std::move(stats_);
}

Result<void> LoadRun::Resolve() {
  error_code error;
  tcp::resolver resolver(io_);
  for (const auto& entry : resolver.resolve(options_.target.host, options_.target.port, error)) {
    endpoints_.push_back(entry.endpoint());
  }
  if (error || endpoints_.empty()) {
    return MakeError(ErrorCode::kUnavailable,
                     fmt::format("cannot resolve {}: {}", options_.target.host,
                                 error ? error.message() : "no address"));
  }
  return {};
}

Result<void> LoadRun::ConnectAll() {
  for (int i = 0; i < options_.concurrency; ++i) {
    load_.push_back(std::make_unique<Connection>(io_, *this, Connection::Role::kLoad));
  }
  // One connection first finds an address that accepts (a name may resolve
  // to ::1 and 127.0.0.1 with the server on only one), then the rest follow.
  phase_ = Phase::kProbe;
  load_[0]->Connect(endpoints_[0], options_.timeout);
  RunPhase();
  if (connected_ == 0) {
    return MakeError(ErrorCode::kUnavailable,
                     fmt::format("cannot connect to {}:{} ({}): {}", options_.target.host,
                                 options_.target.port, stats_.url, connect_error_.message()));
  }
  phase_ = Phase::kConnect;
  connect_results_ = 1;
  if (load_.size() == 1) return {};
  for (std::size_t i = 1; i < load_.size(); ++i) {
    load_[i]->Connect(endpoints_[0], options_.timeout);
  }
  RunPhase();
  return {};
}

void LoadRun::OnConnected(Connection& connection, error_code error) {
  switch (phase_) {
    case Phase::kProbe:
      if (error) {
        connect_error_ = error;
        if (++probe_index_ < endpoints_.size()) {
          connection.Connect(endpoints_[probe_index_], options_.timeout);
          return;
        }
      } else {
        ++connected_;
        std::swap(endpoints_[0], endpoints_[probe_index_]);
      }
      io_.stop();
      return;
    case Phase::kConnect:
      // A connection that failed here is retried once the run starts.
      if (!error) ++connected_;
      if (++connect_results_ == options_.concurrency) io_.stop();
      return;
    case Phase::kIdleSetup:
      if (connection.role() != Connection::Role::kIdle) return;
      if (error) {
        IdleFinished(connection, false);
      } else {
        connection.Send(requests_[connection.tag % requests_.size()], options_.timeout);
      }
      return;
    case Phase::kRunning:
      if (error) {
        ++stats_.errors.connect;
        connection.Connect(endpoints_[0], options_.timeout, kConnectBackoff);
      } else {
        SendNext(connection);
      }
      return;
    case Phase::kDone:
      return;
  }
}

void LoadRun::OnResponse(Connection& connection, Clock::time_point sent,
                         Clock::time_point first_byte, Clock::time_point done) {
  const ResponseParser& response = connection.parser();
  if (connection.role() == Connection::Role::kIdle) {
    // Only a connection the server agreed to keep alive is an idle one.
    IdleFinished(connection, response.keep_alive());
    return;
  }
  if (phase_ != Phase::kRunning) return;
  const int status = response.status_code();
  ++stats_.requests;
  ++stats_.status[static_cast<std::size_t>(status)];
  if (status >= 200 && status < 300) ++stats_.requests_2xx;
  stats_.body_bytes += response.body_bytes();
  stats_.latency.Record(Nanoseconds(done - sent));
  stats_.ttfb.Record(Nanoseconds(first_byte - sent));
  if (options_.once) {
    Answered(done);
    if (phase_ != Phase::kRunning) return;
  }
  if (response.keep_alive()) {
    SendNext(connection);
  } else {
    connection.Connect(endpoints_[0], options_.timeout);
  }
}

void LoadRun::OnSendFailed(Connection& connection, TransportError error) {
  if (connection.role() == Connection::Role::kIdle) {
    IdleFinished(connection, false);
    return;
  }
  if (phase_ != Phase::kRunning) return;
  switch (error) {
    case TransportError::kConnect:
      ++stats_.errors.connect;
      break;
    case TransportError::kReset:
      ++stats_.errors.reset;
      break;
    case TransportError::kTimeout:
      ++stats_.errors.timeout;
      break;
    case TransportError::kMalformed:
      ++stats_.errors.malformed;
      break;
  }
  if (options_.once) {
    Answered(Clock::now());  // each path is tried once: a failure is its answer
    if (phase_ != Phase::kRunning) return;
  }
  connection.Connect(endpoints_[0], options_.timeout);
}

void LoadRun::OnActivity() {
  ++activity_;
  if (spinning_ || phase_ != Phase::kRunning || !options_.busy_poll) return;
  spinning_ = true;
  spin_activity_ = activity_;
  spin_idle_since_ = Clock::now();
  last_spin_cpu_ = ThreadCpuTime();
  asio::post(io_, [this] { Spin(); });
}

// Busy polling. A client that sleeps in epoll_wait whenever it has caught up
// makes the server pay a wake-up (an inter-processor interrupt, a VM exit on
// a virtual machine) for most of its responses, which slows the server down.
// Measured against nginx on the other core of a 2-core VM: sleeping, bench
// saw about 41k requests/s with 50-80k context switches in 5 s, where wrk
// (busier per request, so rarely asleep) saw 47k; polling, bench sees 53k
// with under a thousand. While this handler keeps re-posting itself, the
// event loop only polls (epoll_wait with a zero timeout); after kSpinLimit
// without an event it lets the loop sleep, and the next event restarts it.
// The CPU time spent polling with nothing to do is reported apart from
// client_cpu_percent, which is meant to show the client's own work.
void LoadRun::Spin() {
  if (phase_ != Phase::kRunning) {
    spinning_ = false;
    return;
  }
  const Clock::time_point now = Clock::now();
  const Clock::duration cpu = ThreadCpuTime();
  if (activity_ != spin_activity_) {
    spin_activity_ = activity_;
    spin_idle_since_ = now;
  } else {
    // Since the last call the loop only polled (and ran timers): idle.
    spin_idle_ += cpu - last_spin_cpu_;
    if (now - spin_idle_since_ > kSpinLimit) {
      spinning_ = false;
      return;
    }
  }
  last_spin_cpu_ = cpu;
  asio::post(io_, [this] { Spin(); });
}

void LoadRun::StartIdle() {
  const std::size_t index = idle_.size();
  idle_.push_back(std::make_unique<Connection>(io_, *this, Connection::Role::kIdle));
  idle_.back()->tag = index;
  idle_.back()->Connect(endpoints_[0], options_.timeout);
}

void LoadRun::IdleFinished(Connection& connection, bool established) {
  if (established) {
    ++stats_.idle_established;
    connection.Park();
    parked_.push_back(&connection);
  } else {
    connection.Close();
  }
  if (idle_.size() < static_cast<std::size_t>(options_.idle)) StartIdle();
  if (++idle_done_ == static_cast<std::size_t>(options_.idle)) io_.stop();
}

void LoadRun::StartMeasuring() {
  phase_ = Phase::kRunning;
  start_ = Clock::now();
  cpu_start_ = CpuSeconds();
  last_answer_ = start_;
  progress_time_ = start_;
  signals_.add(SIGINT);
  signals_.add(SIGTERM);
  signals_.async_wait([this](error_code error, int) {
    if (error) return;
    stats_.interrupted = true;
    Stop();
  });
  if (!options_.once) {
    end_timer_.expires_at(start_ + std::chrono::duration_cast<Clock::duration>(options_.duration));
    end_timer_.async_wait([this](error_code error) {
      if (!error) Stop();
    });
  }
  if (options_.on_progress) ScheduleProgress();
  for (std::unique_ptr<Connection>& connection : load_) {
    // A connection the server dropped while the idle ones were set up (or
    // one that failed to connect earlier) is replaced before it can count
    // as an error of the measured run.
    if (connection->ready() && !connection->PeerClosed()) {
      SendNext(*connection);
    } else {
      connection->Connect(endpoints_[0], options_.timeout);
    }
  }
}

void LoadRun::SendNext(Connection& connection) {
  std::size_t index = 0;
  if (options_.once) {
    if (once_next_ == requests_.size()) return;  // nothing left: the connection rests
    index = once_next_++;
  } else {
    index = static_cast<std::size_t>(NextRandom() % requests_.size());
  }
  connection.tag = index;
  connection.Send(requests_[index], options_.timeout);
}

void LoadRun::Answered(Clock::time_point now) {
  last_answer_ = now;
  if (++answered_ == requests_.size()) Stop();
}

void LoadRun::ScheduleSweep() {
  // A tenth of the timeout keeps expiry within 10 % of it; never busier than 10 ms.
  const auto interval = std::clamp<Clock::duration>(
      std::chrono::duration_cast<Clock::duration>(options_.timeout) / 10,
      std::chrono::milliseconds(10), std::chrono::milliseconds(250));
  sweep_timer_.expires_after(interval);
  sweep_timer_.async_wait([this](error_code error) {
    if (error || phase_ == Phase::kDone) return;
    const Clock::time_point now = Clock::now();
    for (std::unique_ptr<Connection>& connection : load_) connection->ExpireIfLate(now);
    if (phase_ == Phase::kIdleSetup) {
      for (std::unique_ptr<Connection>& connection : idle_) connection->ExpireIfLate(now);
    }
    // A --once run whose server stopped answering (every connect failing)
    // would otherwise never end.
    if (options_.once && phase_ == Phase::kRunning && now - last_answer_ > options_.timeout) {
      Stop();
      return;
    }
    ScheduleSweep();
  });
}

void LoadRun::ScheduleProgress() {
  progress_timer_.expires_at(progress_time_ + kProgressInterval);
  progress_timer_.async_wait([this](error_code error) {
    if (error || phase_ != Phase::kRunning) return;
    const Clock::time_point now = Clock::now();
    Progress progress;
    progress.elapsed_s = std::chrono::duration<double>(now - start_).count();
    progress.requests = stats_.requests;
    const double interval = std::chrono::duration<double>(now - progress_time_).count();
    progress.requests_per_s =
        interval > 0 ? static_cast<double>(stats_.requests - progress_requests_) / interval : 0;
    progress.non_2xx = stats_.requests - stats_.requests_2xx;
    progress.transport_errors = stats_.errors.total();
    progress_time_ = now;
    progress_requests_ = stats_.requests;
    options_.on_progress(progress);
    ScheduleProgress();
  });
}

void LoadRun::Stop() {
  if (phase_ != Phase::kRunning) return;
  phase_ = Phase::kDone;
  const double wall = std::chrono::duration<double>(Clock::now() - start_).count();
  stats_.duration_s = wall;
  const double spin = std::chrono::duration<double>(spin_idle_).count();
  stats_.client_cpu_percent =
      wall > 0 ? std::max(0.0, CpuSeconds() - cpu_start_ - spin) / wall * 100 : 0;
  stats_.client_busy_poll_percent = wall > 0 ? spin / wall * 100 : 0;
  error_code ignored;
  signals_.cancel(ignored);
  signals_.clear(ignored);  // a later Ctrl-C (between rounds) ends the process again
  // Responses still in flight are dropped, not waited for: the run ends now.
  io_.stop();
}

std::uint64_t LoadRun::NextRandom() {
  // splitmix64: fast, and the same sequence for the same --seed everywhere.
  std::uint64_t z = (rng_ += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

}  // namespace

std::string FormatRequest(const Target& target, std::string_view path) {
  return fmt::format(
      "GET {}{} HTTP/1.1\r\nHost: {}\r\nUser-Agent: modproxy-bench/{}\r\n"
      "Accept-Encoding: identity\r\n\r\n",
      target.prefix, path, target.host_header, kVersion);
}

Result<RunStats> RunLoad(const LoadOptions& options) {
  // RunStats holds two 32 KiB histograms: keep the run off the stack.
  auto run = std::make_unique<LoadRun>(options);
  return run->Run();
}

}  // namespace modproxy::loadgen
