#include "modproxy/loadgen/response_parser.h"

#include <algorithm>
#include <cstring>

namespace modproxy::loadgen {
namespace {

// Header names arrive in any case (RFC 9110 §5.1); `lower` is lowercase.
bool EqualsIgnoreCase(std::string_view text, std::string_view lower) {
  if (text.size() != lower.size()) return false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != lower[i]) return false;
  }
  return true;
}

std::string_view TrimWhitespace(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Calls `fn` for each comma-separated token of a list-valued header
// (Connection, Transfer-Encoding), trimmed.
template <typename Fn>
void ForEachToken(std::string_view value, Fn fn) {
  while (true) {
    std::size_t comma = value.find(',');
    fn(TrimWhitespace(value.substr(0, comma)));
    if (comma == std::string_view::npos) return;
    value.remove_prefix(comma + 1);
  }
}

}  // namespace

std::size_t ResponseParser::Parse(std::string_view data) {
  std::size_t pos = 0;
  while (state_ == State::kIncomplete && pos < data.size()) {
    const std::size_t available = data.size() - pos;
    switch (phase_) {
      case Phase::kFixedBody:
      case Phase::kChunkData: {
        const std::size_t n =
            static_cast<std::size_t>(std::min<std::uint64_t>(remaining_, available));
        started_ = true;
        body_bytes_ += n;
        remaining_ -= n;
        pos += n;
        if (remaining_ == 0) {
          if (phase_ == Phase::kFixedBody) {
            Finish();
          } else {
            phase_ = Phase::kChunkDataEnd;
          }
        }
        continue;
      }
      case Phase::kBodyUntilClose:
        body_bytes_ += available;
        pos = data.size();
        continue;
      case Phase::kDone:
        return pos;
      default:
        break;
    }
    // Line-oriented phases: wait for the whole line rather than keeping
    // partial state, so that a line split across reads costs nothing extra.
    const char* begin = data.data() + pos;
    const void* newline = std::memchr(begin, '\n', available);
    if (newline == nullptr) {
      if (header_bytes_ + available > kMaxHeaderBytes) Fail("header section too long");
      return pos;
    }
    const std::size_t consumed = static_cast<const char*>(newline) - begin + 1;
    std::string_view line(begin, consumed - 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    header_bytes_ += consumed;
    if (header_bytes_ > kMaxHeaderBytes) {
      Fail("header section too long");
      return pos;
    }
    started_ = true;
    pos += consumed;
    switch (phase_) {
      case Phase::kStatusLine:
        if (ParseStatusLine(line)) phase_ = Phase::kHeaders;
        break;
      case Phase::kHeaders:
        if (line.empty()) {
          StartBody();
        } else {
          ParseHeaderLine(line);
        }
        break;
      case Phase::kChunkSize:
        header_bytes_ = 0;  // the limit applies to each chunk-size line on its own
        ParseChunkSize(line);
        break;
      case Phase::kChunkDataEnd:
        header_bytes_ = 0;
        if (line.empty()) {
          phase_ = Phase::kChunkSize;
        } else {
          Fail("chunk data longer than its size");
        }
        break;
      case Phase::kTrailers:
        // Trailer fields carry nothing the load generator reports.
        if (line.empty()) Finish();
        break;
      default:
        break;
    }
  }
  return pos;
}

bool ResponseParser::ParseStatusLine(std::string_view line) {
  // "HTTP/1.1 200 OK"; the reason phrase may be empty or absent.
  if (line.size() < 12 || line.substr(0, 7) != "HTTP/1." || !IsDigit(line[7]) || line[8] != ' ' ||
      !IsDigit(line[9]) || !IsDigit(line[10]) || !IsDigit(line[11]) ||
      (line.size() > 12 && line[12] != ' ')) {
    Fail("bad status line");
    return false;
  }
  status_code_ = (line[9] - '0') * 100 + (line[10] - '0') * 10 + (line[11] - '0');
  if (status_code_ < 100) {
    Fail("bad status code");
    return false;
  }
  http10_ = line[7] == '0';
  return true;
}

void ResponseParser::ParseHeaderLine(std::string_view line) {
  const std::size_t colon = line.find(':');
  if (colon == std::string_view::npos || colon == 0) {
    Fail("header line without a name and ':'");
    return;
  }
  const std::string_view name = line.substr(0, colon);
  if (name.find_first_of(" \t") != std::string_view::npos) {
    Fail("whitespace in a header name");  // also rejects obsolete line folding
    return;
  }
  const std::string_view value = TrimWhitespace(line.substr(colon + 1));
  if (EqualsIgnoreCase(name, "content-length")) {
    if (value.empty() || value.size() > 18 || !std::all_of(value.begin(), value.end(), IsDigit)) {
      Fail("bad Content-Length");
      return;
    }
    std::uint64_t length = 0;
    for (char c : value) length = length * 10 + static_cast<std::uint64_t>(c - '0');
    // Two different lengths are the request-smuggling ambiguity RFC 9112
    // §6.3 says to treat as unrecoverable.
    if (has_content_length_ && length != content_length_) {
      Fail("conflicting Content-Length headers");
      return;
    }
    has_content_length_ = true;
    content_length_ = length;
  } else if (EqualsIgnoreCase(name, "transfer-encoding")) {
    has_transfer_encoding_ = true;
    // Only a final "chunked" coding frames the body (RFC 9112 §6.3).
    ForEachToken(value, [this](std::string_view token) {
      if (!token.empty()) chunked_ = EqualsIgnoreCase(token, "chunked");
    });
  } else if (EqualsIgnoreCase(name, "connection")) {
    ForEachToken(value, [this](std::string_view token) {
      if (EqualsIgnoreCase(token, "close")) keep_alive_ = false;
      if (EqualsIgnoreCase(token, "keep-alive")) saw_keep_alive_token_ = true;
    });
  }
}

void ResponseParser::StartBody() {
  header_bytes_ = 0;
  if (status_code_ < 200 && status_code_ != 101) {
    // An interim response (100 Continue, 103 Early Hints): the real one follows.
    const bool started = started_;
    Reset();
    started_ = started;
    return;
  }
  if (http10_ && !saw_keep_alive_token_) keep_alive_ = false;
  if (status_code_ == 101) {
    keep_alive_ = false;  // the connection now speaks another protocol
    Finish();
  } else if (status_code_ == 204 || status_code_ == 304) {
    Finish();
  } else if (has_transfer_encoding_) {
    if (chunked_) {
      phase_ = Phase::kChunkSize;
    } else {
      phase_ = Phase::kBodyUntilClose;
      keep_alive_ = false;
    }
  } else if (has_content_length_) {
    remaining_ = content_length_;
    if (remaining_ == 0) {
      Finish();
    } else {
      phase_ = Phase::kFixedBody;
    }
  } else {
    phase_ = Phase::kBodyUntilClose;
    keep_alive_ = false;
  }
}

void ResponseParser::ParseChunkSize(std::string_view line) {
  // chunk-size [ chunk-ext ]; extensions carry nothing we report.
  std::size_t i = 0;
  std::uint64_t size = 0;
  while (i < line.size() && HexValue(line[i]) >= 0) {
    if (i == 15) {
      Fail("chunk size too large");
      return;
    }
    size = size * 16 + static_cast<std::uint64_t>(HexValue(line[i]));
    ++i;
  }
  const std::string_view rest = TrimWhitespace(line.substr(i));
  if (i == 0 || (!rest.empty() && rest.front() != ';')) {
    Fail("bad chunk size");
    return;
  }
  if (size == 0) {
    phase_ = Phase::kTrailers;
  } else {
    remaining_ = size;
    phase_ = Phase::kChunkData;
  }
}

void ResponseParser::OnEof() {
  if (state_ == State::kIncomplete && phase_ == Phase::kBodyUntilClose) Finish();
}

void ResponseParser::Reset() { *this = ResponseParser(); }

void ResponseParser::Fail(const char* why) {
  state_ = State::kError;
  error_ = why;
}

void ResponseParser::Finish() {
  state_ = State::kComplete;
  phase_ = Phase::kDone;
}

}  // namespace modproxy::loadgen
