#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

// The syntax layer of golang.org/x/mod/modfile (read.go) as Go 1.19.8
// vendors it: the lexer, the line/block parser and the attachment of
// comments to lines. Only what the vcs library needs to read go.mod files of
// dependencies exactly as the go command does; internal to vcs/.
namespace modproxy::vcs::modfile {

struct Position {
  int line = 1;
  std::size_t byte = 0;
};

struct Comment {
  Position start;
  std::string token;  // "// text", or "" for a preserved blank line
};

struct Comments {
  std::vector<Comment> before;
  std::vector<Comment> suffix;
};

struct Line {
  Comments comments;
  Position start;
  Position end;
  std::vector<std::string> tokens;
};

struct LineBlock {
  Comments comments;
  Position start;
  std::vector<std::string> tokens;
  Comments lparen;
  Position lparen_pos;
  std::vector<Line> lines;
  Comments rparen;
  Position rparen_pos;
};

struct CommentBlock {
  Comments comments;
  Position start;
};

using Statement = std::variant<CommentBlock, Line, LineBlock>;

struct FileSyntax {
  std::vector<Statement> statements;
};

// modfile's parse(): the statements with their comments, or the first
// syntax error's reason.
struct ParseResult {
  FileSyntax file;
  std::string error;  // empty on success
};
ParseResult Parse(std::string_view data);

// strconv.Unquote for "..." and `...` strings; nullopt on a syntax error.
std::optional<std::string> GoUnquote(std::string_view s);

// unicode.IsPrint, exact for ASCII; for other code points, every assigned
// non-control, non-format, non-space, non-private-use rune is printable
// (unassigned code points count as printable: no Unicode tables here).
bool IsGoPrint(char32_t r);

// The characters that are a token by themselves in a go.mod file: ( ) [ ] { } ,
// (the lexer's single-character tokens besides newline; they end an
// identifier, and MustQuote quotes them inside a longer string).
bool IsDelimiter(char32_t c);

}  // namespace modproxy::vcs::modfile
