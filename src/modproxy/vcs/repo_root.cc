#include "modproxy/vcs/repo_root.h"

#include <algorithm>
#include <optional>
#include <regex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "modproxy/protocol/path_patterns.h"
#include "modproxy/protocol/text.h"

namespace modproxy::vcs {
namespace {

// cmd/go/internal/str.HasPathPrefix.
bool StrHasPathPrefix(std::string_view s, std::string_view prefix) {
  if (s.size() == prefix.size()) return s == prefix;
  if (prefix.empty()) return true;
  if (s.size() < prefix.size()) return false;
  if (prefix.back() == '/') return s.starts_with(prefix);
  return s[prefix.size()] == '/' && s.starts_with(prefix);
}

// One row of vcs.go's vcsPaths. Group 1 of `pattern` is always the root;
// the qualifier row also has the repository (2) and the vcs (group `vcs_group`).
struct StaticPath {
  std::string_view prefix;
  std::string_view pattern;
  std::string_view vcs;  // "" for the qualifier row (taken from the match)
  bool check_suffix;     // noVCSSuffix
};

const std::vector<StaticPath>& Table() {
  static const std::vector<StaticPath> table = {
      {"github.com", R"(^(github\.com/[A-Za-z0-9_.\-]+/[A-Za-z0-9_.\-]+)(/[A-Za-z0-9_.\-]+)*$)",
       "git", true},
      {"bitbucket.org",
       R"(^(bitbucket\.org/([A-Za-z0-9_.\-]+/[A-Za-z0-9_.\-]+))(/[A-Za-z0-9_.\-]+)*$)", "git",
       true},
      {"hub.jazz.net/git",
       R"(^(hub\.jazz\.net/git/[a-z0-9]+/[A-Za-z0-9_.\-]+)(/[A-Za-z0-9_.\-]+)*$)", "git", true},
      {"git.apache.org", R"(^(git\.apache\.org/[a-z0-9_.\-]+\.git)(/[A-Za-z0-9_.\-]+)*$)", "git",
       false},
      {"git.openstack.org",
       R"(^(git\.openstack\.org/[A-Za-z0-9_.\-]+/[A-Za-z0-9_.\-]+)(\.git)?(/[A-Za-z0-9_.\-]+)*$)",
       "git", false},
      {"chiselapp.com", R"(^(chiselapp\.com/user/[A-Za-z0-9]+/repository/[A-Za-z0-9_.\-]+)$)",
       "fossil", false},
  };
  return table;
}

bool IsHostChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-';
}

bool IsElemChar(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '.' || c == '-';
}

// One /~?[A-Za-z0-9_.\-]+ element, without its slash.
bool IsQualifierElem(std::string_view e) {
  if (e.starts_with('~')) e.remove_prefix(1);
  return !e.empty() && std::all_of(e.begin(), e.end(), IsElemChar);
}

// The vcs of an element of the form ~?E.vcs, or "".
std::string_view ElemVcs(std::string_view e) {
  for (std::string_view v : {"bzr", "fossil", "git", "hg", "svn"}) {
    if (e.size() > v.size() + 1 && e.ends_with(v) && e[e.size() - v.size() - 1] == '.' &&
        IsQualifierElem(e.substr(0, e.size() - v.size() - 1))) {
      return v;
    }
  }
  return "";
}

struct Qualified {
  std::size_t start;     // where the match begins
  std::size_t root_end;  // end of the element carrying the .vcs suffix
  std::string_view vcs;
};

// The qualifier match starting at `s`: a host of [a-z0-9.-] with an inner
// dot, an optional :port, then path elements that all fit ~?E, the first of
// them ending in .vcs closing the root (the pattern's lazy +?).
std::optional<Qualified> QualifierAt(std::string_view path, std::size_t s) {
  std::size_t i = s;
  while (i < path.size() && IsHostChar(path[i])) ++i;
  const std::string_view host = path.substr(s, i - s);
  const std::size_t dot = host.find('.', 1);
  if (dot == std::string_view::npos || dot + 1 >= host.size()) return std::nullopt;
  if (i < path.size() && path[i] == ':') {
    std::size_t j = i + 1;
    while (j < path.size() && path[j] >= '0' && path[j] <= '9') ++j;
    if (j == i + 1) return std::nullopt;
    i = j;
  }
  if (i >= path.size() || path[i] != '/') return std::nullopt;
  std::optional<Qualified> found;
  while (i < path.size()) {
    const std::size_t next = std::min(path.find('/', i + 1), path.size());
    const std::string_view elem = path.substr(i + 1, next - i - 1);
    if (!IsQualifierElem(elem)) return std::nullopt;
    if (!found) {
      if (std::string_view v = ElemVcs(elem); !v.empty()) found = Qualified{s, next, v};
    }
    i = next;
  }
  return found;
}

// The general "any server" row of vcsPaths. Its pattern is not anchored at
// the start (FindStringSubmatch takes the leftmost match), so a match may
// begin inside the path.
std::optional<Qualified> MatchQualifier(std::string_view path) {
  for (std::size_t s = 0; s < path.size(); ++s) {
    if (!IsHostChar(path[s])) continue;
    if (std::optional<Qualified> q = QualifierAt(path, s)) return q;
  }
  return std::nullopt;
}

Error NotFound(std::string message) { return MakeError(ErrorCode::kNotFound, std::move(message)); }

}  // namespace

Result<std::optional<RepoRoot>> StaticRepoRoot(std::string_view import_path) {
  // The go command's own test hooks, kept so both answer alike.
  if (StrHasPathPrefix(import_path, "example.net")) return NotFound("no modules on example.net");
  if (import_path == "rsc.io") return NotFound("rsc.io is not a module");
  for (std::string_view p : {"http:", "https:"}) {
    if (import_path.starts_with(p)) {
      return NotFound(protocol::detail::Quote(std::string(p) + "//") +
                      " not allowed in import path");
    }
  }
  const std::string path(import_path);
  for (const StaticPath& row : Table()) {
    if (!StrHasPathPrefix(import_path, row.prefix)) continue;
    std::smatch m;
    if (!std::regex_search(path, m, std::regex(std::string(row.pattern)))) {
      return NotFound("invalid " + std::string(row.prefix) + " import path " +
                      protocol::detail::Quote(import_path));
    }
    RepoRoot rr{m[1].str(), std::string(row.vcs), "https://" + m[1].str(), false};
    if (row.check_suffix) {
      for (std::string_view v : {".hg", ".git", ".svn", ".bzr", ".fossil"}) {
        if (rr.repo.ends_with(v)) {
          return NotFound("invalid version control suffix in " + std::string(row.prefix) +
                          "/ path");
        }
      }
    }
    return std::optional<RepoRoot>(std::move(rr));
  }
  const std::optional<Qualified> q = MatchQualifier(import_path);
  if (!q) return std::optional<RepoRoot>();
  const std::string root(import_path.substr(q->start, q->root_end - q->start));
  return std::optional<RepoRoot>(
      RepoRoot{root, std::string(q->vcs), root.substr(0, root.size() - q->vcs.size() - 1), true});
}

std::vector<std::string> VcsSchemes(std::string_view vcs) {
  if (vcs == "git") return {"git", "https", "http", "git+ssh", "ssh"};
  if (vcs == "hg") return {"https", "http", "ssh"};
  if (vcs == "svn") return {"https", "http", "svn", "svn+ssh"};
  if (vcs == "bzr") return {"https", "http", "bzr", "bzr+ssh"};
  if (vcs == "fossil") return {"https", "http"};
  return {};
}

bool IsDefaultSecureScheme(std::string_view scheme) {
  return scheme == "https" || scheme == "git+ssh" || scheme == "bzr+ssh" || scheme == "svn+ssh" ||
         scheme == "ssh";
}

std::optional<RepoRoot> MatchRewriteRules(std::span<const RewriteRule> rules,
                                          std::string_view module_path) {
  for (const RewriteRule& rule : rules) {
    std::string_view pattern = rule.pattern;
    while (pattern.ends_with('/')) pattern.remove_suffix(1);
    if (pattern.empty() || pattern.find(',') != std::string_view::npos) continue;
    if (!protocol::MatchPrefixPatterns(pattern, module_path)) continue;
    // The root is as many leading elements as the pattern has.
    const std::size_t elems =
        static_cast<std::size_t>(std::count(pattern.begin(), pattern.end(), '/')) + 1;
    std::size_t end = 0;
    for (std::size_t n = 0; n < elems && end != std::string_view::npos; ++n) {
      end = module_path.find('/', n == 0 ? 0 : end + 1);
    }
    const std::string root(module_path.substr(0, end));
    const std::size_t slash = root.find('/');
    const std::string rest = slash == std::string::npos ? "" : root.substr(slash + 1);
    std::string url;
    std::string_view t = rule.url_template;
    while (!t.empty()) {
      if (t.starts_with("{root}")) {
        url += root;
        t.remove_prefix(6);
      } else if (t.starts_with("{path}")) {
        url += rest;
        t.remove_prefix(6);
      } else {
        url += t[0];
        t.remove_prefix(1);
      }
    }
    return RepoRoot{root, "git", std::move(url), false};
  }
  return std::nullopt;
}

}  // namespace modproxy::vcs
