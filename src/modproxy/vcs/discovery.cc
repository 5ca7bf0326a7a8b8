#include "modproxy/vcs/discovery.h"

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "modproxy/protocol/text.h"
#include "modproxy/vcs/path_major.h"

namespace modproxy::vcs {
namespace {

using protocol::detail::AppendRune;
using protocol::detail::DecodeRune;
using protocol::detail::kRuneError;

char Lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

bool EqualFoldAscii(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (Lower(a[i]) != Lower(b[i])) return false;
  }
  return true;
}

std::vector<std::string> Fields(std::string_view s) {
  std::vector<std::string> out;
  std::string cur;
  for (std::size_t i = 0; i < s.size();) {
    const auto r = DecodeRune(s.substr(i));
    if (protocol::detail::IsGoSpace(r.rune)) {
      if (!cur.empty()) out.push_back(std::move(cur));
      cur.clear();
    } else {
      cur.append(s.substr(i, r.size));
    }
    i += r.size;
  }
  if (!cur.empty()) out.push_back(std::move(cur));
  return out;
}

struct Attr {
  std::string local;
  std::string value;
};

enum class TokenKind { kOther, kStart, kEnd, kEof, kError };

struct XmlToken {
  TokenKind kind = TokenKind::kOther;
  std::string local;  // element name without a namespace prefix
  std::vector<Attr> attrs;
};

bool IsNameByte(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
         c == ':' || c == '.' || c == '-';
}

// encoding/xml's isName, exact for ASCII; other valid UTF-8 counts as a
// name character (no Unicode tables here).
bool IsXmlName(std::string_view s) {
  if (s.empty()) return false;
  for (std::size_t i = 0; i < s.size();) {
    const auto r = DecodeRune(s.substr(i));
    if (r.rune == kRuneError && r.size == 1) return false;
    if (r.rune < 0x80) {
      const char c = static_cast<char>(r.rune);
      const bool first_ok =
          (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_' || c == ':';
      if (i == 0 ? !first_ok : !IsNameByte(static_cast<unsigned char>(c))) return false;
    }
    i += r.size;
  }
  return true;
}

bool InCharacterRange(char32_t r) {
  return r == 0x09 || r == 0x0A || r == 0x0D || (r >= 0x20 && r <= 0xD7FF) ||
         (r >= 0xE000 && r <= 0xFFFD) || (r >= 0x10000 && r <= 0x10FFFF);
}

// Go's encoding/xml Decoder.RawToken with Strict = false, reduced to what
// parseMetaGoImports looks at: start and end elements (a self-closing
// element yields both), everything else as kOther, and the same errors.
class XmlTokenizer {
 public:
  explicit XmlTokenizer(std::string_view in) : in_(in) {}

  XmlToken Next();
  const std::string& error() const { return error_; }

 private:
  std::optional<unsigned char> Get() {
    if (pos_ >= in_.size()) return std::nullopt;
    return static_cast<unsigned char>(in_[pos_++]);
  }
  // mustgetc: EOF inside a construct is an error.
  std::optional<unsigned char> MustGet() {
    std::optional<unsigned char> b = Get();
    if (!b) Fail("unexpected EOF");
    return b;
  }
  void Unget() { --pos_; }
  XmlToken Fail(std::string reason) {
    if (error_.empty()) error_ = std::move(reason);
    return XmlToken{TokenKind::kError, "", {}};
  }
  void Space() {
    while (pos_ < in_.size() &&
           (in_[pos_] == ' ' || in_[pos_] == '\r' || in_[pos_] == '\n' || in_[pos_] == '\t')) {
      ++pos_;
    }
  }
  bool ReadName(std::string& buf);
  std::optional<std::string> Name();
  std::optional<std::string> NsNameLocal();
  std::optional<std::string> Text(int quote, bool cdata);
  bool Entity(std::string& buf);
  XmlToken ProcInst();
  XmlToken Bang();
  XmlToken StartElement();

  std::string_view in_;
  std::size_t pos_ = 0;
  std::string error_;
  std::optional<std::string> pending_close_;
};

bool XmlTokenizer::ReadName(std::string& buf) {
  std::optional<unsigned char> b = MustGet();
  if (!b) return false;
  if (*b < 0x80 && !IsNameByte(*b)) {
    Unget();
    return false;
  }
  buf += static_cast<char>(*b);
  while (true) {
    b = MustGet();
    if (!b) return false;
    if (*b < 0x80 && !IsNameByte(*b)) {
      Unget();
      return true;
    }
    buf += static_cast<char>(*b);
  }
}

std::optional<std::string> XmlTokenizer::Name() {
  std::string buf;
  if (!ReadName(buf)) return std::nullopt;
  if (!IsXmlName(buf)) {
    Fail("invalid XML name: " + buf);
    return std::nullopt;
  }
  return buf;
}

std::optional<std::string> XmlTokenizer::NsNameLocal() {
  std::optional<std::string> s = Name();
  if (!s) return std::nullopt;
  const std::size_t colon = s->find(':');
  if (colon == std::string::npos || s->find(':', colon + 1) != std::string::npos || colon == 0 ||
      colon + 1 == s->size()) {
    return s;
  }
  return s->substr(colon + 1);
}

// The '&' handling of Decoder.text: known entities and character references
// are replaced; anything else stays as written (non-strict mode).
bool XmlTokenizer::Entity(std::string& buf) {
  const std::size_t before = buf.size();
  buf += '&';
  std::optional<unsigned char> b = MustGet();
  if (!b) return false;
  std::optional<std::string> text;
  if (*b == '#') {
    buf += '#';
    if (!(b = MustGet())) return false;
    int base = 10;
    if (*b == 'x') {
      base = 16;
      buf += 'x';
      if (!(b = MustGet())) return false;
    }
    const std::size_t start = buf.size();
    const auto is_digit = [&](unsigned char c) {
      return (c >= '0' && c <= '9') ||
             (base == 16 && ((c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')));
    };
    while (is_digit(*b)) {
      buf += static_cast<char>(*b);
      if (!(b = MustGet())) return false;
    }
    if (*b != ';') {
      Unget();
    } else {
      const std::string digits = buf.substr(start);
      buf += ';';
      std::uint64_t n = 0;
      bool ok = !digits.empty() && digits.size() <= 16;
      for (const char c : digits) {
        const int d = c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;
        n = n * static_cast<std::uint64_t>(base) + static_cast<std::uint64_t>(d);
      }
      if (ok && n <= 0x10FFFF) {
        text.emplace();
        AppendRune(*text, static_cast<char32_t>(n));
      }
    }
  } else {
    Unget();
    if (!ReadName(buf) && !error_.empty()) return false;
    if (!(b = MustGet())) return false;
    if (*b != ';') {
      Unget();
    } else {
      const std::string name = buf.substr(before + 1);
      buf += ';';
      if (IsXmlName(name)) {
        if (name == "lt") text = "<";
        if (name == "gt") text = ">";
        if (name == "amp") text = "&";
        if (name == "apos") text = "'";
        if (name == "quot") text = "\"";
      }
    }
  }
  if (text) {
    buf.resize(before);
    buf += *text;
  }
  return true;
}

std::optional<std::string> XmlTokenizer::Text(int quote, bool cdata) {
  std::string buf;
  unsigned char b0 = 0;
  unsigned char b1 = 0;
  std::size_t trunc = 0;
  while (true) {
    std::optional<unsigned char> b = Get();
    if (!b) {
      if (cdata) {
        Fail("unexpected EOF in CDATA section");
        return std::nullopt;
      }
      break;
    }
    if (b0 == ']' && b1 == ']' && *b == '>') {
      if (cdata) {
        trunc = 2;
        break;
      }
      Fail("unescaped ]]> not in CDATA section");
      return std::nullopt;
    }
    if (*b == '<' && !cdata) {
      if (quote >= 0) {
        Fail("unescaped < inside quoted string");
        return std::nullopt;
      }
      Unget();
      break;
    }
    if (quote >= 0 && *b == quote) break;
    if (*b == '&' && !cdata) {
      if (!Entity(buf)) return std::nullopt;
      b0 = b1 = 0;
      continue;
    }
    if (*b == '\r') {
      buf += '\n';
    } else if (!(b1 == '\r' && *b == '\n')) {
      buf += static_cast<char>(*b);
    }
    b0 = b1;
    b1 = *b;
  }
  buf.resize(buf.size() - trunc);
  for (std::size_t i = 0; i < buf.size();) {
    const auto r = DecodeRune(std::string_view(buf).substr(i));
    if (r.rune == kRuneError && r.size == 1) {
      Fail("invalid UTF-8");
      return std::nullopt;
    }
    if (!InCharacterRange(r.rune)) {
      Fail("illegal character code");
      return std::nullopt;
    }
    i += r.size;
  }
  return buf;
}

std::string ProcInstParam(std::string_view content, std::string_view param) {
  const std::string key = std::string(param) + "=";
  const std::size_t at = content.find(key);
  if (at == std::string_view::npos) return "";
  std::string_view v = content.substr(at + key.size());
  if (v.empty() || (v[0] != '\'' && v[0] != '"')) return "";
  const std::size_t end = v.find(v[0], 1);
  if (end == std::string_view::npos) return "";
  return std::string(v.substr(1, end - 1));
}

XmlToken XmlTokenizer::ProcInst() {
  std::optional<std::string> target = Name();
  if (!target) return Fail(error_.empty() ? "expected target name after <?" : error_);
  Space();
  std::string data;
  unsigned char b0 = 0;
  while (true) {
    std::optional<unsigned char> b = MustGet();
    if (!b) return XmlToken{TokenKind::kError, "", {}};
    data += static_cast<char>(*b);
    if (b0 == '?' && *b == '>') break;
    b0 = *b;
  }
  data.resize(data.size() - 2);
  if (*target == "xml") {
    const std::string ver = ProcInstParam(data, "version");
    if (!ver.empty() && ver != "1.0") return Fail("unsupported xml version");
    const std::string enc = ProcInstParam(data, "encoding");
    // discovery.go's charsetReader: only utf-8 and ascii (any case).
    if (!enc.empty() && !EqualFoldAscii(enc, "utf-8") && !EqualFoldAscii(enc, "ascii")) {
      return Fail("can't decode XML document using charset \"" + enc + "\"");
    }
  }
  return XmlToken{};
}

XmlToken XmlTokenizer::Bang() {
  std::optional<unsigned char> b = MustGet();
  if (!b) return XmlToken{TokenKind::kError, "", {}};
  if (*b == '-') {
    if (!(b = MustGet())) return XmlToken{TokenKind::kError, "", {}};
    if (*b != '-') return Fail("invalid sequence <!- not part of <!--");
    unsigned char b0 = 0;
    unsigned char b1 = 0;
    while (true) {
      if (!(b = MustGet())) return XmlToken{TokenKind::kError, "", {}};
      if (b0 == '-' && b1 == '-') {
        if (*b != '>') return Fail("invalid sequence \"--\" not allowed in comments");
        return XmlToken{};
      }
      b0 = b1;
      b1 = *b;
    }
  }
  if (*b == '[') {
    for (const char want : std::string_view("CDATA[")) {
      if (!(b = MustGet())) return XmlToken{TokenKind::kError, "", {}};
      if (*b != want) return Fail("invalid <![ sequence");
    }
    if (!Text(-1, true)) return XmlToken{TokenKind::kError, "", {}};
    return XmlToken{};
  }
  // A directive (<!DOCTYPE ...>): quotes, nested <...> and <!-- --> inside.
  unsigned char inquote = 0;
  int depth = 0;
  while (true) {
    if (!(b = MustGet())) return XmlToken{TokenKind::kError, "", {}};
    if (inquote == 0 && *b == '>' && depth == 0) return XmlToken{};
    bool again = true;
    while (again) {
      again = false;
      if (*b == inquote) {
        inquote = 0;
      } else if (inquote != 0) {
      } else if (*b == '\'' || *b == '"') {
        inquote = *b;
      } else if (*b == '>') {
        --depth;
      } else if (*b == '<') {
        constexpr std::string_view kOpen = "!--";
        std::size_t i = 0;
        for (; i < kOpen.size(); ++i) {
          if (!(b = MustGet())) return XmlToken{TokenKind::kError, "", {}};
          if (*b != kOpen[i]) break;
        }
        if (i < kOpen.size()) {
          ++depth;
          again = true;  // look at the byte that broke the "<!--" again
          continue;
        }
        unsigned char c0 = 0;
        unsigned char c1 = 0;
        while (true) {
          if (!(b = MustGet())) return XmlToken{TokenKind::kError, "", {}};
          if (c0 == '-' && c1 == '-' && *b == '>') break;
          c0 = c1;
          c1 = *b;
        }
      }
    }
  }
}

XmlToken XmlTokenizer::StartElement() {
  XmlToken t{TokenKind::kStart, "", {}};
  std::optional<std::string> name = NsNameLocal();
  if (!name) return Fail(error_.empty() ? "expected element name after <" : error_);
  t.local = *name;
  while (true) {
    Space();
    std::optional<unsigned char> b = MustGet();
    if (!b) return XmlToken{TokenKind::kError, "", {}};
    if (*b == '/') {
      if (!(b = MustGet())) return XmlToken{TokenKind::kError, "", {}};
      if (*b != '>') return Fail("expected /> in element");
      pending_close_ = t.local;
      return t;
    }
    if (*b == '>') return t;
    Unget();
    std::optional<std::string> attr = NsNameLocal();
    if (!attr) return Fail(error_.empty() ? "expected attribute name in element" : error_);
    Space();
    if (!(b = MustGet())) return XmlToken{TokenKind::kError, "", {}};
    if (*b != '=') {
      Unget();  // non-strict: a bare attribute's value is its name
      t.attrs.push_back(Attr{*attr, *attr});
      continue;
    }
    Space();
    if (!(b = MustGet())) return XmlToken{TokenKind::kError, "", {}};
    std::string value;
    if (*b == '"' || *b == '\'') {
      std::optional<std::string> v = Text(*b, false);
      if (!v) return XmlToken{TokenKind::kError, "", {}};
      value = std::move(*v);
    } else {
      // non-strict: an unquoted value is [a-zA-Z0-9_:-]*.
      Unget();
      while (true) {
        if (!(b = MustGet())) return XmlToken{TokenKind::kError, "", {}};
        const unsigned char c = *b;
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
            c == '_' || c == ':' || c == '-') {
          value += static_cast<char>(c);
        } else {
          Unget();
          break;
        }
      }
    }
    t.attrs.push_back(Attr{*attr, std::move(value)});
  }
}

XmlToken XmlTokenizer::Next() {
  if (!error_.empty()) return XmlToken{TokenKind::kError, "", {}};
  if (pending_close_) {
    XmlToken t{TokenKind::kEnd, std::move(*pending_close_), {}};
    pending_close_.reset();
    return t;
  }
  std::optional<unsigned char> b = Get();
  if (!b) return XmlToken{TokenKind::kEof, "", {}};
  if (*b != '<') {
    Unget();
    if (!Text(-1, false)) return XmlToken{TokenKind::kError, "", {}};
    return XmlToken{};
  }
  if (!(b = MustGet())) return XmlToken{TokenKind::kError, "", {}};
  switch (*b) {
    case '/': {
      std::optional<std::string> name = NsNameLocal();
      if (!name) return Fail(error_.empty() ? "expected element name after </" : error_);
      Space();
      if (!(b = MustGet())) return XmlToken{TokenKind::kError, "", {}};
      if (*b != '>') return Fail("invalid characters between </" + *name + " and >");
      return XmlToken{TokenKind::kEnd, *name, {}};
    }
    case '?':
      return ProcInst();
    case '!':
      return Bang();
    default:
      Unget();
      return StartElement();
  }
}

std::string AttrValue(const std::vector<Attr>& attrs, std::string_view name) {
  for (const Attr& a : attrs) {
    if (EqualFoldAscii(a.local, name)) return a.value;
  }
  return "";
}

}  // namespace

Result<std::vector<MetaImport>> ParseMetaGoImports(std::string_view html) {
  XmlTokenizer tokenizer(html);
  std::vector<MetaImport> imports;
  while (true) {
    const XmlToken t = tokenizer.Next();
    if (t.kind == TokenKind::kError) {
      if (imports.empty()) {
        return MakeError(ErrorCode::kUpstreamInvalid, "XML syntax error: " + tokenizer.error());
      }
      break;
    }
    if (t.kind == TokenKind::kEof) break;
    if (t.kind == TokenKind::kStart && EqualFoldAscii(t.local, "body")) break;
    if (t.kind == TokenKind::kEnd && EqualFoldAscii(t.local, "head")) break;
    if (t.kind != TokenKind::kStart || !EqualFoldAscii(t.local, "meta")) continue;
    if (AttrValue(t.attrs, "name") != "go-import") continue;
    std::vector<std::string> f = Fields(AttrValue(t.attrs, "content"));
    if (f.size() == 3) imports.push_back(MetaImport{f[0], f[1], f[2]});
  }
  // Module mode: "mod" entries first; they hide other entries for the same prefix.
  std::vector<MetaImport> list;
  for (const MetaImport& m : imports) {
    if (m.vcs == "mod") list.push_back(m);
  }
  for (const MetaImport& m : imports) {
    if (m.vcs == "mod") continue;
    bool hidden = false;
    for (const MetaImport& mod : list)
      hidden = hidden || (mod.vcs == "mod" && mod.prefix == m.prefix);
    if (!hidden) list.push_back(m);
  }
  return list;
}

Result<MetaImport> MatchGoImport(std::span<const MetaImport> imports,
                                 std::string_view import_path) {
  std::optional<std::size_t> match;
  std::string mismatches;
  for (std::size_t i = 0; i < imports.size(); ++i) {
    const MetaImport& im = imports[i];
    // cmd/go/internal/str.HasPathPrefix: an empty prefix matches everything.
    if (!im.prefix.empty() && !HasPathPrefix(import_path, im.prefix)) {
      if (!mismatches.empty()) mismatches += ", ";
      mismatches +=
          "meta tag " + im.prefix + " did not match import path " + std::string(import_path);
      continue;
    }
    if (match) {
      if (imports[*match].vcs == "mod" && im.vcs != "mod") break;
      return MakeError(ErrorCode::kUpstreamInvalid,
                       "multiple meta tags match import path \"" + std::string(import_path) + "\"");
    }
    match = i;
  }
  if (!match) return MakeError(ErrorCode::kNotFound, mismatches);
  return imports[*match];
}

Result<void> CheckMetaImportAgrees(const MetaImport& chosen,
                                   std::span<const MetaImport> root_imports,
                                   std::string_view import_path, std::string_view page_url,
                                   std::string_view root_url) {
  Result<MetaImport> again = MatchGoImport(root_imports, import_path);
  if (!again || !(*again == chosen)) {
    return MakeError(ErrorCode::kUpstreamInvalid,
                     std::string(page_url) + " and " + std::string(root_url) +
                         " disagree about go-import for " + chosen.prefix);
  }
  return {};
}

Result<void> ValidateRepoRoot(std::string_view repo_root) {
  const auto invalid = [&](std::string_view why) {
    return MakeError(
        ErrorCode::kUpstreamInvalid,
        "invalid repo root " + protocol::detail::Quote(repo_root) + ": " + std::string(why));
  };
  for (const char c : repo_root) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) {
      return invalid("net/url: invalid control character in URL");
    }
  }
  // url.Parse's getScheme: a letter, then letters, digits, '+', '-', '.', up to ':'.
  std::size_t i = 0;
  for (; i < repo_root.size(); ++i) {
    const char c = repo_root[i];
    const bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    if (letter) continue;
    if ((c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.') {
      if (i == 0) return invalid("no scheme");
      continue;
    }
    if (c == ':') {
      if (i == 0) return invalid("missing protocol scheme");
      break;
    }
    return invalid("no scheme");
  }
  if (i == repo_root.size()) return invalid("no scheme");
  std::string scheme(repo_root.substr(0, i));
  for (char& c : scheme) c = Lower(c);
  if (scheme == "file") return invalid("file scheme disallowed");
  return {};
}

Result<std::string> GoGetUrlWithoutScheme(std::string_view import_path) {
  const std::size_t slash = import_path.find('/');
  const std::string_view host = import_path.substr(0, slash);
  if (host.find('.') == std::string_view::npos) {
    return MakeError(ErrorCode::kInvalidArgument, "import path does not begin with hostname");
  }
  const std::string_view path = slash == std::string_view::npos ? "/" : import_path.substr(slash);
  return std::string(host) + std::string(path) + "?go-get=1";
}

}  // namespace modproxy::vcs
