#include "modproxy/zipbuild/zip_names.h"

#include "modproxy/protocol/text.h"
#include "modproxy/protocol/unicode_letters.h"

namespace modproxy::zipbuild::detail {
namespace {

// strconv.Quote's escapes for one ASCII byte.
std::string QuoteAscii(char c) {
  switch (c) {
    case '\a':
      return "\\a";
    case '\b':
      return "\\b";
    case '\f':
      return "\\f";
    case '\n':
      return "\\n";
    case '\r':
      return "\\r";
    case '\t':
      return "\\t";
    case '\v':
      return "\\v";
    case '"':
      return "\\\"";
    case '\\':
      return "\\\\";
    default:
      break;
  }
  const auto b = static_cast<unsigned char>(c);
  if (b >= 0x20 && b < 0x7F) return std::string(1, c);
  static constexpr char kHex[] = "0123456789abcdef";
  return std::string("\\x") + kHex[b >> 4] + kHex[b & 0x0F];
}

}  // namespace

bool IsVendoredPackage(std::string_view path) {
  constexpr std::string_view kTop = "vendor/";
  constexpr std::string_view kNested = "/vendor/";
  std::size_t start = 0;
  if (path.starts_with(kTop)) {
    start = kTop.size();
  } else if (path.find(kNested) != std::string_view::npos) {
    // Deliberately counted from the start of the path, not from the match:
    // the bug the go command keeps for checksum stability.
    start = kNested.size();
  } else {
    return false;
  }
  return path.substr(start).find('/') != std::string_view::npos;
}

std::string GoQuote(std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  const auto hex = [](char32_t v, int width) {
    std::string digits(static_cast<std::size_t>(width), '0');
    for (int i = width - 1; i >= 0; --i, v >>= 4) {
      digits[static_cast<std::size_t>(i)] = kHex[v & 0xF];
    }
    return digits;
  };
  std::string out = "\"";
  while (!s.empty()) {
    const protocol::detail::DecodedRune r = protocol::detail::DecodeRune(s);
    const std::string_view bytes = s.substr(0, r.size);
    s.remove_prefix(r.size);
    if (r.rune == protocol::detail::kRuneError && r.size == 1) {
      out += "\\x" + hex(static_cast<unsigned char>(bytes[0]), 2);
    } else if (r.rune >= 0x80) {
      if (protocol::detail::IsNonAsciiLetter(r.rune)) {
        out += bytes;
      } else if (r.rune <= 0xFFFF) {
        out += "\\u" + hex(r.rune, 4);
      } else {
        out += "\\U" + hex(r.rune, 8);
      }
    } else {
      out += QuoteAscii(static_cast<char>(r.rune));
    }
  }
  return out + "\"";
}

}  // namespace modproxy::zipbuild::detail
