#include "modproxy/protocol/path_collisions.h"

#include <string>
#include <vector>

#include "modproxy/protocol/case_fold.h"
#include "modproxy/protocol/text.h"
#include "modproxy/protocol/unicode_letters.h"

namespace modproxy::protocol {
namespace {

// Go's %q for paths that passed CheckFilePath: their only non-ASCII runes
// are letters, which Go prints as they are.
std::string GoQuote(std::string_view path) {
  std::string out = "\"";
  while (!path.empty()) {
    const detail::DecodedRune r = detail::DecodeRune(path);
    const std::string_view bytes = path.substr(0, r.size);
    path.remove_prefix(r.size);
    if (r.rune >= 0x80 && r.size > 1 && detail::IsNonAsciiLetter(r.rune)) {
      out += bytes;
    } else {
      const std::string quoted = detail::Quote(bytes);
      out += quoted.substr(1, quoted.size() - 2);
    }
  }
  return out + "\"";
}

}  // namespace

std::string PathCollisions::Check(std::string_view path, bool is_dir) {
  // Folding keeps every '/' (no rune folds to or from it), so the fold of
  // each parent is a prefix of the path's fold: fold once, cut at slashes.
  const std::string fold_storage = detail::FoldCase(path);
  std::string_view fold = fold_storage;
  std::vector<Seen*> walked;
  while (true) {
    auto [it, added] = seen_.try_emplace(std::string(fold), Seen{std::string(path), is_dir});
    Seen& seen = it->second;
    if (!added) {
      if (seen.path != path) {
        return "case-insensitive file name collision: " + GoQuote(seen.path) + " and " +
               GoQuote(path);
      }
      if (seen.is_dir != is_dir)
        return "entry " + GoQuote(path) + " is both a file and a directory";
      if (!is_dir) return "multiple entries for file " + GoQuote(path);
      // Go walks up again from a directory it has seen; when every parent
      // of it was already found consistent, that walk cannot fail.
      if (seen.parents_ok) break;
    }
    walked.push_back(&seen);
    const std::size_t slash = path.rfind('/');
    if (slash == std::string_view::npos) break;
    path = path.substr(0, slash);
    fold = fold.substr(0, fold.rfind('/'));
    is_dir = true;
  }
  for (Seen* seen : walked) seen->parents_ok = true;
  return "";
}

}  // namespace modproxy::protocol
