#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>

#include "modproxy/core/result.h"
#include "modproxy/http/handler.h"
#include "modproxy/http/session_registry.h"

namespace modproxy::http {

struct ServerOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 8080;
  int threads = 1;  // event loops, one thread each
  std::chrono::seconds idle_timeout{60};
  std::chrono::seconds shutdown_grace{30};
};

// The HTTP/1.1 front end: one acceptor, N event loops (one io_context and
// thread each), connections spread round-robin over the loops, one coroutine
// per connection. Handlers never block on the network or on a fetch, so a
// loop only ever waits on its own sockets.
class Server {
 public:
  Server(ServerOptions options, Handler& handler, metrics::ProxyMetrics& metrics);
  ~Server();

  // Binds and listens; returns the bound endpoint (the port is real even when
  // 0 was asked for). Start-up errors are kInvalidArgument or kUnavailable.
  Result<boost::asio::ip::tcp::endpoint> Listen();
  // Serves until Stop() or SIGINT/SIGTERM, then drains: stops accepting,
  // lets in-flight requests finish (up to shutdown_grace), closes idle
  // connections, and returns.
  void Run();
  // Thread-safe; starts the graceful stop.
  void Stop();

 private:
  boost::asio::awaitable<void> AcceptLoop();
  boost::asio::awaitable<void> Session(boost::asio::io_context& loop,
                                       boost::asio::ip::tcp::socket socket);

  ServerOptions options_;
  Handler& handler_;
  metrics::ProxyMetrics& metrics_;
  std::vector<std::unique_ptr<boost::asio::io_context>> loops_;
  std::vector<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> guards_;
  std::unique_ptr<boost::asio::ip::tcp::acceptor> acceptor_;
  SessionRegistry sessions_;
  std::atomic<bool> stopping_{false};
  std::once_flag stop_once_;
  std::unique_ptr<boost::asio::signal_set> signals_;  // created by Run(), on loop 0
  // Wake Run()'s shutdown watchdog: stopping_ was set, or the loops finished.
  std::mutex stop_mu_;
  std::condition_variable stop_cv_;
  bool finished_ = false;  // guarded by stop_mu_
};

}  // namespace modproxy::http
