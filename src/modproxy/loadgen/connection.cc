#include "modproxy/loadgen/connection.h"

#include <errno.h>
#include <sys/socket.h>

#include <cstring>

#include <boost/asio/error.hpp>
#include <boost/asio/write.hpp>

namespace modproxy::loadgen {

namespace asio = boost::asio;
using boost::system::error_code;

Connection::Connection(asio::io_context& io, ConnectionHost& host, Role role)
    : host_(host), role_(role), socket_(io), backoff_(io) {}

void Connection::Connect(const asio::ip::tcp::endpoint& endpoint, Clock::duration timeout,
                         Clock::duration delay) {
  Close();
  endpoint_ = endpoint;
  connect_timeout_ = timeout;
  if (delay <= Clock::duration::zero()) {
    StartConnect();
    return;
  }
  phase_ = Phase::kBackoff;
  backoff_.expires_after(delay);
  backoff_.async_wait([this](error_code error) {
    if (!error) StartConnect();
  });
}

void Connection::StartConnect() {
  phase_ = Phase::kConnecting;
  timed_out_ = false;
  deadline_ = Clock::now() + connect_timeout_;
  socket_.async_connect(endpoint_, [this](error_code error) { OnConnect(error); });
}

void Connection::OnConnect(error_code error) {
  host_.OnActivity();
  if (timed_out_) {
    error = asio::error::timed_out;
  } else if (error == asio::error::operation_aborted) {
    return;  // the host closed us: it no longer expects an answer
  }
  if (error) {
    error_code ignored;
    socket_.close(ignored);
    phase_ = Phase::kClosed;
    timed_out_ = false;
    host_.OnConnected(*this, error);
    return;
  }
  error_code ignored;
  // Requests are single small writes followed by a wait for the answer:
  // Nagle's algorithm would only add delay.
  socket_.set_option(asio::ip::tcp::no_delay(true), ignored);
  // Requests are written synchronously (see Send), which must never block.
  socket_.non_blocking(true, ignored);
  phase_ = Phase::kReady;
  host_.OnConnected(*this, {});
}

void Connection::Send(const std::string& request, Clock::duration timeout) {
  EnsureBuffer();
  parser_.Reset();
  kept_ = 0;
  got_first_byte_ = false;
  timed_out_ = false;
  phase_ = Phase::kExchange;
  sent_ = Clock::now();
  deadline_ = sent_ + timeout;
  // Without pipelining the socket's send buffer is empty between requests, so
  // a request of a few hundred bytes is written at once: a direct write saves
  // a trip through the event loop. async_write covers the rare exception.
  error_code error;
  std::size_t written = socket_.write_some(asio::buffer(request), error);
  if (error == asio::error::would_block || error == asio::error::try_again) {
    written = 0;
    error = {};
  }
  if (error) {
    Fail(TransportError::kReset);
    return;
  }
  if (written < request.size()) {
    asio::async_write(socket_, asio::buffer(request.data() + written, request.size() - written),
                      [this](error_code write_error, std::size_t) { OnWritten(write_error); });
    return;
  }
  StartRead();
}

void Connection::OnWritten(error_code error) {
  host_.OnActivity();
  if (timed_out_) {
    Fail(TransportError::kTimeout);
  } else if (error == asio::error::operation_aborted) {
    return;
  } else if (error) {
    Fail(TransportError::kReset);
  } else {
    StartRead();
  }
}

void Connection::StartRead() {
  socket_.async_read_some(asio::buffer(buffer_.get() + kept_, kBufferSize - kept_),
                          [this](error_code error, std::size_t bytes) { OnRead(error, bytes); });
}

void Connection::OnRead(error_code error, std::size_t bytes) {
  host_.OnActivity();
  if (timed_out_) {
    Fail(TransportError::kTimeout);
    return;
  }
  if (error == asio::error::operation_aborted) return;
  if (error == asio::error::eof) {
    parser_.OnEof();  // completes a body delimited by the close
    if (parser_.state() == ResponseParser::State::kComplete) {
      Complete(Clock::now());
    } else {
      Fail(TransportError::kReset);
    }
    return;
  }
  if (error) {
    Fail(TransportError::kReset);
    return;
  }
  const Clock::time_point now = Clock::now();
  if (!got_first_byte_) {
    first_byte_ = now;
    got_first_byte_ = true;
  }
  const std::size_t available = kept_ + bytes;
  const std::size_t used = parser_.Parse(std::string_view(buffer_.get(), available));
  switch (parser_.state()) {
    case ResponseParser::State::kError:
      Fail(TransportError::kMalformed);
      return;
    case ResponseParser::State::kComplete:
      // Bytes after the response answer no request of ours (we never
      // pipeline): the stream is out of step and cannot be trusted.
      if (used != available) {
        Fail(TransportError::kMalformed);
      } else {
        Complete(now);
      }
      return;
    case ResponseParser::State::kIncomplete:
      // The parser leaves at most a partial line (< kMaxHeaderBytes), so
      // moving it to the front always leaves room to read more.
      kept_ = available - used;
      if (kept_ > 0 && used > 0) std::memmove(buffer_.get(), buffer_.get() + used, kept_);
      StartRead();
      return;
  }
}

void Connection::Complete(Clock::time_point done) {
  phase_ = Phase::kReady;
  if (!parser_.keep_alive()) {
    error_code ignored;
    socket_.close(ignored);
    phase_ = Phase::kClosed;
  }
  host_.OnResponse(*this, sent_, got_first_byte_ ? first_byte_ : done, done);
}

void Connection::Fail(TransportError error) {
  error_code ignored;
  socket_.close(ignored);
  phase_ = Phase::kClosed;
  timed_out_ = false;
  host_.OnSendFailed(*this, error);
}

void Connection::Park() {
  buffer_.reset();
  phase_ = Phase::kReady;
}

bool Connection::PeerClosed() {
  if (!socket_.is_open()) return true;
  char byte = 0;
  const ssize_t got = ::recv(socket_.native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  if (got == 0) return true;  // orderly shutdown by the peer
  if (got < 0) return errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR;
  return false;  // unsolicited bytes, but still open
}

void Connection::Close() {
  backoff_.cancel();
  error_code ignored;
  socket_.close(ignored);
  phase_ = Phase::kClosed;
}

void Connection::ExpireIfLate(Clock::time_point now) {
  if ((phase_ == Phase::kConnecting || phase_ == Phase::kExchange) && !timed_out_ &&
      now > deadline_) {
    timed_out_ = true;
    error_code ignored;
    socket_.close(ignored);  // the pending operation completes with operation_aborted
  }
}

void Connection::EnsureBuffer() {
  if (!buffer_) buffer_.reset(new char[kBufferSize]);
}

}  // namespace modproxy::loadgen
