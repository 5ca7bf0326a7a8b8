#include "modproxy/protocol/module_path.h"

#include <algorithm>
#include <string>
#include <string_view>

#include "modproxy/protocol/semver.h"
#include "modproxy/protocol/text.h"
#include "modproxy/protocol/unicode_letters.h"

namespace modproxy::protocol {
namespace {

using detail::Quote;

// Module and file paths share one element grammar with different character
// sets and a few kind-specific rules (§2.2). x/mod's third kind, import paths,
// is not needed by a proxy.
enum class PathKind { kModule, kFile };

Error Invalid(std::string message) {
  return MakeError(ErrorCode::kInvalidArgument, std::move(message));
}

// Go's %q of a rune (strconv.QuoteRune), which the go command's messages
// use: 'a', '\'', '\\', '\n', '\x00', 'é'. Unicode letters are printed as
// they are; other non-ASCII runes as '\uXXXX' (Go prints the printable ones
// among them, such as '€', as they are: this has no table for IsPrint).
std::string QuoteRune(char32_t r) {
  static constexpr char kHex[] = "0123456789abcdef";
  auto hex = [](char32_t v, int width) {
    std::string digits(static_cast<std::size_t>(width), '0');
    for (int i = width - 1; i >= 0; --i, v >>= 4)
      digits[static_cast<std::size_t>(i)] = kHex[v & 0xF];
    return digits;
  };
  switch (r) {
    case '\a':
      return "'\\a'";
    case '\b':
      return "'\\b'";
    case '\f':
      return "'\\f'";
    case '\n':
      return "'\\n'";
    case '\r':
      return "'\\r'";
    case '\t':
      return "'\\t'";
    case '\v':
      return "'\\v'";
    case '\'':
      return "'\\''";
    case '\\':
      return "'\\\\'";
    default:
      break;
  }
  if (r < 0x20 || r == 0x7F) return "'\\x" + hex(r, 2) + "'";
  if (r < 0x80) return "'" + std::string(1, static_cast<char>(r)) + "'";
  if (detail::IsNonAsciiLetter(r) || r == detail::kRuneError) {
    std::string utf8;
    if (r < 0x800) {
      utf8 += static_cast<char>(0xC0 | (r >> 6));
    } else if (r < 0x10000) {
      utf8 += static_cast<char>(0xE0 | (r >> 12));
      utf8 += static_cast<char>(0x80 | ((r >> 6) & 0x3F));
    } else {
      utf8 += static_cast<char>(0xF0 | (r >> 18));
      utf8 += static_cast<char>(0x80 | ((r >> 12) & 0x3F));
      utf8 += static_cast<char>(0x80 | ((r >> 6) & 0x3F));
    }
    utf8 += static_cast<char>(0x80 | (r & 0x3F));
    return "'" + utf8 + "'";
  }
  return r < 0x10000 ? "'\\u" + hex(r, 4) + "'" : "'\\U" + hex(r, 8) + "'";
}

bool IsAsciiAlnum(char32_t r) {
  return (r >= '0' && r <= '9') || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z');
}

// Characters allowed in a path element of each kind (§2.2 table).
bool RuneAllowed(char32_t r, PathKind kind) {
  if (IsAsciiAlnum(r) || r == '-' || r == '.' || r == '_' || r == '~') return true;
  if (kind == PathKind::kModule) return false;
  if (r >= 0x80) return detail::IsNonAsciiLetter(r);
  return std::string_view("!#$%&()+,=@[]^{} ").find(char(r)) != std::string_view::npos;
}

// Windows reserves these names whatever the extension. Go compares them with
// strings.EqualFold; no non-ASCII rune case-folds to one of their letters or
// digits, so an ASCII case-insensitive comparison is equivalent.
bool IsWindowsReservedName(std::string_view s) {
  static constexpr std::string_view kNames[] = {
      "CON",  "PRN",  "AUX",  "NUL",  "COM1", "COM2", "COM3", "COM4", "COM5", "COM6", "COM7",
      "COM8", "COM9", "LPT1", "LPT2", "LPT3", "LPT4", "LPT5", "LPT6", "LPT7", "LPT8", "LPT9"};
  for (const std::string_view name : kNames) {
    if (name.size() != s.size()) continue;
    bool equal = true;
    for (std::size_t i = 0; i < s.size() && equal; ++i) {
      const char c = (s[i] >= 'a' && s[i] <= 'z') ? char(s[i] - 'a' + 'A') : s[i];
      equal = c == name[i];
    }
    if (equal) return true;
  }
  return false;
}

// x~1 looks like a Windows 8.3 short name (§2.2); files are exempt.
bool HasTildeDigitsSuffix(std::string_view short_name) {
  const std::size_t tilde = short_name.rfind('~');
  if (tilde == std::string_view::npos || tilde + 1 >= short_name.size()) return false;
  return short_name.find_first_not_of("0123456789", tilde + 1) == std::string_view::npos;
}

// Returns the reason `elem` is not a valid element, or "" when it is.
std::string ElemProblem(std::string_view elem, PathKind kind) {
  if (elem.empty()) return "empty path element";
  if (elem.find_first_not_of('.') == std::string_view::npos) {
    return "invalid path element " + Quote(elem);
  }
  if (elem.front() == '.' && kind == PathKind::kModule) return "leading dot in path element";
  if (elem.back() == '.') return "trailing dot in path element";
  for (std::string_view rest = elem; !rest.empty();) {
    const detail::DecodedRune r = detail::DecodeRune(rest);
    if (!RuneAllowed(r.rune, kind)) return "invalid char " + QuoteRune(r.rune);
    rest.remove_prefix(r.size);
  }
  const std::string_view short_name = elem.substr(0, elem.find('.'));
  if (IsWindowsReservedName(short_name)) {
    return Quote(short_name) + " disallowed as path element component on Windows";
  }
  if (kind != PathKind::kFile && HasTildeDigitsSuffix(short_name)) {
    return "trailing tilde and digits in path element";
  }
  return "";
}

std::string PathProblem(std::string_view path, PathKind kind) {
  if (!detail::IsValidUtf8(path)) return "invalid UTF-8";
  if (path.empty()) return "empty string";
  if (path.front() == '-' && kind != PathKind::kFile) return "leading dash";
  if (path.find("//") != std::string_view::npos) return "double slash";
  if (path.back() == '/') return "trailing slash";
  for (std::string_view rest = path;;) {
    const std::size_t slash = rest.find('/');
    if (std::string problem = ElemProblem(rest.substr(0, slash), kind); !problem.empty()) {
      return problem;
    }
    if (slash == std::string_view::npos) return "";
    rest.remove_prefix(slash + 1);
  }
}

// The first element is a domain name: lowercase so that it has one casing (§2.2).
std::string ModulePathProblem(std::string_view path) {
  if (std::string problem = PathProblem(path, PathKind::kModule); !problem.empty()) return problem;
  const std::string_view first = path.substr(0, path.find('/'));
  if (first.find('.') == std::string_view::npos) return "missing dot in first path element";
  for (const char c : first) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-')) {
      return "invalid char " + QuoteRune(char32_t(c)) + " in first path element";
    }
  }
  if (!SplitPathVersion(path)) return "invalid version";
  return "";
}

// Undoes the "!x" case encoding; false on any byte the encoding never emits (§2.1).
bool UnescapeString(std::string_view escaped, std::string* out) {
  out->clear();
  bool bang = false;
  for (const char c : escaped) {
    if (static_cast<unsigned char>(c) >= 0x80) return false;
    if (bang) {
      bang = false;
      if (c < 'a' || c > 'z') return false;
      *out += char(c - 'a' + 'A');
    } else if (c == '!') {
      bang = true;
    } else if (c >= 'A' && c <= 'Z') {
      return false;
    } else {
      *out += c;
    }
  }
  return !bang;
}

std::string EscapeString(std::string_view s) {
  std::string out;
  for (const char c : s) {
    if (c >= 'A' && c <= 'Z') {
      out += '!';
      out += char(c - 'A' + 'a');
    } else {
      out += c;
    }
  }
  return out;
}

// module.CheckPathMajor: "" when `version` fits `path_major` (§2.4).
std::string PathMajorProblem(std::string_view version, std::string_view path_major) {
  constexpr std::string_view kUnstable = "-unstable";
  if (path_major.starts_with(".v") && path_major.ends_with(kUnstable)) {
    path_major.remove_suffix(kUnstable.size());
  }
  // gopkg.in .v1 modules once got v0.0.0- pseudo-versions; go.mod files still name them.
  if (version.starts_with("v0.0.0-") && path_major == ".v1") return "";
  const std::string major = semver::Major(version);
  std::string want;
  if (path_major.empty()) {
    if (major == "v0" || major == "v1" || semver::Build(version) == "+incompatible") return "";
    want = "v0 or v1";
  } else {
    want = std::string(path_major.substr(1));
    if (major == want) return "";
  }
  return "should be " + want + ", not " + major;
}

}  // namespace

Result<void> CheckModulePath(std::string_view path) {
  if (std::string problem = ModulePathProblem(path); !problem.empty()) {
    return Invalid("malformed module path " + Quote(path) + ": " + problem);
  }
  return {};
}

Result<void> CheckFilePath(std::string_view path) {
  if (std::string problem = PathProblem(path, PathKind::kFile); !problem.empty()) {
    return Invalid("malformed file path " + Quote(path) + ": " + problem);
  }
  return {};
}

Result<std::string> EscapePath(std::string_view path) {
  if (Result<void> ok = CheckModulePath(path); !ok) return ok.error();
  return EscapeString(path);
}

Result<std::string> EscapeVersion(std::string_view version) {
  // Non-ASCII letters pass the file-element check, but the encoding has no
  // form for them; x/mod refuses them in escapeString.
  const bool ascii = std::all_of(version.begin(), version.end(),
                                 [](char c) { return static_cast<unsigned char>(c) < 0x80; });
  if (!ElemProblem(version, PathKind::kFile).empty() || !ascii ||
      version.find('!') != std::string_view::npos) {
    return Invalid("invalid version " + Quote(version) + ": disallowed version string");
  }
  return EscapeString(version);
}

Result<std::string> UnescapePath(std::string_view escaped) {
  std::string path;
  if (!UnescapeString(escaped, &path)) {
    return Invalid("invalid escaped module path " + Quote(escaped));
  }
  if (std::string problem = ModulePathProblem(path); !problem.empty()) {
    return Invalid("invalid escaped module path " + Quote(escaped) + ": " + problem);
  }
  return path;
}

Result<std::string> UnescapeVersion(std::string_view escaped) {
  std::string version;
  if (!UnescapeString(escaped, &version)) {
    return Invalid("invalid escaped version " + Quote(escaped));
  }
  if (std::string problem = ElemProblem(version, PathKind::kFile); !problem.empty()) {
    return Invalid("invalid escaped version " + Quote(escaped) + ": " + problem);
  }
  return version;
}

Result<PathMajorSplit> SplitPathVersion(std::string_view path) {
  const auto invalid = [&] {
    return Invalid("invalid major version suffix in module path " + Quote(path));
  };
  const auto is_digit = [](char c) { return c >= '0' && c <= '9'; };
  if (path.starts_with("gopkg.in/")) {
    // gopkg.in paths always end in ".vN", optionally followed by "-unstable" (§2.3).
    std::size_t i = path.size();
    if (path.ends_with("-unstable")) i -= std::string_view("-unstable").size();
    while (i > 0 && is_digit(path[i - 1])) --i;
    if (i <= 1 || path[i - 1] != 'v' || path[i - 2] != '.') return invalid();
    const std::string_view major = path.substr(i - 2);
    if (major.size() <= 2 || (major[2] == '0' && major != ".v0")) return invalid();
    return PathMajorSplit{std::string(path.substr(0, i - 2)), std::string(major)};
  }
  // A trailing "/v" + digits-and-dots is a major suffix; only "/vN" with N >= 2
  // and no leading zero is valid.
  std::size_t i = path.size();
  bool dot = false;
  while (i > 0 && (is_digit(path[i - 1]) || path[i - 1] == '.')) {
    dot = dot || path[i - 1] == '.';
    --i;
  }
  if (i <= 1 || i == path.size() || path[i - 1] != 'v' || path[i - 2] != '/') {
    return PathMajorSplit{std::string(path), ""};
  }
  const std::string_view major = path.substr(i - 2);
  if (dot || major.size() <= 2 || major[2] == '0' || major == "/v1") return invalid();
  return PathMajorSplit{std::string(path.substr(0, i - 2)), std::string(major)};
}

Result<void> CheckModuleVersion(std::string_view path, std::string_view version) {
  if (Result<void> ok = CheckModulePath(path); !ok) return ok;
  const std::string bad = "invalid version " + Quote(version);
  if (!semver::IsValid(version)) return Invalid(bad + ": not a semantic version");
  if (CanonicalVersion(version) != version) return Invalid(bad + ": not canonical");
  const std::string path_major = SplitPathVersion(path)->path_major;
  const std::string for_module = bad + " for module " + Quote(path);
  if (std::string problem = PathMajorProblem(version, path_major); !problem.empty()) {
    return Invalid(for_module + ": " + problem);
  }
  // module.Check accepts vX+incompatible whenever vX alone would fit; the go
  // command refuses that, because +incompatible only exists to step past a
  // missing /vN suffix (§2.4, coderepo.go convert).
  if (semver::Build(version) == "+incompatible") {
    const std::string_view base = version.substr(0, version.size() - semver::Build(version).size());
    if (PathMajorProblem(base, path_major).empty()) {
      return Invalid(for_module + ": +incompatible suffix not allowed: major version " +
                     semver::Major(version) + " is compatible");
    }
  }
  return {};
}

}  // namespace modproxy::protocol
