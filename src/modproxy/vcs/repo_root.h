#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "modproxy/core/result.h"

// Which repository holds a module path, the parts of the go command's
// vcs.RepoRootForImportPath that need no network (Go 1.19.8 vcs.go,
// go-modules-reference.md §8.1), plus the proxy's own rewrite rules for
// hosts without go-get discovery. Pure.
namespace modproxy::vcs {

struct RepoRoot {
  std::string root;  // the import path of the repository root, a prefix of the module path
  std::string vcs;   // "git", "hg", "svn", "bzr", "fossil"
  // The repository URL. When scheme_probe is set it has no scheme
  // ("example.com/foo" for example.com/foo.git/bar): the go command tries
  // VcsSchemes(vcs) in order (`git ls-remote <scheme>://<repo>`), skipping
  // insecure ones unless GOINSECURE matches, and uses the first that works.
  std::string repo;
  bool scheme_probe = false;
};

// repoRootFromVCSPaths over the static table (github.com, bitbucket.org,
// hub.jazz.net/git, git.apache.org, git.openstack.org, chiselapp.com, and the
// "host/path.vcs/rest" qualifier form). nullopt when no entry applies (the
// go command then asks https://<path>?go-get=1). kNotFound with the go
// command's message when an entry's prefix matches but the path does not fit
// it ("invalid github.com import path ...", "invalid version control suffix
// in github.com/ path"), and for its two test-only refusals (example.net/...,
// rsc.io). GOVCS is not consulted here.
Result<std::optional<RepoRoot>> StaticRepoRoot(std::string_view import_path);

// The schemes the go command probes for a qualifier path, in order
// (git: git, https, http, git+ssh, ssh).
std::vector<std::string> VcsSchemes(std::string_view vcs);

// Secure schemes without GIT_ALLOW_PROTOCOL: https, git+ssh, bzr+ssh,
// svn+ssh, ssh.
bool IsDefaultSecureScheme(std::string_view scheme);

// A proxy rule for hosts without discovery: modules matching `pattern` (one
// GOPRIVATE-style glob, protocol::MatchPrefixPatterns semantics: a pattern
// with k slashes matches the first k+1 path elements) live in the repository
// whose root is the module path cut to those elements, cloned from
// `url_template` with "{root}" replaced by that root and "{path}" by the root
// without its first element.
struct RewriteRule {
  std::string pattern;
  std::string url_template;
};

// The first matching rule's repository (vcs "git", scheme_probe false), or
// nullopt when no rule matches.
std::optional<RepoRoot> MatchRewriteRules(std::span<const RewriteRule> rules,
                                          std::string_view module_path);

}  // namespace modproxy::vcs
