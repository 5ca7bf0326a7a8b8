// Go's semantic versions (protocol/semver.h). Input: up to three versions,
// one per line; the comparison must be a total preorder that agrees with
// Canonical.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_input.h"
#include "modproxy/core/check.h"
#include "modproxy/protocol/semver.h"

namespace {

using namespace modproxy::protocol;  // NOLINT(google-build-using-namespace)

void CheckOne(std::string_view v) {
  const bool valid = semver::IsValid(v);
  const std::string canonical = semver::Canonical(v);
  MODPROXY_CHECK(valid == !canonical.empty());
  MODPROXY_CHECK(semver::Compare(v, v) == 0);
  if (!valid) {
    MODPROXY_CHECK(semver::Major(v).empty() && semver::Prerelease(v).empty() &&
                   semver::Build(v).empty() && CanonicalVersion(v).empty());
    MODPROXY_CHECK(!IsCanonicalVersion(v) && !IsPseudoVersion(v));
    return;
  }
  MODPROXY_CHECK(semver::IsValid(canonical));
  MODPROXY_CHECK(semver::Canonical(canonical) == canonical);
  MODPROXY_CHECK(semver::Compare(v, canonical) == 0);
  MODPROXY_CHECK(semver::Build(canonical).empty());
  MODPROXY_CHECK(semver::Prerelease(canonical) == semver::Prerelease(v));
  const std::string major = semver::Major(v);
  MODPROXY_CHECK(semver::Major(canonical) == major);
  MODPROXY_CHECK(canonical.starts_with(major + "."));
  // A version is its canonical form plus the short-form fill and the build.
  const std::string build = semver::Build(v);
  MODPROXY_CHECK(v.ends_with(build));
  MODPROXY_CHECK(canonical.starts_with(v.substr(0, v.size() - build.size())));

  const std::string module_canonical = CanonicalVersion(v);
  MODPROXY_CHECK(IsCanonicalVersion(module_canonical));
  MODPROXY_CHECK(IsCanonicalVersion(v) == (module_canonical == v));
  if (IsPseudoVersion(v)) MODPROXY_CHECK(!semver::Prerelease(v).empty());
}

void CheckPair(std::string_view a, std::string_view b) {
  const int ab = semver::Compare(a, b);
  MODPROXY_CHECK(ab >= -1 && ab <= 1);
  MODPROXY_CHECK(semver::Compare(b, a) == -ab);
  if (semver::IsValid(a) && semver::IsValid(b)) {
    // Numbers never have leading zeros, so equal means equal canonical forms.
    MODPROXY_CHECK((ab == 0) == (semver::Canonical(a) == semver::Canonical(b)));
  } else if (semver::IsValid(a) != semver::IsValid(b)) {
    MODPROXY_CHECK(ab == (semver::IsValid(a) ? 1 : -1));
  } else {
    MODPROXY_CHECK(ab == 0);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto parts = modproxy::fuzz::SplitInput(modproxy::fuzz::AsText(data, size), '\n', 3);
  for (const std::string_view v : parts) CheckOne(v);
  for (const std::string_view a : parts) {
    for (const std::string_view b : parts) CheckPair(a, b);
  }
  if (parts.size() == 3) {
    const int ab = semver::Compare(parts[0], parts[1]);
    const int bc = semver::Compare(parts[1], parts[2]);
    const int ac = semver::Compare(parts[0], parts[2]);
    if (ab <= 0 && bc <= 0) MODPROXY_CHECK(ac <= 0);  // transitive
    if (ab == 0 && bc == 0) MODPROXY_CHECK(ac == 0);
  }

  std::vector<std::string> sorted(parts.begin(), parts.end());
  semver::Sort(sorted);
  for (std::size_t i = 1; i < sorted.size(); ++i) {
    const int c = semver::Compare(sorted[i - 1], sorted[i]);
    MODPROXY_CHECK(c < 0 || (c == 0 && sorted[i - 1] <= sorted[i]));
  }
  MODPROXY_CHECK(std::is_permutation(sorted.begin(), sorted.end(), parts.begin(), parts.end()));
  return 0;
}
