#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>

// Small text helpers shared by the protocol parsers (they reproduce the few
// pieces of Go's strings/unicode/utf8 behaviour the x/mod and go command
// rules depend on), and used where untrusted bytes are logged or printed.
namespace modproxy::protocol::detail {

inline constexpr char32_t kRuneError = 0xFFFD;

// Decodes the UTF-8 sequence at the start of `s` (non-empty) as Go's
// utf8.DecodeRuneInString does: overlong forms, surrogates and values above
// U+10FFFF are invalid and yield {kRuneError, 1}.
struct DecodedRune {
  char32_t rune;
  std::size_t size;
};

inline DecodedRune DecodeRune(std::string_view s) {
  const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(s[i]); };
  const unsigned char b0 = byte(0);
  if (b0 < 0x80) return {b0, 1};
  std::size_t size = 0;
  unsigned char lo = 0x80;
  unsigned char hi = 0xBF;
  char32_t rune = 0;
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    size = 2;
    rune = b0 & 0x1F;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    size = 3;
    rune = b0 & 0x0F;
    if (b0 == 0xE0) lo = 0xA0;  // overlong
    if (b0 == 0xED) hi = 0x9F;  // surrogates
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    size = 4;
    rune = b0 & 0x07;
    if (b0 == 0xF0) lo = 0x90;  // overlong
    if (b0 == 0xF4) hi = 0x8F;  // above U+10FFFF
  } else {
    return {kRuneError, 1};
  }
  if (s.size() < size) return {kRuneError, 1};
  for (std::size_t i = 1; i < size; ++i) {
    const unsigned char b = byte(i);
    const unsigned char min = i == 1 ? lo : 0x80;
    const unsigned char max = i == 1 ? hi : 0xBF;
    if (b < min || b > max) return {kRuneError, 1};
    rune = (rune << 6) | (b & 0x3F);
  }
  return {rune, size};
}

// Appends r to `out` in UTF-8 as Go's utf8.AppendRune does: surrogates and
// values above U+10FFFF are not runes and come out as U+FFFD.
inline void AppendRune(std::string& out, char32_t r) {
  if ((r >= 0xD800 && r <= 0xDFFF) || r > 0x10FFFF) r = kRuneError;
  if (r < 0x80) {
    out += static_cast<char>(r);
  } else if (r < 0x800) {
    out += static_cast<char>(0xC0 | (r >> 6));
    out += static_cast<char>(0x80 | (r & 0x3F));
  } else if (r < 0x10000) {
    out += static_cast<char>(0xE0 | (r >> 12));
    out += static_cast<char>(0x80 | ((r >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (r & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (r >> 18));
    out += static_cast<char>(0x80 | ((r >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((r >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (r & 0x3F));
  }
}

// The first line of an untrusted body (an upstream's error page), at most
// 200 bytes, with control and non-ASCII bytes shown as '?': safe to put in
// a one-line message.
inline std::string PrintableExcerpt(std::string_view body) {
  std::string line(body.substr(0, body.find('\n')));
  if (line.size() > 200) line.resize(200);
  for (char& c : line) {
    if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7f) c = '?';
  }
  return line;
}

inline bool IsValidUtf8(std::string_view s) {
  while (!s.empty()) {
    const DecodedRune r = DecodeRune(s);
    if (r.rune == kRuneError && r.size == 1) return false;
    s.remove_prefix(r.size);
  }
  return true;
}

// Go's unicode.IsSpace, which strings.Fields and strings.TrimSpace use.
inline bool IsGoSpace(char32_t r) {
  switch (r) {
    case '\t':
    case '\n':
    case '\v':
    case '\f':
    case '\r':
    case ' ':
    case 0x85:
    case 0xA0:
    case 0x1680:
    case 0x2028:
    case 0x2029:
    case 0x202F:
    case 0x205F:
    case 0x3000:
      return true;
    default:
      return r >= 0x2000 && r <= 0x200A;
  }
}

// strings.TrimSpace.
inline std::string_view TrimSpace(std::string_view s) {
  std::size_t begin = s.size();
  std::size_t end = 0;
  for (std::size_t i = 0; i < s.size();) {
    const DecodedRune r = DecodeRune(s.substr(i));
    if (!IsGoSpace(r.rune)) {
      if (begin == s.size()) begin = i;
      end = i + r.size;
    }
    i += r.size;
  }
  return begin < end ? s.substr(begin, end - begin) : std::string_view();
}

// A double-quoted, ASCII-only rendering of `s` for one-line error messages:
// quotes, backslashes, control bytes and non-ASCII bytes are escaped, so a
// hostile request can never put a newline into a response or a log line.
inline std::string Quote(std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "\"";
  for (const char c : s) {
    const auto b = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (b >= 0x20 && b < 0x7F) {
      out += c;
    } else {
      out += "\\x";
      out += kHex[b >> 4];
      out += kHex[b & 0x0F];
    }
  }
  out += '"';
  return out;
}

// Plain decimal digits (no sign, no space; leading zeros allowed, as Go's
// strconv.ParseInt) that fit in an int64; nullopt otherwise.
inline std::optional<std::int64_t> ParseDecimalDigits(std::string_view s) {
  if (s.empty()) return std::nullopt;
  std::int64_t value = 0;
  for (const char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    if (value > (std::numeric_limits<std::int64_t>::max() - (c - '0')) / 10) return std::nullopt;
    value = value * 10 + (c - '0');
  }
  return value;
}

}  // namespace modproxy::protocol::detail
