#include "modproxy/http/write_response.h"

#include <sys/sendfile.h>
#include <sys/socket.h>

#include <array>
#include <cerrno>
#include <cstdio>
#include <memory>
#include <vector>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <spdlog/spdlog.h>

#include "modproxy/http/response_head.h"

namespace modproxy::http {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);
constexpr std::size_t kChunkBytes = 256 * 1024;
constexpr std::size_t kSendfileBytes = 1024 * 1024;  // per call: other connections get a turn
constexpr auto kWriteTimeout = std::chrono::seconds(60);

// Waits until the socket can take more bytes, for at most kWriteTimeout
// (a client that stops reading must not hold the connection forever).
asio::awaitable<bool> WaitWritable(tcp::socket& socket) {
  // The timer's handler may run after this frame is gone (cancel() cannot
  // recall a handler already queued): it only touches shared state.
  struct State {
    tcp::socket* socket;
    bool done = false;
    bool timed_out = false;
  };
  auto state = std::make_shared<State>(State{&socket});
  asio::steady_timer timer(socket.get_executor(), kWriteTimeout);
  timer.async_wait([state](const boost::system::error_code& ec) {
    if (ec || state->done) return;
    state->timed_out = true;
    boost::system::error_code ignored;
    state->socket->cancel(ignored);
  });
  auto [ec] = co_await socket.async_wait(tcp::socket::wait_write, kTuple);
  state->done = true;
  timer.cancel();
  co_return !ec && !state->timed_out;
}

// Writes all of `bytes` without blocking the loop; the first attempt goes
// straight to the kernel, with MSG_MORE when a file follows so that the
// head and the start of the file share packets.
asio::awaitable<bool> SendAll(tcp::socket& socket, std::string_view bytes, bool more) {
  const int flags = MSG_NOSIGNAL | MSG_DONTWAIT | (more ? MSG_MORE : 0);
  while (!bytes.empty()) {
    const ssize_t n = ::send(socket.native_handle(), bytes.data(), bytes.size(), flags);
    if (n > 0) {
      bytes.remove_prefix(static_cast<std::size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      if (!co_await WaitWritable(socket)) co_return false;
      continue;
    }
    co_return false;
  }
  co_return true;
}

asio::awaitable<bool> SendFile(tcp::socket& socket, int file, std::uint64_t size,
                               std::uint64_t& sent) {
  off_t offset = 0;
  while (sent < size) {
    const std::size_t want =
        static_cast<std::size_t>(std::min<std::uint64_t>(size - sent, kSendfileBytes));
    const ssize_t n = ::sendfile(socket.native_handle(), file, &offset, want);
    if (n > 0) {
      sent += static_cast<std::uint64_t>(n);
      continue;
    }
    if (n == 0) {
      spdlog::error("sending cached file failed after {} of {} bytes: file ended early", sent,
                    size);
      co_return false;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      if (!co_await WaitWritable(socket)) co_return false;
      continue;
    }
    // A reset by the peer is routine; anything else is worth a line.
    if (errno != EPIPE && errno != ECONNRESET) {
      spdlog::error("sendfile failed after {} of {} bytes: {}", sent, size, std::strerror(errno));
    }
    co_return false;
  }
  co_return true;
}

// The timeouts live on the TCP layer under TLS too.
template <typename Stream>
void ExpireAfter(Stream& stream, std::chrono::seconds timeout) {
  boost::beast::get_lowest_layer(stream).expires_after(timeout);
}

template <typename Stream>
asio::awaitable<bool> SendReader(Stream& stream, storage::BlobReader& reader, std::uint64_t& sent) {
  std::vector<char> buffer(std::min<std::uint64_t>(kChunkBytes, reader.size() + 1));
  std::uint64_t remaining = reader.size();
  while (remaining > 0) {
    Result<std::size_t> got = reader.Read(buffer.data(), buffer.size());
    if (!got || *got == 0) {
      spdlog::error("reading cached body failed after {} bytes: {}", sent,
                    got ? "unexpected end of file" : got.error().message);
      co_return false;
    }
    const std::size_t count = static_cast<std::size_t>(std::min<std::uint64_t>(*got, remaining));
    ExpireAfter(stream, kWriteTimeout);
    auto [ec, written] =
        co_await asio::async_write(stream, asio::buffer(buffer.data(), count), kTuple);
    sent += written;
    if (ec) co_return false;
    remaining -= count;
  }
  co_return true;
}

// Sends a zip as it is released, one HTTP chunk per read. A failed stream
// (verification refused it, the upstream broke) returns false without the
// last chunk, so the connection is closed and the client sees a short body.
template <typename Stream>
asio::awaitable<bool> SendStream(Stream& stream, const std::shared_ptr<cache::ZipStream>& zip,
                                 std::uint64_t& sent) {
  std::vector<char> buffer(kChunkBytes);
  char size_line[24];
  for (;;) {
    const cache::ZipStream::Snapshot now = co_await cache::AwaitZipStream(zip, sent, false);
    if (now.state == cache::ZipStream::State::kFailed) {
      spdlog::warn("aborting a zip response after {} bytes: {}", sent, now.error.message);
      co_return false;
    }
    while (sent < now.released) {
      Result<std::size_t> got = zip->ReadAt(sent, buffer.data(), buffer.size());
      if (!got || *got == 0) {
        spdlog::error("reading the zip being downloaded failed after {} bytes: {}", sent,
                      got ? "unexpected end of file" : got.error().message);
        co_return false;
      }
      const int line = std::snprintf(size_line, sizeof size_line, "%zx\r\n", *got);
      const std::array<asio::const_buffer, 3> buffers{
          asio::buffer(size_line, static_cast<std::size_t>(line)),
          asio::buffer(buffer.data(), *got), asio::buffer("\r\n", 2)};
      ExpireAfter(stream, kWriteTimeout);
      auto [ec, n] = co_await asio::async_write(stream, buffers, kTuple);
      if (ec) co_return false;
      sent += *got;
    }
    if (now.state == cache::ZipStream::State::kDone) {
      ExpireAfter(stream, kWriteTimeout);
      auto [ec, n] = co_await asio::async_write(stream, asio::buffer("0\r\n\r\n", 5), kTuple);
      co_return !ec;
    }
  }
}

// Everything but the sendfile path, which needs the kernel socket: under
// TLS the bytes must be encrypted in user space, so files are read in chunks.
template <typename Stream>
asio::awaitable<bool> WriteAny(Stream& stream, std::string& head, unsigned version, bool head_only,
                               bool keep_alive, Response& response, std::uint64_t& sent) {
  head.clear();
  AppendResponseHead(head, response, version, keep_alive, HttpDate());
  if (response.stream && !head_only) {
    ExpireAfter(stream, kWriteTimeout);
    auto [ec, n] = co_await asio::async_write(stream, asio::buffer(head), kTuple);
    if (ec) co_return false;
    co_return co_await SendStream(stream, response.stream, sent);
  }
  if (head_only || (!response.body && !response.reader)) {
    ExpireAfter(stream, kWriteTimeout);
    auto [ec, n] = co_await asio::async_write(stream, asio::buffer(head), kTuple);
    co_return !ec;
  }
  if (response.body) {
    const std::array<asio::const_buffer, 2> buffers{asio::buffer(head),
                                                    asio::buffer(*response.body)};
    ExpireAfter(stream, kWriteTimeout);
    auto [ec, n] = co_await asio::async_write(stream, buffers, kTuple);
    sent = n > head.size() ? n - head.size() : 0;
    co_return !ec;
  }
  ExpireAfter(stream, kWriteTimeout);
  auto [ec, n] = co_await asio::async_write(stream, asio::buffer(head), kTuple);
  if (ec) co_return false;
  co_return co_await SendReader(stream, *response.reader, sent);
}

}  // namespace

asio::awaitable<bool> WriteResponse(boost::beast::tcp_stream& stream, std::string& head,
                                    unsigned version, bool head_only, bool keep_alive,
                                    Response& response, std::uint64_t& sent) {
  const bool sendfile = !head_only && !response.stream && !response.body && response.reader &&
                        response.reader->file_descriptor() >= 0;
  if (!sendfile) {
    co_return co_await WriteAny(stream, head, version, head_only, keep_alive, response, sent);
  }
  head.clear();
  AppendResponseHead(head, response, version, keep_alive, HttpDate());
  storage::BlobReader& reader = *response.reader;
  tcp::socket& socket = stream.socket();
  if (!co_await SendAll(socket, head, reader.size() > 0)) co_return false;
  co_return co_await SendFile(socket, reader.file_descriptor(), reader.size(), sent);
}

asio::awaitable<bool> WriteResponse(TlsStream& stream, std::string& head, unsigned version,
                                    bool head_only, bool keep_alive, Response& response,
                                    std::uint64_t& sent) {
  co_return co_await WriteAny(stream, head, version, head_only, keep_alive, response, sent);
}

}  // namespace modproxy::http
