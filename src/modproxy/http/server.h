#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>

#include "modproxy/core/result.h"
#include "modproxy/http/connection_limiter.h"
#include "modproxy/http/handler.h"
#include "modproxy/http/session_registry.h"
#include "modproxy/http/tls_context.h"

namespace modproxy::http {

struct ServerOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 8080;
  int threads = 1;  // event loops, one thread each
  // A kept-alive connection waiting for its next request.
  std::chrono::milliseconds idle_timeout{60000};
  // The TLS handshake, and a request's head once its first byte arrived:
  // a client trickling bytes (slowloris) loses its connection after this.
  std::chrono::milliseconds header_timeout{10000};
  std::chrono::seconds shutdown_grace{30};
  std::size_t max_header_size = 16 * 1024;  // request line and headers; over: 431
  std::size_t max_request_line = 8 * 1024;  // the target; over: 414
  int max_connections_per_ip = 0;           // 0: unlimited
  TlsContextProvider* tls = nullptr;        // null: plain HTTP
  // Runs on SIGHUP (reload certificates and the auth file).
  std::function<void()> on_hangup;
};

// What a connection tells about its client before any request.
struct ConnectionFacts {
  std::string remote;  // "ip:port" for the access log
  std::string ip;
  std::optional<policy::CertificateSubject> certificate;  // verified client certificate
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
  void WaitForHangup();
  boost::asio::awaitable<void> Session(boost::asio::io_context& loop,
                                       boost::asio::ip::tcp::socket socket);
  // The request/response loop of one connection, plain or TLS.
  template <typename Stream>
  boost::asio::awaitable<void> ServeRequests(boost::asio::io_context& loop, Stream& stream,
                                             const ConnectionFacts& facts);

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
  std::unique_ptr<boost::asio::signal_set> hangup_;   // SIGHUP, on loop 0
  ConnectionLimiter connections_;
  // Wake Run()'s shutdown watchdog: stopping_ was set, or the loops finished.
  std::mutex stop_mu_;
  std::condition_variable stop_cv_;
  bool finished_ = false;  // guarded by stop_mu_
};

}  // namespace modproxy::http
