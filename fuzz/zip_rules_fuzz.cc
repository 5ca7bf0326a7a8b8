// The go command's module-zip rules (protocol/zip_rules.h) and the cache's
// whole-zip inspection (modzip/inspect_zip.h). Input: the bytes of a zip,
// checked as example.com/m@v1.0.0 (the prefix of the seed zips).
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_input.h"
#include "modproxy/core/check.h"
#include "modproxy/modzip/inspect_zip.h"
#include "modproxy/protocol/module_path.h"
#include "modproxy/protocol/zip_limits.h"
#include "modproxy/protocol/zip_reader.h"
#include "modproxy/protocol/zip_rules.h"

namespace {

using namespace modproxy::protocol;  // NOLINT(google-build-using-namespace)

constexpr std::string_view kModule = "example.com/m";
constexpr std::string_view kVersion = "v1.0.0";
constexpr std::string_view kPrefix = "example.com/m@v1.0.0/";

std::string AsciiLower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = (c >= 'A' && c <= 'Z') ? char(c - 'A' + 'a') : c;
  return out;
}

// What a zip that passes every rule must look like, checked independently.
void CheckPassingZip(const std::vector<ZipEntry>& entries) {
  std::map<std::string, std::string> folded;  // ASCII-lowered name -> name
  std::uint64_t total = 0;
  for (const ZipEntry& entry : entries) {
    MODPROXY_CHECK(entry.name.starts_with(kPrefix));
    std::string_view name = std::string_view(entry.name).substr(kPrefix.size());
    if (name.empty()) continue;
    const bool is_dir = name.back() == '/';
    if (is_dir) name.remove_suffix(1);
    MODPROXY_CHECK(CheckFilePath(name).has_value());
    MODPROXY_CHECK(CleanPath(name) == name);
    MODPROXY_CHECK(!entry.IsSymlink());
    // Names equal but for ASCII case are fold-equal: a collision, unless both
    // are the same directory (Go allows a directory entry twice).
    const auto [it, added] = folded.emplace(AsciiLower(name), entry.name);
    MODPROXY_CHECK(added || (it->second == entry.name && is_dir));
    const std::size_t slash = name.rfind('/');
    const std::string_view base = slash == std::string_view::npos ? name : name.substr(slash + 1);
    if (!is_dir && AsciiLower(base) == "go.mod") MODPROXY_CHECK(name == "go.mod");
    if (!is_dir) {
      total += entry.uncompressed_size;
      MODPROXY_CHECK(total <= kMaxZipBytes);
    }
    if (name == "go.mod") MODPROXY_CHECK(entry.uncompressed_size <= kMaxGoModBytes);
    if (name == "LICENSE") MODPROXY_CHECK(entry.uncompressed_size <= kMaxLicenseBytes);
  }
}

void CheckRules(std::uint64_t size, const std::vector<ZipEntry>& entries) {
  const std::vector<std::string> violations = CheckModuleZip(kModule, kVersion, size, entries);
  MODPROXY_CHECK(violations.size() <= entries.size() + 2);
  for (const std::string& v : violations) {
    MODPROXY_CHECK(!v.empty() && v.find('\n') == std::string::npos);
  }
  if (violations.empty()) CheckPassingZip(entries);

  // Each entry is judged by the entries before it only: the violations of a
  // prefix of the directory are a prefix of the violations of the whole.
  const std::vector<ZipEntry> half(entries.begin(), entries.begin() + entries.size() / 2);
  const std::vector<std::string> half_violations = CheckModuleZip(kModule, kVersion, size, half);
  MODPROXY_CHECK(half_violations.size() <= violations.size());
  for (std::size_t i = 0; i < half_violations.size(); ++i) {
    MODPROXY_CHECK(half_violations[i] == violations[i]);
  }

  // An invalid module@version stops the check with one violation.
  MODPROXY_CHECK(CheckModuleZip("Example.com/m", kVersion, size, entries).size() == 1);
  MODPROXY_CHECK(CheckModuleZip(kModule, "v1.0", size, entries).size() == 1);
}

void CheckInspection(std::string_view bytes, const std::vector<std::string>* rule_violations) {
  StringZipSource source(bytes);
  const modproxy::Result<modproxy::modzip::ZipInspection> inspection =
      modproxy::modzip::InspectZip(source, kModule, kVersion);
  // Only I/O on the file is an error; a source in memory has none.
  MODPROXY_CHECK(inspection.has_value());
  const modproxy::modzip::ZipInspection& result = *inspection;
  for (const std::string& v : result.violations) {
    MODPROXY_CHECK(!v.empty() && v.find('\n') == std::string::npos);
  }
  if (rule_violations != nullptr && !rule_violations->empty()) {
    MODPROXY_CHECK(result.violations == *rule_violations);
  }
  if (rule_violations == nullptr) MODPROXY_CHECK(result.violations.size() == 1);
  if (!result.violations.empty()) {
    MODPROXY_CHECK(result.h1.empty() && result.files == 0);
    return;
  }
  MODPROXY_CHECK(rule_violations != nullptr && rule_violations->empty());
  MODPROXY_CHECK(result.h1.starts_with("h1:") && result.h1.size() == 3 + 44);
  // The go command's dirhash.HashZip (modzip::HashZip) gives the same h1,
  // also when a directory entry appears twice (fuzz/regressions/zip_rules/).
  const modproxy::Result<std::string> h1 = modproxy::modzip::HashZip(source);
  MODPROXY_CHECK(h1.has_value() && *h1 == result.h1);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes = modproxy::fuzz::AsText(data, size);
  StringZipSource source(bytes);
  const modproxy::Result<std::vector<ZipEntry>> entries = ReadZipDirectory(source);
  if (!entries) {
    CheckInspection(bytes, nullptr);
    return 0;
  }
  CheckRules(size, *entries);
  const std::vector<std::string> violations = CheckModuleZip(kModule, kVersion, size, *entries);
  CheckInspection(bytes, &violations);
  return 0;
}
