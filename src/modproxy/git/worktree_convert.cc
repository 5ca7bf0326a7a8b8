#include "modproxy/git/worktree_convert.h"

#include <iconv.h>
#include <strings.h>

#include <cerrno>
#include <cstring>
#include <optional>
#include <string>

namespace modproxy::git {
namespace {

using State = AttrValue::State;

// convert.c's crlf_action, after core.autocrlf=input and core.eol=lf are
// folded in: only kTextCrlf and kAutoCrlf ever write CRLF.
enum class CrlfAction {
  kUndefined,
  kBinary,
  kText,
  kTextInput,
  kTextCrlf,
  kAuto,
  kAutoInput,
  kAutoCrlf
};

CrlfAction FromTextAttribute(const AttrValue& v) {
  if (v.state == State::kSet) return CrlfAction::kText;
  if (v.state == State::kUnset) return CrlfAction::kBinary;
  if (v.state == State::kValue && v.value == "input") return CrlfAction::kTextInput;
  if (v.state == State::kValue && v.value == "auto") return CrlfAction::kAuto;
  return CrlfAction::kUndefined;
}

CrlfAction ResolveCrlfAction(const ConversionAttributes& a) {
  CrlfAction action = FromTextAttribute(a.text);
  if (action == CrlfAction::kUndefined) action = FromTextAttribute(a.crlf);
  if (action != CrlfAction::kBinary && a.eol.state == State::kValue) {
    const bool lf = a.eol.value == "lf";
    const bool crlf = a.eol.value == "crlf";
    if (action == CrlfAction::kAuto && lf) {
      action = CrlfAction::kAutoInput;
    } else if (action == CrlfAction::kAuto && crlf) {
      action = CrlfAction::kAutoCrlf;
    } else if (lf) {
      action = CrlfAction::kTextInput;
    } else if (crlf) {
      action = CrlfAction::kTextCrlf;
    }
  }
  // core.autocrlf=input: "text" means LF, and so does no attribute at all.
  if (action == CrlfAction::kText) action = CrlfAction::kTextInput;
  if (action == CrlfAction::kUndefined) action = CrlfAction::kAutoInput;
  return action;
}

struct TextStats {
  size_t lonecr = 0, lonelf = 0, crlf = 0, nul = 0, printable = 0, nonprintable = 0;
};

TextStats GatherStats(std::string_view s) {
  TextStats st;
  for (size_t i = 0; i < s.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c == '\r') {
      if (i + 1 < s.size() && s[i + 1] == '\n') {
        ++st.crlf;
        ++i;
      } else {
        ++st.lonecr;
      }
    } else if (c == '\n') {
      ++st.lonelf;
    } else if (c == 127) {
      ++st.nonprintable;
    } else if (c < 32) {
      if (c == '\b' || c == '\t' || c == '\033' || c == '\014') {
        ++st.printable;
      } else {
        if (c == 0) ++st.nul;
        ++st.nonprintable;
      }
    } else {
      ++st.printable;
    }
  }
  // A trailing ^Z (DOS end of file) is not counted as non-printable.
  if (!s.empty() && s.back() == '\032') --st.nonprintable;
  return st;
}

bool IsBinary(const TextStats& st) {
  return st.lonecr != 0 || st.nul != 0 || (st.printable >> 7) < st.nonprintable;
}

std::string CrlfToWorktree(std::string text, CrlfAction action) {
  if (text.empty() || (action != CrlfAction::kTextCrlf && action != CrlfAction::kAutoCrlf)) {
    return text;
  }
  TextStats st = GatherStats(text);
  if (st.lonelf == 0) return text;
  // text=auto never touches files that already have CRs, nor binary ones.
  if (action == CrlfAction::kAutoCrlf && (st.lonecr != 0 || st.crlf != 0 || IsBinary(st))) {
    return text;
  }
  std::string out;
  out.reserve(text.size() + st.lonelf);
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\n' && (i == 0 || text[i - 1] != '\r')) out.push_back('\r');
    out.push_back(text[i]);
  }
  return out;
}

// git's ident_to_worktree: every "$Id$", and every "$Id:...$" on one line
// without inner spaces, becomes "$Id: <blob id> $".
std::string IdentToWorktree(std::string_view src, std::string_view blob_id) {
  std::string out;
  for (;;) {
    size_t dollar = src.find('$');
    if (dollar == std::string_view::npos) break;
    out.append(src.substr(0, dollar + 1));
    src.remove_prefix(dollar + 1);
    if (src.size() < 3 || src.substr(0, 2) != "Id") continue;
    if (src[2] == '$') {
      src.remove_prefix(3);
    } else if (src[2] == ':') {
      size_t end = src.find('$', 3);
      if (end == std::string_view::npos) break;
      std::string_view inside = src.substr(3, end - 3);
      if (inside.find('\n') != std::string_view::npos) continue;
      size_t space = src.substr(4, end - 4).find(' ');
      if (space != std::string_view::npos && 4 + space < end - 1) continue;
      src.remove_prefix(end + 1);
    } else {
      continue;
    }
    out.append("Id: ").append(blob_id).append(" $");
  }
  out.append(src);
  return out;
}

bool StartsWithUtf(std::string_view name, std::string_view* rest) {
  if (name.size() < 3 || strncasecmp(name.data(), "utf", 3) != 0) return false;
  name.remove_prefix(3);
  if (!name.empty() && name.front() == '-') name.remove_prefix(1);
  *rest = name;
  return true;
}

// git's same_utf_encoding: "UTF-16LE-BOM" == "utf16le-bom".
bool SameUtf(std::string_view a, std::string_view b) {
  std::string_view ra, rb;
  return StartsWithUtf(a, &ra) && StartsWithUtf(b, &rb) && ra.size() == rb.size() &&
         strncasecmp(ra.data(), rb.data(), ra.size()) == 0;
}

// git's reencode_string_len from UTF-8 with glibc's iconv; nullopt when iconv
// cannot do it (git then keeps the bytes as they are, after an error message).
std::optional<std::string> Reencode(std::string_view in, std::string encoding) {
  std::string bom;
  if (SameUtf("UTF-16LE-BOM", encoding)) {
    bom = std::string("\xFF\xFE", 2);
    encoding = "UTF-16LE";
  } else if (SameUtf("UTF-16BE-BOM", encoding)) {
    bom = std::string("\xFE\xFF", 2);
    encoding = "UTF-16BE";
  }
  iconv_t conv = iconv_open(encoding.c_str(), "UTF-8");
  if (conv == reinterpret_cast<iconv_t>(-1)) return std::nullopt;
  std::string out = bom;
  std::string input(in);
  char* inbuf = input.data();
  size_t inleft = input.size();
  char buf[4096];
  bool ok = true;
  for (;;) {
    char* outbuf = buf;
    size_t outleft = sizeof buf;
    size_t rc = iconv(conv, inleft != 0 ? &inbuf : nullptr, &inleft, &outbuf, &outleft);
    out.append(buf, sizeof buf - outleft);
    if (rc != static_cast<size_t>(-1) && inleft == 0) {
      // Flush any shift state (and a BOM some encodings write lazily).
      outbuf = buf;
      outleft = sizeof buf;
      iconv(conv, nullptr, nullptr, &outbuf, &outleft);
      out.append(buf, sizeof buf - outleft);
      break;
    }
    if (rc == static_cast<size_t>(-1) && errno != E2BIG) {
      ok = false;
      break;
    }
  }
  iconv_close(conv);
  if (!ok) return std::nullopt;
  return out;
}

bool IsUtf8Name(std::string_view name) {
  return strcasecmp(std::string(name).c_str(), "utf-8") == 0 ||
         strcasecmp(std::string(name).c_str(), "utf8") == 0;
}

}  // namespace

Result<std::string> ConvertToWorktree(std::string_view blob, std::string_view blob_id,
                                      const ConversionAttributes& attributes) {
  const AttrValue& enc = attributes.working_tree_encoding;
  if (enc.state == State::kSet || enc.state == State::kUnset) {
    // git dies: "true/false are no valid working-tree-encodings".
    return MakeError(ErrorCode::kUpstreamInvalid,
                     "working-tree-encoding set without an encoding name");
  }
  std::string out =
      attributes.ident.state == State::kSet ? IdentToWorktree(blob, blob_id) : std::string(blob);
  out = CrlfToWorktree(std::move(out), ResolveCrlfAction(attributes));
  if (enc.state == State::kValue && !enc.value.empty() && !IsUtf8Name(enc.value)) {
    if (std::optional<std::string> encoded = Reencode(out, enc.value)) out = std::move(*encoded);
  }
  return out;
}

}  // namespace modproxy::git
