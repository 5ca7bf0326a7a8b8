// @v/list bodies and the "latest" choice (protocol/version_list.h). Input: a
// list body as an upstream might send it.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_input.h"
#include "modproxy/core/check.h"
#include "modproxy/protocol/semver.h"
#include "modproxy/protocol/version_list.h"

namespace {

using namespace modproxy::protocol;  // NOLINT(google-build-using-namespace)

// Strictly ascending: sorted, and no version twice.
void CheckStrictlySorted(const std::vector<std::string>& versions) {
  for (std::size_t i = 1; i < versions.size(); ++i) {
    const int c = semver::Compare(versions[i - 1], versions[i]);
    MODPROXY_CHECK(c < 0 || (c == 0 && versions[i - 1] < versions[i]));
  }
}

// ChooseLatest: a listed, valid, non-pseudo version that no other such
// version outranks (releases before prereleases, then semver order).
void CheckLatest(const std::vector<std::string>& versions) {
  const std::optional<std::string> latest = ChooseLatest(versions);
  const auto eligible = [](const std::string& v) {
    return semver::IsValid(v) && !IsPseudoVersion(v);
  };
  bool any = false;
  for (const std::string& v : versions) any = any || eligible(v);
  MODPROXY_CHECK(latest.has_value() == any);
  if (!latest) return;
  MODPROXY_CHECK(eligible(*latest));
  bool listed = false;
  const bool release = semver::Prerelease(*latest).empty();
  for (const std::string& v : versions) {
    listed = listed || v == *latest;
    if (!eligible(v)) continue;
    MODPROXY_CHECK(release || !semver::Prerelease(v).empty());
    if (semver::Prerelease(v).empty() == release) {
      MODPROXY_CHECK(semver::Compare(v, *latest) <= 0);
    }
  }
  MODPROXY_CHECK(listed);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view body = modproxy::fuzz::AsText(data, size);

  // Whatever the body, ChooseLatest over its raw lines obeys its contract.
  const auto lines = modproxy::fuzz::SplitInput(body, '\n', 64);
  const std::vector<std::string> raw(lines.begin(), lines.end());
  CheckLatest(raw);
  const std::vector<std::string> merged_raw = MergeVersionLists(raw, {});
  CheckStrictlySorted(merged_raw);
  for (const std::string& v : merged_raw) MODPROXY_CHECK(!IsPseudoVersion(v));

  const modproxy::Result<std::vector<std::string>> parsed = ParseVersionList(body);
  if (!parsed) {
    MODPROXY_CHECK(parsed.error().code == modproxy::ErrorCode::kUnavailable);
    return 0;
  }
  const std::vector<std::string>& list = *parsed;
  CheckStrictlySorted(list);
  for (const std::string& v : list) {
    MODPROXY_CHECK(IsCanonicalVersion(v) && !IsPseudoVersion(v));
  }
  // What we serve back parses to the same list; merging is idempotent.
  const std::string formatted = FormatVersionList(list);
  const modproxy::Result<std::vector<std::string>> again = ParseVersionList(formatted);
  MODPROXY_CHECK(again.has_value() && *again == list);
  MODPROXY_CHECK(MergeVersionLists(list, list) == list);
  MODPROXY_CHECK(MergeVersionLists(list, {}) == list);
  CheckLatest(list);
  return 0;
}
