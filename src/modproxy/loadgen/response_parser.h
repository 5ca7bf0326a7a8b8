#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

// A minimal incremental HTTP/1.1 response parser for the load generator.
// Beast's parser would work, but it keeps the header fields it reads and
// allocates for them; the load loop needs only the status, the framing and the
// body size of each response, at tens of thousands of responses a second, so
// this one stores nothing but a few integers. Pure code: no I/O, no clock.
namespace modproxy::loadgen {

class ResponseParser {
 public:
  enum class State {
    kIncomplete,  // feed it more bytes (or call OnEof)
    kComplete,    // one response is done: read status_code() and friends, then Reset()
    kError,       // malformed input: error() says why; the connection must be dropped
  };

  // A header section larger than this is malformed. Callers must be able to
  // present at least this many unconsumed bytes at once (their receive
  // buffer must be larger).
  static constexpr std::size_t kMaxHeaderBytes = 32 * 1024;

  // Parses as much of `data` as it can and returns how many bytes it used.
  // It stops right after the end of a complete response, so the caller can see
  // where a following (pipelined) response begins, and before an incomplete
  // line (status line, header or chunk size): the caller must keep those
  // unconsumed bytes and present them again with more bytes appended. Body
  // bytes are consumed (counted, not kept) as they arrive.
  std::size_t Parse(std::string_view data);

  // The peer closed the connection. Completes a body that is delimited by
  // the close (no Content-Length, not chunked); otherwise the response was
  // truncated and the state stays kIncomplete (the caller reports it).
  void OnEof();

  // Starts over for the next response on the same connection.
  void Reset();

  State state() const { return state_; }
  // True once any byte of the current response has been consumed.
  bool started() const { return started_; }
  // Valid once the status line has been parsed (100..999).
  int status_code() const { return status_code_; }
  // Whether the connection may carry another request after this response
  // (HTTP/1.1 without "Connection: close", or HTTP/1.0 with keep-alive, and a
  // body not delimited by the close).
  bool keep_alive() const { return keep_alive_; }
  // Body bytes seen so far (after removing chunked framing).
  std::uint64_t body_bytes() const { return body_bytes_; }
  // Why the state is kError (a static string).
  std::string_view error() const { return error_; }

 private:
  enum class Phase {
    kStatusLine,
    kHeaders,
    kFixedBody,
    kChunkSize,
    kChunkData,
    kChunkDataEnd,
    kTrailers,
    kBodyUntilClose,
    kDone,
  };

  // Each sets the error state on malformed input.
  bool ParseStatusLine(std::string_view line);  // false on error
  void ParseHeaderLine(std::string_view line);
  void StartBody();
  void ParseChunkSize(std::string_view line);
  void Fail(const char* why);
  void Finish();

  State state_ = State::kIncomplete;
  Phase phase_ = Phase::kStatusLine;
  bool started_ = false;
  int status_code_ = 0;
  bool http10_ = false;
  bool keep_alive_ = true;
  bool saw_keep_alive_token_ = false;
  bool has_transfer_encoding_ = false;
  bool chunked_ = false;
  bool has_content_length_ = false;
  std::uint64_t content_length_ = 0;
  std::uint64_t remaining_ = 0;  // of the fixed body or the current chunk
  std::uint64_t body_bytes_ = 0;
  std::size_t header_bytes_ = 0;
  const char* error_ = "";
};

}  // namespace modproxy::loadgen
