#include "modproxy/http/server.h"

#include <sys/socket.h>

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
#include <boost/beast/ssl.hpp>
#include <openssl/x509.h>
#include <spdlog/spdlog.h>

#include "modproxy/core/version.h"
#include "modproxy/http/access_log.h"
#include "modproxy/http/peer_certificate.h"
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
// errors, client mistakes as warnings, not-found (hot and normal, §1.11) and
// rate-limited as debug.
void LogOutcome(const AccessRecord& record, const Response& response) {
  if (response.status < 400) return;
  std::string_view reason = response.body ? std::string_view(*response.body) : "";
  while (!reason.empty() && reason.back() == '\n') reason.remove_suffix(1);
  spdlog::level::level_enum level = spdlog::level::warn;
  if (response.status >= 500) level = spdlog::level::err;
  // An abusive client must not flood the log: its 429s are counted in
  // metrics and shown in the access log.
  if (response.status == 404 || response.status == 410 || response.status == 429) {
    level = spdlog::level::debug;
  }
  spdlog::log(level, "{} {} -> {}: {}", record.method, record.path, response.status, reason);
}

// IPv4 clients of a dual-stack listener arrive as ::ffff:a.b.c.d; limits and
// logs want the address the client knows itself by.
std::string NormalizedIp(const asio::ip::address& address) {
  if (address.is_v6() && address.to_v6().is_v4_mapped()) {
    return asio::ip::make_address_v4(asio::ip::v4_mapped, address.to_v6()).to_string();
  }
  return address.to_string();
}

// Whether the client sent a certificate at all (verified or not).
bool PeerSentCertificate(SSL* ssl) {
  X509* cert = SSL_get1_peer_certificate(ssl);
  if (cert == nullptr) return false;
  X509_free(cert);
  return true;
}

}  // namespace

Server::Server(ServerOptions options, Handler& handler, metrics::ProxyMetrics& metrics)
    : options_(std::move(options)),
      handler_(handler),
      metrics_(metrics),
      connections_(options_.max_connections_per_ip) {
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
  hangup_ = std::make_unique<asio::signal_set>(*loops_[0], SIGHUP);
  WaitForHangup();
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
      if (hangup_) hangup_->cancel(ignored);
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

void Server::WaitForHangup() {
  hangup_->async_wait([this](const boost::system::error_code& ec, int) {
    if (ec) return;
    spdlog::info("received SIGHUP, reloading");
    if (options_.on_hangup) options_.on_hangup();
    WaitForHangup();
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
  if (ec) co_return;  // already gone
  ConnectionFacts facts;
  facts.ip = NormalizedIp(peer.address());
  facts.remote = peer.address().is_v6() && !peer.address().to_v6().is_v4_mapped()
                     ? "[" + facts.ip + "]:" + std::to_string(peer.port())
                     : facts.ip + ":" + std::to_string(peer.port());
  socket.set_option(tcp::no_delay(true), ec);

  std::optional<ConnectionLimiter::Place> place = connections_.TryAdd(facts.ip);
  if (!place) {
    metrics_.request_errors.With({"too_many_connections"}).Increment();
    // Debug: a flood of these must not flood the log (the metric counts them).
    spdlog::debug("{}: refusing a connection: {} already open from {}", facts.remote,
                  options_.max_connections_per_ip, facts.ip);
    if (options_.tls == nullptr) {
      // Best effort, never waiting: the client learns why before the close.
      const std::string body = "too many connections from " + facts.ip + "\n";
      const std::string reply =
          "HTTP/1.1 429 Too Many Requests\r\nContent-Type: text/plain; "
          "charset=utf-8\r\nRetry-After: 1\r\nConnection: close\r\n"
          "Content-Length: " +
          std::to_string(body.size()) + "\r\n\r\n" + body;
      [[maybe_unused]] ssize_t n =
          ::send(socket.native_handle(), reply.data(), reply.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    }
    socket.close(ec);
    co_return;
  }

  if (options_.tls == nullptr) {
    beast::tcp_stream stream(std::move(socket));
    co_await ServeRequests(loop, stream, facts);
    stream.socket().shutdown(tcp::socket::shutdown_send, ec);
    stream.socket().close(ec);
    co_return;
  }

  // Each connection keeps the context it started with: a SIGHUP reload
  // swaps the provider's, never this one.
  std::shared_ptr<asio::ssl::context> context = options_.tls->Current();
  TlsStream stream(beast::tcp_stream(std::move(socket)), *context);
  beast::get_lowest_layer(stream).expires_after(options_.header_timeout);
  auto [handshake_ec] = co_await stream.async_handshake(asio::ssl::stream_base::server, kTuple);
  if (handshake_ec) {
    metrics_.request_errors.With({"tls_handshake"}).Increment();
    spdlog::debug("{}: TLS handshake failed: {}", facts.remote, handshake_ec.message());
    beast::get_lowest_layer(stream).socket().close(ec);
    co_return;
  }
  facts.certificate = VerifiedPeerSubject(stream.native_handle());
  if (!facts.certificate && PeerSentCertificate(stream.native_handle())) {
    spdlog::warn("{}: client certificate did not verify ({}); serving as anonymous", facts.remote,
                 X509_verify_cert_error_string(SSL_get_verify_result(stream.native_handle())));
  }
  co_await ServeRequests(loop, stream, facts);
  // A close_notify, briefly: a client that does not answer it is not waited for.
  beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(1));
  co_await stream.async_shutdown(kTuple);
  beast::get_lowest_layer(stream).socket().close(ec);
}

template <typename Stream>
asio::awaitable<void> Server::ServeRequests(asio::io_context& loop, Stream& stream,
                                            const ConnectionFacts& facts) {
  beast::tcp_stream& tcp = beast::get_lowest_layer(stream);
  std::shared_ptr<SessionRegistry::Entry> entry = sessions_.Add(tcp.get_executor(), &tcp);
  beast::flat_buffer buffer;
  std::string head;  // response head, reused for every response on this connection

  while (!stopping_) {
    entry->idle = true;
    // Idle until the first byte of the next request (unless pipelined bytes
    // are already here); from then on the whole head must arrive within
    // header_timeout, however slowly a client trickles it.
    if (buffer.size() == 0) {
      tcp.expires_after(options_.idle_timeout);
      auto [wait_ec, got] = co_await stream.async_read_some(buffer.prepare(4096), kTuple);
      if (wait_ec) break;
      buffer.commit(got);
    }
    bhttp::request_parser<bhttp::string_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(options_.max_header_size));
    parser.body_limit(64 * 1024);
    tcp.expires_after(options_.header_timeout);
    auto [read_ec, n] = co_await bhttp::async_read(stream, buffer, parser, kTuple);
    // Beast applies header_limit to the unparsed rest of the head only, so a
    // head that arrived in pieces can pass it; count the bytes it consumed.
    if (!read_ec && n > parser.get().body().size() + options_.max_header_size) {
      read_ec = bhttp::error::header_limit;
    }
    if (read_ec) {
      // A request we could not parse gets a 4xx before the close; a peer that
      // went away or timed out gets nothing.
      const bool malformed =
          read_ec.category() == bhttp::make_error_code(bhttp::error::bad_target).category() &&
          read_ec != bhttp::error::end_of_stream && read_ec != bhttp::error::partial_message;
      if (read_ec == beast::error::timeout) {
        metrics_.request_errors.With({"header_timeout"}).Increment();
        spdlog::debug("{}: request head not complete within {} ms, closing", facts.remote,
                      options_.header_timeout.count());
      }
      if (malformed) {
        Response response;
        if (read_ec == bhttp::error::header_limit) {
          response =
              ErrorResponse(MakeError(ErrorCode::kInvalidArgument,
                                      "request header larger than " +
                                          std::to_string(options_.max_header_size) + " bytes"),
                            "other");
        } else {
          response = ErrorResponse(MakeError(ErrorCode::kInvalidArgument,
                                             read_ec == bhttp::error::body_limit
                                                 ? std::string("request too large")
                                                 : "malformed HTTP request: " + read_ec.message()),
                                   "other");
        }
        std::uint64_t sent = 0;
        co_await WriteResponse(stream, head, 11, false, false, response, sent);
        metrics_.http_requests.With({"other", std::to_string(response.status)}).Increment();
        metrics_.request_errors.With({"bad_request"}).Increment();
        spdlog::warn("{}: {}", facts.remote, response.body->substr(0, response.body->size() - 1));
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
    view.peer_ip = facts.ip;
    view.certificate = facts.certificate ? &*facts.certificate : nullptr;
    if (auto it = req.find(bhttp::field::authorization); it != req.end()) {
      view.authorization = std::string_view(it->value().data(), it->value().size());
    }
    // Several X-Forwarded-For headers are one list, in order.
    for (auto [it, end] = req.equal_range("X-Forwarded-For"); it != end; ++it) {
      if (!view.forwarded_for.empty()) view.forwarded_for += ',';
      view.forwarded_for += std::string(it->value());
    }

    Response response;
    // 400 like every other bad request (design.md), with the reason.
    const bool too_long = view.target.size() > options_.max_request_line;
    if (too_long) {
      response = ErrorResponse(MakeError(ErrorCode::kInvalidArgument,
                                         "request target longer than " +
                                             std::to_string(options_.max_request_line) + " bytes"),
                               "other");
    } else {
      response = co_await handler_.Handle(view);
    }
    const bool keep_alive = req.keep_alive() && !stopping_ && !too_long;
    std::uint64_t sent = 0;
    const bool written = co_await WriteResponse(stream, head, req.version(), view.method == "HEAD",
                                                keep_alive, response, sent);
    response.hold.reset();  // a fetch slot is free as soon as its answer is out

    AccessRecord record{facts.remote,
                        view.method,
                        view.target,
                        response.status,
                        sent,
                        std::chrono::steady_clock::now() - start,
                        response.cache_hit.value_or(false),
                        response.identity,
                        response.client_ip.empty() ? facts.ip : response.client_ip};
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
}

}  // namespace modproxy::http
