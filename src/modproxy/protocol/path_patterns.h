#pragma once

#include <string_view>

// The glob lists of GOPRIVATE, GONOPROXY, GONOSUMDB and GOINSECURE
// (go-modules-reference.md §7.10): comma-separated path.Match patterns matched
// against leading path elements of a module path.
namespace modproxy::protocol {

// Go's path.Match: '*' any run of non-'/' characters, '?' one non-'/'
// character, '[...]' / '[^...]' classes with ranges, '\' escapes. A malformed
// pattern matches nothing (Go returns ErrBadPattern, which callers treat as no
// match).
bool PathMatch(std::string_view pattern, std::string_view name);

// module.MatchPrefixPatterns: whether any glob in the comma-separated `globs`
// matches a prefix of `target` with as many path elements as the glob has.
// Empty globs are skipped and a trailing '/' is ignored; no whitespace is
// trimmed; matching is case-sensitive.
bool MatchPrefixPatterns(std::string_view globs, std::string_view target);

}  // namespace modproxy::protocol
