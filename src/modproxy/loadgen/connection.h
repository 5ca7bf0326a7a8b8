#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/system/error_code.hpp>

#include "modproxy/loadgen/response_parser.h"

// One client connection of the load generator: the socket mechanics (connect,
// write one request, read one response) and nothing about what a run does
// with them; the ConnectionHost decides what comes next after each event.
// Single-threaded: everything runs on the one io_context of the run.
namespace modproxy::loadgen {

using Clock = std::chrono::steady_clock;

enum class TransportError { kConnect, kReset, kTimeout, kMalformed };

class Connection;

// The owner of a set of connections (the load run). Callbacks run on the
// io_context; each ends one operation the host started, and the host starts
// the next one (or none) from inside it.
class ConnectionHost {
 public:
  virtual ~ConnectionHost() = default;

  // Connect() finished; `error` is set when it failed (a kTimeout-expired
  // connect is reported as boost::asio::error::timed_out).
  virtual void OnConnected(Connection& connection, boost::system::error_code error) = 0;
  // Send() received a complete response; parser() describes it.
  virtual void OnResponse(Connection& connection, Clock::time_point sent,
                          Clock::time_point first_byte, Clock::time_point done) = 0;
  // Send() failed; the socket is already closed.
  virtual void OnSendFailed(Connection& connection, TransportError error) = 0;
  // Any operation of any connection completed (also a partial read, which
  // ends in no other callback): the host's sign that the loop is busy.
  virtual void OnActivity() = 0;
};

class Connection {
 public:
  // What the host uses this connection for (the connection itself ignores it).
  enum class Role { kLoad, kIdle };

  Connection(boost::asio::io_context& io, ConnectionHost& host, Role role);
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Closes any socket and connects to `endpoint`, after `delay` when it is
  // positive (a back-off after a failed connect). Gives up after `timeout`.
  void Connect(const boost::asio::ip::tcp::endpoint& endpoint, Clock::duration timeout,
               Clock::duration delay = Clock::duration::zero());
  // Writes `request` (which must outlive the exchange) and reads one
  // response; gives up after `timeout`. Requires a connected socket.
  void Send(const std::string& request, Clock::duration timeout);
  // Keeps the socket open with nothing outstanding and frees the receive
  // buffer (idle connections hold only the socket).
  void Park();
  // Whether the peer has closed a parked connection (a non-blocking peek).
  bool PeerClosed();
  // Closes the socket; pending operations complete with operation_aborted.
  void Close();

  // Called periodically by the host: fails a connect or exchange whose
  // deadline has passed. Cheaper than a timer per request, which would cost
  // two timer-queue operations for every response.
  void ExpireIfLate(Clock::time_point now);

  Role role() const { return role_; }
  const ResponseParser& parser() const { return parser_; }
  // Connected, with no operation outstanding.
  bool ready() const { return phase_ == Phase::kReady; }
  // Host bookkeeping: which request of a --once run is in flight.
  std::size_t tag = 0;

 private:
  enum class Phase { kClosed, kBackoff, kConnecting, kReady, kExchange };

  void StartConnect();
  void OnConnect(boost::system::error_code error);
  void StartRead();
  void OnRead(boost::system::error_code error, std::size_t bytes);
  void OnWritten(boost::system::error_code error);
  void Fail(TransportError error);
  void Complete(Clock::time_point done);
  void EnsureBuffer();

  // Large enough for any header section the parser accepts, and for few
  // reads per module zip.
  static constexpr std::size_t kBufferSize = 64 * 1024;

  ConnectionHost& host_;
  Role role_;
  boost::asio::ip::tcp::socket socket_;
  boost::asio::steady_timer backoff_;
  boost::asio::ip::tcp::endpoint endpoint_;
  Phase phase_ = Phase::kClosed;
  bool timed_out_ = false;  // ExpireIfLate closed the socket under a pending operation
  Clock::time_point deadline_{};
  Clock::duration connect_timeout_{};
  Clock::time_point sent_{};
  Clock::time_point first_byte_{};
  bool got_first_byte_ = false;
  std::unique_ptr<char[]> buffer_;
  std::size_t kept_ = 0;  // unconsumed bytes at the start of buffer_ (a partial line)
  ResponseParser parser_;
};

}  // namespace modproxy::loadgen
