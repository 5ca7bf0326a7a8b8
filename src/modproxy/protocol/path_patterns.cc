#include "modproxy/protocol/path_patterns.h"

#include <cstddef>
#include <optional>

#include "modproxy/protocol/text.h"

namespace modproxy::protocol {
namespace {

// One character of a class ("a", "\]", "é"): its rune and the bytes it
// takes, or false when the class syntax is broken there (Go's getEsc).
bool ClassChar(std::string_view p, char32_t* rune, std::size_t* used) {
  if (p.empty() || p[0] == '-' || p[0] == ']') return false;
  std::size_t start = 0;
  if (p[0] == '\\') {
    if (p.size() < 2) return false;
    start = 1;
  }
  const detail::DecodedRune r = detail::DecodeRune(p.substr(start));
  if (r.rune == detail::kRuneError && r.size == 1) return false;
  *rune = r.rune;
  *used = start + r.size;
  // Something must follow: at least the closing ']'.
  return *used < p.size();
}

// Parses the class starting just after '[' and tests `rune` against it.
// Returns the bytes of the class body including the closing ']', or 0 when
// the class is malformed.
std::size_t MatchClass(std::string_view p, char32_t rune, bool* matched) {
  std::size_t i = 0;
  bool negated = false;
  if (i < p.size() && p[i] == '^') {
    negated = true;
    ++i;
  }
  bool hit = false;
  for (int ranges = 0;; ++ranges) {
    if (i < p.size() && p[i] == ']' && ranges > 0) {
      ++i;
      break;
    }
    char32_t lo = 0;
    std::size_t used = 0;
    if (!ClassChar(p.substr(i), &lo, &used)) return 0;
    i += used;
    char32_t hi = lo;
    if (p[i] == '-') {
      if (!ClassChar(p.substr(i + 1), &hi, &used)) return 0;
      i += 1 + used;
    }
    if (lo <= rune && rune <= hi) hit = true;
  }
  *matched = hit != negated;
  return i;
}

bool ValidPattern(std::string_view p) {
  for (std::size_t i = 0; i < p.size();) {
    if (p[i] == '\\') {
      if (i + 1 >= p.size()) return false;
      i += 2;
    } else if (p[i] == '[') {
      bool ignored = false;
      const std::size_t used = MatchClass(p.substr(i + 1), 0, &ignored);
      if (used == 0) return false;
      i += 1 + used;
    } else {
      ++i;
    }
  }
  return true;
}

// Splits off the next chunk: leading stars, then everything up to the next
// star outside a class (Go's scanChunk).
struct Chunk {
  bool star = false;
  std::string_view text;
};
Chunk ScanChunk(std::string_view& pattern) {
  Chunk chunk;
  while (!pattern.empty() && pattern[0] == '*') {
    pattern.remove_prefix(1);
    chunk.star = true;
  }
  bool in_class = false;
  std::size_t i = 0;
  for (; i < pattern.size(); ++i) {
    const char c = pattern[i];
    if (c == '\\') {
      if (i + 1 < pattern.size()) ++i;
    } else if (c == '[') {
      in_class = true;
    } else if (c == ']') {
      in_class = false;
    } else if (c == '*' && !in_class) {
      break;
    }
  }
  chunk.text = pattern.substr(0, i);
  pattern.remove_prefix(i);
  return chunk;
}

// Matches a star-free chunk (well-formed) at the start of `s`; the rest of
// `s` on success.
std::optional<std::string_view> MatchChunk(std::string_view chunk, std::string_view s) {
  while (!chunk.empty()) {
    switch (chunk[0]) {
      case '?': {
        if (s.empty() || s[0] == '/') return std::nullopt;
        s.remove_prefix(detail::DecodeRune(s).size);
        chunk.remove_prefix(1);
        break;
      }
      case '[': {
        if (s.empty()) return std::nullopt;
        const detail::DecodedRune r = detail::DecodeRune(s);
        bool matched = false;
        const std::size_t used = MatchClass(chunk.substr(1), r.rune, &matched);
        if (!matched) return std::nullopt;
        s.remove_prefix(r.size);
        chunk.remove_prefix(1 + used);
        break;
      }
      case '\\':
        chunk.remove_prefix(1);
        [[fallthrough]];
      default:
        if (s.empty() || s[0] != chunk[0]) return std::nullopt;
        s.remove_prefix(1);
        chunk.remove_prefix(1);
        break;
    }
  }
  return s;
}

// Go's path.Match over a well-formed pattern: after a star, the leftmost
// place where the next chunk matches is kept (no deeper backtracking, which
// is enough for globs and keeps the time at len(pattern) * len(name)).
bool MatchFrom(std::string_view pattern, std::string_view name) {
  while (!pattern.empty()) {
    const Chunk chunk = ScanChunk(pattern);
    if (chunk.star && chunk.text.empty()) return name.find('/') == std::string_view::npos;
    if (std::optional<std::string_view> rest = MatchChunk(chunk.text, name);
        rest && (rest->empty() || !pattern.empty())) {
      name = *rest;
      continue;
    }
    if (!chunk.star) return false;
    bool found = false;
    for (std::size_t i = 0; i < name.size() && name[i] != '/'; ++i) {
      std::optional<std::string_view> rest = MatchChunk(chunk.text, name.substr(i + 1));
      if (!rest) continue;
      // The last chunk must reach the end of the name.
      if (pattern.empty() && !rest->empty()) continue;
      name = *rest;
      found = true;
      break;
    }
    if (!found) return false;
  }
  return name.empty();
}

}  // namespace

bool PathMatch(std::string_view pattern, std::string_view name) {
  return ValidPattern(pattern) && MatchFrom(pattern, name);
}

bool MatchPrefixPatterns(std::string_view globs, std::string_view target) {
  while (!globs.empty()) {
    const std::size_t comma = globs.find(',');
    std::string_view glob = globs.substr(0, comma);
    globs = comma == std::string_view::npos ? std::string_view() : globs.substr(comma + 1);
    if (!glob.empty() && glob.back() == '/') glob.remove_suffix(1);
    if (glob.empty()) continue;
    // A glob of n+1 elements is matched against target's first n+1 elements.
    std::size_t slashes = 0;
    for (char c : glob) slashes += c == '/' ? 1 : 0;
    std::string_view prefix = target;
    for (std::size_t i = 0; i < target.size(); ++i) {
      if (target[i] != '/') continue;
      if (slashes == 0) {
        prefix = target.substr(0, i);
        break;
      }
      --slashes;
    }
    if (slashes > 0) continue;  // the target has too few elements
    if (PathMatch(glob, prefix)) return true;
  }
  return false;
}

}  // namespace modproxy::protocol
