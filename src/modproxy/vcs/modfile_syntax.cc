#include "modproxy/vcs/modfile_syntax.h"

#include <algorithm>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "modproxy/protocol/text.h"

namespace modproxy::vcs::modfile {
namespace {

using protocol::detail::AppendRune;
using protocol::detail::DecodeRune;
using protocol::detail::IsGoSpace;
using protocol::detail::TrimSpace;

// Token kinds: punctuation tokens are their own character codes.
constexpr int kEof = -1;
constexpr int kEolComment = -2;
constexpr int kIdent = -3;
constexpr int kString = -4;
constexpr int kComment = -5;

bool IsEol(int kind) { return kind == kEof || kind == kEolComment || kind == '\n'; }

struct Token {
  int kind = kEof;
  Position pos;
  Position end;
  std::string text;
};

// modfile's isIdent: printable, not space, not one of " ()[]{},".
bool IsIdent(char32_t c) { return c != ' ' && !IsDelimiter(c) && !IsGoSpace(c) && IsGoPrint(c); }

// The lexer of read.go. A syntax error stops it: every later token is EOF,
// so the parser unwinds the way Go's panic does.
class Lexer {
 public:
  explicit Lexer(std::string_view data) : in_(data) { ReadToken(); }

  int Peek() const { return token_.kind; }
  Token Lex() {
    Token t = std::move(token_);
    ReadToken();
    return t;
  }
  void Fail(std::string reason) {
    if (error_.empty()) error_ = std::move(reason);
    token_ = Token{kEof, pos_, pos_, ""};
  }
  bool failed() const { return !error_.empty(); }
  const std::string& error() const { return error_; }
  std::vector<Comment>& suffix_comments() { return suffix_comments_; }

 private:
  bool Eof() const { return pos_.byte >= in_.size(); }
  char32_t PeekRune() const { return Eof() ? 0 : DecodeRune(in_.substr(pos_.byte)).rune; }
  bool PeekPrefix(std::string_view p) const { return in_.substr(pos_.byte).starts_with(p); }
  char32_t ReadRune() {
    const auto r = DecodeRune(in_.substr(pos_.byte));
    pos_.byte += r.size;
    if (r.rune == '\n') ++pos_.line;
    return r.rune;
  }
  void Start() { token_ = Token{kEof, pos_, pos_, ""}; }
  void End(int kind) {
    token_.kind = kind;
    std::string text(in_.substr(token_.pos.byte, pos_.byte - token_.pos.byte));
    if (kind == kComment || kind == kEolComment) {
      if (text.ends_with("\r\n")) {
        text.resize(text.size() - 2);
      } else if (text.ends_with('\n')) {
        text.pop_back();
      }
    }
    token_.text = std::move(text);
    token_.end = pos_;
  }

  void ReadToken();
  void ReadQuoted(char32_t quote);

  std::string_view in_;
  Position pos_;
  Token token_;
  std::vector<Comment> suffix_comments_;
  std::string error_;
};

void Lexer::ReadToken() {
  if (failed()) return Fail(error_);
  while (!Eof()) {
    const char32_t c = PeekRune();
    if (c == ' ' || c == '\t' || c == '\r') {
      ReadRune();
      continue;
    }
    if (PeekPrefix("//")) {
      Start();
      // A comment alone on its line is a statement-level token; one after
      // other text is kept aside and attached to the syntax later.
      const std::size_t line_start = in_.rfind('\n', pos_.byte == 0 ? 0 : pos_.byte - 1);
      const std::size_t from =
          line_start == std::string_view::npos || pos_.byte == 0 ? 0 : line_start + 1;
      const bool suffix = !TrimSpace(in_.substr(from, pos_.byte - from)).empty();
      ReadRune();
      ReadRune();
      while (!Eof() && ReadRune() != '\n') {
      }
      if (!suffix) return End(kComment);
      End(kEolComment);
      suffix_comments_.push_back(Comment{token_.pos, token_.text});
      return;
    }
    if (PeekPrefix("/*")) return Fail("mod files must use // comments (not /* */ comments)");
    break;
  }
  Start();
  if (Eof()) return End(kEof);
  const char32_t c = PeekRune();
  if (c == '\n' || IsDelimiter(c)) {
    ReadRune();
    return End(static_cast<int>(c));
  }
  if (c == '"' || c == '`') return ReadQuoted(c);
  if (!IsIdent(c)) return Fail("unexpected input character");
  while (IsIdent(PeekRune())) {
    if (PeekPrefix("//")) break;
    if (PeekPrefix("/*")) return Fail("mod files must use // comments (not /* */ comments)");
    ReadRune();
  }
  End(kIdent);
}

void Lexer::ReadQuoted(char32_t quote) {
  ReadRune();
  while (true) {
    if (Eof()) return Fail("unexpected EOF in string");
    if (PeekRune() == '\n') return Fail("unexpected newline in string");
    const char32_t c = ReadRune();
    if (c == quote) break;
    if (c == '\\' && quote != '`') {
      if (Eof()) return Fail("unexpected EOF in string");
      ReadRune();
    }
  }
  End(kString);
}

// The recursive-descent parser of read.go.
class Parser {
 public:
  explicit Parser(std::string_view data) : lex_(data) {}

  ParseResult Run() {
    ParseFile();
    ParseResult result;
    if (lex_.failed()) {
      result.error = lex_.error();
      return result;
    }
    AssignSuffixComments();
    result.file = std::move(file_);
    return result;
  }

 private:
  void ParseFile();
  void ParseStatement();
  LineBlock ParseLineBlock(Position start, std::vector<std::string> tokens, const Token& lparen);
  Line ParseLine();
  void AssignSuffixComments();

  Lexer lex_;
  FileSyntax file_;
};

Comments& CommentsOf(Statement& s) {
  return std::visit([](auto& x) -> Comments& { return x.comments; }, s);
}

void Parser::ParseFile() {
  std::optional<CommentBlock> block;
  while (true) {
    switch (lex_.Peek()) {
      case '\n':
        lex_.Lex();
        if (block) file_.statements.emplace_back(std::move(*block));
        block.reset();
        break;
      case kComment: {
        Token t = lex_.Lex();
        if (!block) block = CommentBlock{{}, t.pos};
        block->comments.before.push_back(Comment{t.pos, t.text});
        break;
      }
      case kEof:
        if (block && !lex_.failed()) file_.statements.emplace_back(std::move(*block));
        return;
      default:
        ParseStatement();
        if (block && !file_.statements.empty()) {
          CommentsOf(file_.statements.back()).before = std::move(block->comments.before);
        }
        block.reset();
        break;
    }
  }
}

void Parser::ParseStatement() {
  const Token first = lex_.Lex();
  const Position start = first.pos;
  Position end = first.end;
  std::vector<std::string> tokens{first.text};
  while (true) {
    const Token t = lex_.Lex();
    if (IsEol(t.kind)) {
      file_.statements.emplace_back(Line{{}, start, end, std::move(tokens)});
      return;
    }
    if (t.kind == '(') {
      if (IsEol(lex_.Peek())) {
        file_.statements.emplace_back(ParseLineBlock(start, std::move(tokens), t));
        return;
      }
      if (lex_.Peek() == ')') {
        const Token rparen = lex_.Lex();
        if (IsEol(lex_.Peek())) {
          lex_.Lex();
          LineBlock empty;
          empty.start = start;
          empty.tokens = std::move(tokens);
          empty.lparen_pos = t.pos;
          empty.rparen_pos = rparen.pos;
          file_.statements.emplace_back(std::move(empty));
          return;
        }
        tokens.push_back(t.text);
        tokens.push_back(rparen.text);
      } else {
        tokens.push_back(t.text);
      }
      continue;
    }
    tokens.push_back(t.text);
    end = t.end;
  }
}

LineBlock Parser::ParseLineBlock(Position start, std::vector<std::string> tokens,
                                 const Token& lparen) {
  LineBlock x;
  x.start = start;
  x.tokens = std::move(tokens);
  x.lparen_pos = lparen.pos;
  std::vector<Comment> comments;
  while (true) {
    switch (lex_.Peek()) {
      case kEolComment:
        lex_.Lex();
        break;
      case '\n':
        lex_.Lex();
        // A blank line is kept as an empty comment (not after another one).
        if ((comments.empty() && !x.lines.empty()) ||
            (!comments.empty() && !comments.back().token.empty())) {
          comments.push_back(Comment{});
        }
        break;
      case kComment: {
        Token t = lex_.Lex();
        comments.push_back(Comment{t.pos, t.text});
        break;
      }
      case kEof:
        lex_.Fail("syntax error (unterminated block)");
        return x;
      case ')': {
        const Token rparen = lex_.Lex();
        x.rparen.before = std::move(comments);
        x.rparen_pos = rparen.pos;
        if (!IsEol(lex_.Peek())) {
          lex_.Fail("syntax error (expected newline after closing paren)");
          return x;
        }
        lex_.Lex();
        return x;
      }
      default: {
        Line line = ParseLine();
        line.comments.before = std::move(comments);
        comments.clear();
        x.lines.push_back(std::move(line));
        break;
      }
    }
  }
}

Line Parser::ParseLine() {
  const Token first = lex_.Lex();
  Line line{{}, first.pos, first.end, {first.text}};
  while (true) {
    const Token t = lex_.Lex();
    if (IsEol(t.kind)) return line;
    line.tokens.push_back(t.text);
    line.end = t.end;
  }
}

// assignComments for suffix comments (whole-line comments were attached by
// the parser already): walking the syntax in reverse post-order, each
// single-line element takes the remaining suffix comments that start at or
// after its end.
void Parser::AssignSuffixComments() {
  struct Element {
    Comments* comments;
    Position start;
    Position end;
  };
  std::vector<Element> post;
  const auto paren_end = [](Position p) { return Position{p.line, p.byte + 1}; };
  for (Statement& s : file_.statements) {
    if (auto* cb = std::get_if<CommentBlock>(&s)) {
      post.push_back({&cb->comments, cb->start, cb->start});
    } else if (auto* line = std::get_if<Line>(&s)) {
      post.push_back({&line->comments, line->start, line->end});
    } else {
      auto& block = std::get<LineBlock>(s);
      post.push_back({&block.lparen, block.lparen_pos, paren_end(block.lparen_pos)});
      for (Line& l : block.lines) post.push_back({&l.comments, l.start, l.end});
      post.push_back({&block.rparen, block.rparen_pos, paren_end(block.rparen_pos)});
      post.push_back({&block.comments, block.start, paren_end(block.rparen_pos)});
    }
  }
  std::vector<Comment>& suffix = lex_.suffix_comments();
  for (auto it = post.rbegin(); it != post.rend(); ++it) {
    if (it->start.line != it->end.line) continue;
    while (!suffix.empty() && it->end.byte <= suffix.back().start.byte) {
      it->comments->suffix.push_back(std::move(suffix.back()));
      suffix.pop_back();
    }
    std::reverse(it->comments->suffix.begin(), it->comments->suffix.end());
  }
}

bool IsHex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

int HexValue(char c) {
  if (c <= '9') return c - '0';
  return (c | 0x20) - 'a' + 10;
}

// One escape sequence after a backslash in a "..." string (UnquoteChar).
bool UnescapeOne(std::string_view& s, std::string& out) {
  if (s.empty()) return false;
  const char c = s[0];
  s.remove_prefix(1);
  switch (c) {
    case 'a':
      out += '\a';
      return true;
    case 'b':
      out += '\b';
      return true;
    case 'f':
      out += '\f';
      return true;
    case 'n':
      out += '\n';
      return true;
    case 'r':
      out += '\r';
      return true;
    case 't':
      out += '\t';
      return true;
    case 'v':
      out += '\v';
      return true;
    case '\\':
      out += '\\';
      return true;
    case '"':
      out += '"';
      return true;
    case 'x':
    case 'u':
    case 'U': {
      const std::size_t n = c == 'x' ? 2 : c == 'u' ? 4 : 8;
      if (s.size() < n) return false;
      char32_t v = 0;
      for (std::size_t i = 0; i < n; ++i) {
        if (!IsHex(s[i])) return false;
        v = v * 16 + static_cast<char32_t>(HexValue(s[i]));
      }
      s.remove_prefix(n);
      if (c == 'x') {
        out += static_cast<char>(v);
        return true;
      }
      if (v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) return false;
      AppendRune(out, v);
      return true;
    }
    default:
      if (c < '0' || c > '7') return false;
      if (s.size() < 2) return false;
      int v = c - '0';
      for (int i = 0; i < 2; ++i) {
        if (s[i] < '0' || s[i] > '7') return false;
        v = v * 8 + (s[i] - '0');
      }
      if (v > 255) return false;
      s.remove_prefix(2);
      out += static_cast<char>(v);
      return true;
  }
}

}  // namespace

std::optional<std::string> GoUnquote(std::string_view s) {
  if (s.size() < 2 || s.front() != s.back()) return std::nullopt;
  const char quote = s.front();
  std::string_view body = s.substr(1, s.size() - 2);
  std::string out;
  if (quote == '`') {
    if (body.find('`') != std::string_view::npos) return std::nullopt;
    for (const char c : body) {
      if (c != '\r') out += c;
    }
    return out;
  }
  if (quote != '"') return std::nullopt;
  while (!body.empty()) {
    const char c = body[0];
    if (c == '"' || c == '\n') return std::nullopt;
    if (c == '\\') {
      body.remove_prefix(1);
      if (!UnescapeOne(body, out)) return std::nullopt;
      continue;
    }
    if (static_cast<unsigned char>(c) >= 0x80) {
      // Invalid UTF-8 comes out as U+FFFD, as UnquoteChar decodes it.
      const auto r = DecodeRune(body);
      if (r.rune == protocol::detail::kRuneError && r.size == 1) {
        AppendRune(out, protocol::detail::kRuneError);
      } else {
        out.append(body.substr(0, r.size));
      }
      body.remove_prefix(r.size);
      continue;
    }
    out += c;
    body.remove_prefix(1);
  }
  return out;
}

bool IsDelimiter(char32_t c) {
  switch (c) {
    case '(':
    case ')':
    case '[':
    case ']':
    case '{':
    case '}':
    case ',':
      return true;
    default:
      return false;
  }
}

bool IsGoPrint(char32_t r) {
  if (r < 0x80) return r >= 0x20 && r < 0x7F;
  struct Range {
    char32_t lo;
    char32_t hi;
  };
  // C1 controls, format characters (Cf), non-ASCII spaces and separators
  // (Zs, Zl, Zp), surrogates and private use (Co).
  static constexpr Range kNotPrint[] = {
      {0x80, 0xA0},       {0xAD, 0xAD},        {0x600, 0x605},     {0x61C, 0x61C},
      {0x6DD, 0x6DD},     {0x70F, 0x70F},      {0x890, 0x891},     {0x8E2, 0x8E2},
      {0x1680, 0x1680},   {0x180E, 0x180E},    {0x2000, 0x200F},   {0x2028, 0x202F},
      {0x205F, 0x2064},   {0x2066, 0x206F},    {0x3000, 0x3000},   {0xD800, 0xF8FF},
      {0xFEFF, 0xFEFF},   {0xFFF9, 0xFFFB},    {0x110BD, 0x110BD}, {0x110CD, 0x110CD},
      {0x13430, 0x13438}, {0x1BCA0, 0x1BCA3},  {0x1D173, 0x1D17A}, {0xE0001, 0xE0001},
      {0xE0020, 0xE007F}, {0xF0000, 0x10FFFF},
  };
  return std::none_of(std::begin(kNotPrint), std::end(kNotPrint),
                      [r](const Range& x) { return r >= x.lo && r <= x.hi; });
}

ParseResult Parse(std::string_view data) { return Parser(data).Run(); }

}  // namespace modproxy::vcs::modfile
