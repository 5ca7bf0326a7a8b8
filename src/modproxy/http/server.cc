#include "modproxy/http/server.h"

#include <condition_variable>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <spdlog/spdlog.h>

#include "modproxy/core/version.h"
#include "modproxy/http/access_log.h"
#include "modproxy/http/status_mapping.h"
#include "modproxy/http/write_response.h"

namespace modproxy::http {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;

constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);
// Errors get a log line of their own (the access log has no reason): 5xx as
// errors, client mistakes as warnings, not-found (hot and normal, §1.11) as debug.
void LogOutcome(const AccessRecord& record, const Response& response) {
  if (response.status < 400) return;
  std::string_view reason = response.body ? std::string_view(*response.body) : "";
  while (!reason.empty() && reason.back() == '\n') reason.remove_suffix(1);
  spdlog::level::level_enum level = spdlog::level::warn;
  if (response.status >= 500) level = spdlog::level::err;
  if (response.status == 404 || response.status == 410) level = spdlog::level::debug;
  spdlog::log(level, "{} {} -> {}: {}", record.method, record.path, response.status, reason);
}

}  // namespace

Server::Server(ServerOptions options, Handler& handler, metrics::ProxyMetrics& metrics)
    : options_(std::move(options)), handler_(handler), metrics_(metrics) {
  const int loops = std::max(1, options_.threads);
  for (int i = 0; i < loops; ++i) {
    loops_.push_back(std::make_unique<asio::io_context>(1));
    guards_.push_back(asio::make_work_guard(*loops_.back()));
  }
}

Server::~Server() = default;

Result<tcp::endpoint> Server::Listen() {
  boost::system::error_code ec;
  asio::ip::address address = asio::ip::make_address(options_.host, ec);
  if (ec) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "invalid listen address \"" + options_.host + "\": want an IP address");
  }
  tcp::endpoint endpoint(address, options_.port);
  acceptor_ = std::make_unique<tcp::acceptor>(*loops_[0]);
  const std::string where = options_.host + ":" + std::to_string(options_.port);
  if (acceptor_->open(endpoint.protocol(), ec); ec) {
    return MakeError(ErrorCode::kUnavailable, "cannot listen on " + where + ": " + ec.message());
  }
  acceptor_->set_option(asio::socket_base::reuse_address(true), ec);
  if (acceptor_->bind(endpoint, ec); ec) {
    return MakeError(ErrorCode::kUnavailable, "cannot listen on " + where + ": " + ec.message());
  }
  if (acceptor_->listen(asio::socket_base::max_listen_connections, ec); ec) {
    return MakeError(ErrorCode::kUnavailable, "cannot listen on " + where + ": " + ec.message());
  }
  return acceptor_->local_endpoint();
}

void Server::Run() {
  signals_ = std::make_unique<asio::signal_set>(*loops_[0], SIGINT, SIGTERM);
  signals_->async_wait([this](const boost::system::error_code& ec, int signal) {
    if (ec) return;
    spdlog::info("received signal {}, shutting down", signal);
    Stop();
  });
  asio::co_spawn(*loops_[0], AcceptLoop(), asio::detached);

  // The watchdog bounds the drain: after shutdown_grace the loops are stopped
  // even if a client is still downloading.
  std::thread watchdog([this] {
    std::unique_lock lock(stop_mu_);
    stop_cv_.wait(lock, [this] { return finished_ || stopping_.load(); });
    if (!stop_cv_.wait_for(lock, options_.shutdown_grace, [this] { return finished_; })) {
      spdlog::warn("shutdown grace period over, closing remaining connections");
      for (auto& loop : loops_) loop->stop();
    }
  });

  std::vector<std::thread> threads;
  for (std::size_t i = 1; i < loops_.size(); ++i) {
    threads.emplace_back([loop = loops_[i].get()] {
      loop->run();
      FlushAccessLog();
    });
  }
  loops_[0]->run();
  FlushAccessLog();
  for (std::thread& t : threads) t.join();
  {
    std::lock_guard lock(stop_mu_);
    finished_ = true;
  }
  stop_cv_.notify_all();
  watchdog.join();
}

void Server::Stop() {
  std::call_once(stop_once_, [this] {
    {
      std::lock_guard lock(stop_mu_);
      stopping_ = true;
    }
    stop_cv_.notify_all();
    asio::post(*loops_[0], [this] {
      boost::system::error_code ignored;
      if (acceptor_) acceptor_->close(ignored);
      // Loop 0 must be able to run out of work.
      if (signals_) signals_->cancel(ignored);
      for (auto& guard : guards_) guard.reset();
      sessions_.ForEach([](const std::shared_ptr<SessionRegistry::Entry>& entry) {
        asio::post(entry->executor, [entry] {
          // Re-checked on the connection's own loop: it may have become busy.
          if (entry->alive && entry->idle) entry->stream->socket().close();
        });
      });
    });
  });
}

asio::awaitable<void> Server::AcceptLoop() {
  std::size_t next = 0;
  for (;;) {
    asio::io_context& loop = *loops_[next++ % loops_.size()];
    auto [ec, socket] = co_await acceptor_->async_accept(loop, kTuple);
    if (stopping_) co_return;
    if (ec) {
      if (ec == asio::error::operation_aborted) co_return;
      // Out of file descriptors and the like: back off instead of spinning.
      spdlog::warn("accept failed: {}", ec.message());
      asio::steady_timer pause(acceptor_->get_executor(), std::chrono::milliseconds(100));
      co_await pause.async_wait(kTuple);
      continue;
    }
    asio::co_spawn(loop, Session(loop, std::move(socket)), [](std::exception_ptr e) {
      if (!e) return;
      try {
        std::rethrow_exception(e);
      } catch (const std::exception& ex) {
        spdlog::error("connection failed: {}", ex.what());
      } catch (...) {
        spdlog::error("connection failed: unknown exception");
      }
    });
  }
}

asio::awaitable<void> Server::Session(asio::io_context& loop, tcp::socket socket) {
  boost::system::error_code ec;
  const tcp::endpoint peer = socket.remote_endpoint(ec);
  const std::string remote =
      ec ? "" : peer.address().to_string() + ":" + std::to_string(peer.port());
  socket.set_option(tcp::no_delay(true), ec);
  beast::tcp_stream stream(std::move(socket));
  std::shared_ptr<SessionRegistry::Entry> entry = sessions_.Add(stream.get_executor(), &stream);
  beast::flat_buffer buffer;
  std::string head;  // response head, reused for every response on this connection

  while (!stopping_) {
    entry->idle = true;
    bhttp::request_parser<bhttp::string_body> parser;
    parser.header_limit(16 * 1024);
    parser.body_limit(64 * 1024);
    stream.expires_after(options_.idle_timeout);
    auto [read_ec, n] = co_await bhttp::async_read(stream, buffer, parser, kTuple);
    if (read_ec) {
      // A request we could not parse gets a 400 before the close; a peer that
      // went away or idled out gets nothing.
      const bool malformed =
          read_ec.category() == bhttp::make_error_code(bhttp::error::bad_target).category() &&
          read_ec != bhttp::error::end_of_stream && read_ec != bhttp::error::partial_message;
      if (malformed) {
        const bool too_large =
            read_ec == bhttp::error::body_limit || read_ec == bhttp::error::header_limit;
        Response response =
            ErrorResponse(MakeError(ErrorCode::kInvalidArgument,
                                    too_large ? "request too large"
                                              : "malformed HTTP request: " + read_ec.message()),
                          "other");
        std::uint64_t sent = 0;
        co_await WriteResponse(stream, head, 11, false, false, response, sent);
        metrics_.http_requests.With({"other", "400"}).Increment();
        metrics_.request_errors.With({"bad_request"}).Increment();
        spdlog::warn("{}: {}", remote, response.body->substr(0, response.body->size() - 1));
      }
      break;
    }
    entry->idle = false;
    const auto start = std::chrono::steady_clock::now();
    const auto& req = parser.get();
    RequestView view;
    view.method = std::string(req.method_string());
    view.target = std::string(req.target());
    auto disable = req.find("Disable-Module-Fetch");
    view.disable_fetch = disable != req.end() && beast::iequals(disable->value(), "true");
    view.may_stream = view.method == "GET" && req.version() >= 11;

    Response response = co_await handler_.Handle(view);
    const bool keep_alive = req.keep_alive() && !stopping_;
    std::uint64_t sent = 0;
    const bool written = co_await WriteResponse(stream, head, req.version(), view.method == "HEAD",
                                                keep_alive, response, sent);

    AccessRecord record{remote,
                        view.method,
                        view.target,
                        response.status,
                        sent,
                        std::chrono::steady_clock::now() - start,
                        response.cache_hit.value_or(false)};
    WriteAccessLog(record, loop);
    LogOutcome(record, response);
    metrics_.http_requests.With({response.endpoint, std::to_string(response.status)}).Increment();
    metrics_.http_duration.With({response.endpoint}).Observe(record.duration.count());
    metrics_.response_bytes.With({}).Increment(sent);
    if (!response.error_reason.empty()) {
      metrics_.request_errors.With({response.error_reason}).Increment();
    } else if (response.stream) {
      // A streamed zip that failed after its 200 was sent: the reason only
      // shows here (and in the cut-off body).
      if (const cache::ZipStream::Snapshot end = response.stream->snapshot();
          end.state == cache::ZipStream::State::kFailed) {
        metrics_.request_errors.With({ReasonFor(end.error.code)}).Increment();
      }
    }
    if (!written || !keep_alive) break;
  }
  sessions_.Remove(entry);
  stream.socket().shutdown(tcp::socket::shutdown_send, ec);
  stream.socket().close(ec);
}

}  // namespace modproxy::http
