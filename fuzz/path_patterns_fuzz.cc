// GOPRIVATE-style glob lists (protocol/path_patterns.h). Input:
// "<pattern or glob list>\n<module path>".
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_input.h"
#include "modproxy/core/check.h"
#include "modproxy/protocol/path_patterns.h"

namespace {

using namespace modproxy::protocol;  // NOLINT(google-build-using-namespace)

constexpr std::string_view kSpecial = "*?[\\";

// `s` as a pattern that matches exactly `s`.
std::string Escape(std::string_view s) {
  std::string out;
  for (const char c : s) {
    if (kSpecial.find(c) != std::string_view::npos) out += '\\';
    out += c;
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto parts = modproxy::fuzz::SplitInput(modproxy::fuzz::AsText(data, size), '\n', 2);
  const std::string_view pattern = parts[0];
  const std::string_view name = parts.size() > 1 ? parts[1] : std::string_view();

  const bool matched = PathMatch(pattern, name);
  if (pattern.find_first_of(kSpecial) == std::string_view::npos) {
    MODPROXY_CHECK(matched == (pattern == name));
  }
  MODPROXY_CHECK(PathMatch("*", name) == (name.find('/') == std::string_view::npos));
  MODPROXY_CHECK(PathMatch(Escape(name), name));
  MODPROXY_CHECK(PathMatch(Escape(pattern), name) == (pattern == name));
  // A star matches the empty string too. Not always at the end, as Go
  // matches: its greedy chunk matcher can then take a class match of a '/'
  // away from the last chunk ("*?[^x]" matches "ab/", "*?[^x]*" does not).
  MODPROXY_CHECK(PathMatch("*" + std::string(pattern), name) >= matched);
  if (pattern.find('[') == std::string_view::npos) {
    MODPROXY_CHECK(PathMatch(std::string(pattern) + "*", name) >= matched);
  }

  // A list matches when one of its globs does; a trailing '/' is ignored.
  const bool listed = MatchPrefixPatterns(pattern, name);
  const std::size_t comma = pattern.find(',');
  if (comma != std::string_view::npos) {
    MODPROXY_CHECK(listed == (MatchPrefixPatterns(pattern.substr(0, comma), name) ||
                              MatchPrefixPatterns(pattern.substr(comma + 1), name)));
  }
  if (!pattern.empty() && pattern.find(',') == std::string_view::npos && !pattern.ends_with('/')) {
    MODPROXY_CHECK(MatchPrefixPatterns(std::string(pattern) + "/", name) == listed);
  }
  // A glob of a path's own elements matches it and every path below it.
  if (!name.empty() && name.find(',') == std::string_view::npos && !name.ends_with('/')) {
    const std::string glob = Escape(name);
    MODPROXY_CHECK(MatchPrefixPatterns(glob, name));
    MODPROXY_CHECK(MatchPrefixPatterns(glob, std::string(name) + "/sub"));
  }
  return 0;
}
