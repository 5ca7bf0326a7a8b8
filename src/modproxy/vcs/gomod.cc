#include "modproxy/vcs/gomod.h"

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "modproxy/protocol/module_path.h"
#include "modproxy/protocol/semver.h"
#include "modproxy/protocol/text.h"
#include "modproxy/vcs/modfile_syntax.h"
#include "modproxy/vcs/path_major.h"

namespace modproxy::vcs {
namespace {

using protocol::detail::DecodeRune;
using protocol::detail::TrimSpace;

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Takes [1-9][0-9]* (or exactly "0" when zero_ok) off the front of s.
bool TakeNumber(std::string_view& s, bool zero_ok) {
  if (s.empty() || !IsDigit(s[0])) return false;
  if (s[0] == '0') {
    if (!zero_ok) return false;
    s.remove_prefix(1);
    return true;
  }
  std::size_t n = 1;
  while (n < s.size() && IsDigit(s[n])) ++n;
  s.remove_prefix(n);
  return true;
}

// modfile.GoVersionRE, or in lax mode laxGoVersionRE (a "v" prefix and any
// non-digit suffix such as ".0" or "rc1" are tolerated for dependencies).
bool GoVersionOk(std::string_view v) {
  std::string_view s = v;
  if (TakeNumber(s, false) && !s.empty() && s[0] == '.') {
    s.remove_prefix(1);
    if (TakeNumber(s, true) && s.empty()) return true;
  }
  s = v;
  if (!s.empty() && s[0] == 'v') s.remove_prefix(1);
  if (!TakeNumber(s, false) || s.empty() || s[0] != '.') return false;
  s.remove_prefix(1);
  return TakeNumber(s, true) && !s.empty() && !IsDigit(s[0]);
}

// modfile's parseString.
std::optional<std::string> ParseString(std::string_view t) {
  if (t.starts_with('"')) return modfile::GoUnquote(t);
  if (t.find_first_of("\"'`") != std::string_view::npos) return std::nullopt;
  return std::string(t);
}

// modfile's parseDirectiveComment.
std::string DirectiveComment(const modfile::LineBlock* block, const modfile::Line& line) {
  const modfile::Comments* comments = &line.comments;
  if (block != nullptr && comments->before.empty() && comments->suffix.empty()) {
    comments = &block->comments;
  }
  std::string text;
  bool first = true;
  for (const auto* group : {&comments->before, &comments->suffix}) {
    for (const modfile::Comment& c : *group) {
      if (!c.token.starts_with("//")) continue;  // a preserved blank line
      if (!first) text += '\n';
      first = false;
      text += TrimSpace(std::string_view(c.token).substr(2));
    }
  }
  return text;
}

// The directives ParseLax looks at in a dependency's go.mod.
class LaxFile {
 public:
  void Add(const modfile::LineBlock* block, const modfile::Line& line, std::string_view verb,
           std::span<const std::string> args);
  std::string error;  // the first error, as ParseLax would report it
  std::vector<Retraction> retractions;

 private:
  void Fail(std::string reason) {
    if (error.empty()) error = std::move(reason);
  }
  void AddRequire(std::span<const std::string> args);
  void AddRetract(const modfile::LineBlock* block, const modfile::Line& line,
                  std::span<const std::string> args);

  bool have_go_ = false;
  bool have_module_ = false;
};

void LaxFile::Add(const modfile::LineBlock* block, const modfile::Line& line, std::string_view verb,
                  std::span<const std::string> args) {
  if (verb == "go") {
    if (have_go_) return Fail("repeated go statement");
    if (args.size() != 1) return Fail("go directive expects exactly one argument");
    if (!GoVersionOk(args[0])) {
      return Fail("invalid go version '" + args[0] + "': must match format 1.23");
    }
    have_go_ = true;
  } else if (verb == "module") {
    if (have_module_) return Fail("repeated module statement");
    have_module_ = true;
    if (args.size() != 1) return Fail("usage: module module/path");
    if (!ParseString(args[0])) return Fail("invalid quoted string");
  } else if (verb == "require") {
    AddRequire(args);
  } else if (verb == "retract") {
    AddRetract(block, line, args);
  }
  // Everything else (exclude, replace, unknown verbs) only matters in the
  // main module: lax mode ignores it.
}

void LaxFile::AddRequire(std::span<const std::string> args) {
  if (args.size() != 2) return Fail("usage: require module/path v1.2.3");
  const std::optional<std::string> path = ParseString(args[0]);
  if (!path) return Fail("invalid quoted string");
  const std::optional<std::string> version = ParseString(args[1]);
  if (!version) return Fail("require " + *path + ": invalid version");
  const std::string canonical = protocol::CanonicalVersion(*version);
  if (canonical.empty()) {
    return Fail("require " + *path + ": version \"" + *version +
                "\" invalid: must be of the form v1.2.3");
  }
  Result<protocol::PathMajorSplit> split = protocol::SplitPathVersion(*path);
  if (!split) return Fail("invalid module path");
  if (std::string problem = PathMajorProblem(canonical, split->path_major); !problem.empty()) {
    return Fail("require " + *path + ": version \"" + canonical + "\" invalid: " + problem);
  }
}

void LaxFile::AddRetract(const modfile::LineBlock* block, const modfile::Line& line,
                         std::span<const std::string> args) {
  // parseVersionInterval with versions left as written; lax mode drops a
  // directive it cannot parse instead of failing the file.
  if (args.empty() || args[0] == "(") return;
  Retraction r;
  if (args[0] != "[") {
    std::optional<std::string> v = ParseString(args[0]);
    if (!v) return;
    r.low = r.high = *v;
  } else {
    if (args.size() < 5 || args[2] != "," || args[4] != "]") return;
    std::optional<std::string> low = ParseString(args[1]);
    std::optional<std::string> high = ParseString(args[3]);
    if (!low || !high) return;
    r.low = *low;
    r.high = *high;
  }
  r.rationale = DirectiveComment(block, line);
  retractions.push_back(std::move(r));
}

bool IsLaxBlockVerb(std::string_view verb) {
  return verb == "module" || verb == "require" || verb == "exclude" || verb == "replace" ||
         verb == "retract";
}

// modfile.MustQuote.
bool MustQuote(std::string_view s) {
  if (s.empty() || s.find("//") != std::string_view::npos ||
      s.find("/*") != std::string_view::npos) {
    return true;
  }
  for (std::size_t i = 0; i < s.size();) {
    const auto r = DecodeRune(s.substr(i));
    i += r.size;
    if (r.rune == ' ' || r.rune == '"' || r.rune == '\'' || r.rune == '`') return true;
    if (modfile::IsDelimiter(r.rune)) {
      if (s.size() > 1) return true;
    } else if (!modfile::IsGoPrint(r.rune)) {
      return true;
    }
  }
  return false;
}

}  // namespace

std::string ModulePathFromGoMod(std::string_view gomod) {
  while (!gomod.empty()) {
    std::string_view line = gomod;
    gomod = {};
    if (const std::size_t nl = line.find('\n'); nl != std::string_view::npos) {
      gomod = line.substr(nl + 1);
      line = line.substr(0, nl);
    }
    if (const std::size_t c = line.find("//"); c != std::string_view::npos) {
      line = line.substr(0, c);
    }
    line = TrimSpace(line);
    if (!line.starts_with("module")) continue;
    line.remove_prefix(6);
    const std::size_t n = line.size();
    line = TrimSpace(line);
    if (line.size() == n || line.empty()) continue;
    if (line[0] == '"' || line[0] == '`') {
      // Bad quoting ends the search: the go command gives up on the file.
      return modfile::GoUnquote(line).value_or("");
    }
    return std::string(line);
  }
  return "";
}

std::string LegacyGoMod(std::string_view module_path) {
  if (!MustQuote(module_path)) return "module " + std::string(module_path) + "\n";
  // Not reachable for valid module paths; strconv.Quote for the ASCII cases.
  std::string quoted = "\"";
  for (const char c : module_path) {
    if (c == '"' || c == '\\') quoted += '\\';
    quoted += c;
  }
  return "module " + quoted + "\"\n";
}

Result<std::vector<Retraction>> ParseRetractions(std::string_view gomod) {
  modfile::ParseResult parsed = modfile::Parse(gomod);
  if (!parsed.error.empty())
    return MakeError(ErrorCode::kInvalidArgument, "go.mod: " + parsed.error);
  LaxFile file;
  for (const modfile::Statement& s : parsed.file.statements) {
    if (const auto* line = std::get_if<modfile::Line>(&s)) {
      file.Add(nullptr, *line, line->tokens[0], std::span(line->tokens).subspan(1));
    } else if (const auto* block = std::get_if<modfile::LineBlock>(&s)) {
      if (block->tokens.size() > 1 || !IsLaxBlockVerb(block->tokens[0])) continue;
      for (const modfile::Line& l : block->lines) file.Add(block, l, block->tokens[0], l.tokens);
    }
  }
  if (!file.error.empty()) return MakeError(ErrorCode::kInvalidArgument, "go.mod: " + file.error);
  return std::move(file.retractions);
}

bool IsRetracted(std::span<const Retraction> retractions, std::string_view version) {
  namespace semver = protocol::semver;
  for (const Retraction& r : retractions) {
    if (semver::Compare(r.low, version) <= 0 && semver::Compare(version, r.high) <= 0) return true;
  }
  return false;
}

}  // namespace modproxy::vcs
