#include "modproxy/protocol/version_list.h"

#include <algorithm>
#include <iterator>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "modproxy/protocol/semver.h"
#include "modproxy/protocol/text.h"

namespace modproxy::protocol {
namespace {

// Enough of a bad line to recognise an HTML page or an error message.
constexpr std::size_t kMaxQuotedLine = 80;

// The first field of `line` as strings.Fields splits it (Unicode spaces).
std::string_view FirstField(std::string_view line) {
  std::size_t begin = line.size();
  for (std::size_t i = 0; i < line.size();) {
    const detail::DecodedRune r = detail::DecodeRune(line.substr(i));
    if (detail::IsGoSpace(r.rune)) {
      if (begin != line.size()) return line.substr(begin, i - begin);
    } else if (begin == line.size()) {
      begin = i;
    }
    i += r.size;
  }
  return line.substr(begin);
}

void SortUnique(std::vector<std::string>& versions) {
  semver::Sort(versions);
  versions.erase(std::unique(versions.begin(), versions.end()), versions.end());
}

}  // namespace

Result<std::vector<std::string>> ParseVersionList(std::string_view body) {
  std::vector<std::string> versions;
  while (!body.empty()) {
    const std::size_t lf = body.find('\n');
    const std::string_view line = body.substr(0, lf);
    body.remove_prefix(lf == std::string_view::npos ? body.size() : lf + 1);
    // Further fields (an optional timestamp, §1.4) are not served back.
    const std::string_view version = FirstField(line);
    if (version.empty()) continue;
    if (!IsCanonicalVersion(version)) {
      return MakeError(ErrorCode::kUnavailable, "invalid version list from upstream: bad line " +
                                                    detail::Quote(line.substr(0, kMaxQuotedLine)));
    }
    if (!IsPseudoVersion(version)) versions.emplace_back(version);
  }
  SortUnique(versions);
  return versions;
}

std::vector<std::string> MergeVersionLists(const std::vector<std::string>& a,
                                           const std::vector<std::string>& b) {
  std::vector<std::string> merged;
  merged.reserve(a.size() + b.size());
  for (const auto* list : {&a, &b}) {
    std::copy_if(list->begin(), list->end(), std::back_inserter(merged),
                 [](const std::string& v) { return !IsPseudoVersion(v); });
  }
  SortUnique(merged);
  return merged;
}

std::string FormatVersionList(const std::vector<std::string>& versions) {
  std::string body;
  for (const std::string& v : versions) {
    body += v;
    body += '\n';
  }
  return body;
}

std::optional<std::string> ChooseLatest(const std::vector<std::string>& versions) {
  // Releases outrank prereleases whatever their numbers (§3.3 step 4).
  const auto rank = [](const std::string& v) { return semver::Prerelease(v).empty() ? 1 : 0; };
  const std::string* best = nullptr;
  for (const std::string& v : versions) {
    if (!semver::IsValid(v) || IsPseudoVersion(v)) continue;
    if (best == nullptr || rank(v) > rank(*best) ||
        (rank(v) == rank(*best) &&
         (semver::Compare(v, *best) > 0 || (semver::Compare(v, *best) == 0 && v > *best)))) {
      best = &v;
    }
  }
  if (best == nullptr) return std::nullopt;
  return *best;
}

}  // namespace modproxy::protocol
