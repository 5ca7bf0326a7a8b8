// Module paths, file paths and the "!x" case encoding (protocol/module_path.h).
// Input: "<path>\n<version>"; every function runs on each part.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_input.h"
#include "modproxy/core/check.h"
#include "modproxy/protocol/module_path.h"
#include "modproxy/protocol/semver.h"

namespace {

using namespace modproxy::protocol;  // NOLINT(google-build-using-namespace)

bool HasUpper(std::string_view s) {
  return s.find_first_of("ABCDEFGHIJKLMNOPQRSTUVWXYZ") != std::string_view::npos;
}

void CheckPathFunctions(std::string_view s) {
  const bool module_ok = CheckModulePath(s).has_value();
  const bool file_ok = CheckFilePath(s).has_value();
  // The module-path character set and element rules are a subset of the file-path ones.
  if (module_ok) MODPROXY_CHECK(file_ok);

  // EscapePath accepts exactly the valid module paths, and the encoding round-trips.
  const modproxy::Result<std::string> escaped = EscapePath(s);
  MODPROXY_CHECK(escaped.has_value() == module_ok);
  if (escaped) {
    MODPROXY_CHECK(!HasUpper(*escaped));
    const modproxy::Result<std::string> back = UnescapePath(*escaped);
    MODPROXY_CHECK(back.has_value() && *back == s);
  }
  // An escaped path has exactly one decoding, and encoding it gives it back.
  if (const modproxy::Result<std::string> unescaped = UnescapePath(s); unescaped) {
    MODPROXY_CHECK(CheckModulePath(*unescaped).has_value());
    const modproxy::Result<std::string> again = EscapePath(*unescaped);
    MODPROXY_CHECK(again.has_value() && *again == s);
  }

  if (const modproxy::Result<PathMajorSplit> split = SplitPathVersion(s); split) {
    MODPROXY_CHECK(split->prefix + split->path_major == s);
    const std::string_view major = split->path_major;
    MODPROXY_CHECK(major.empty() || major.starts_with("/v") || major.starts_with(".v"));
  } else {
    MODPROXY_CHECK(!module_ok);  // a valid module path always splits
  }
}

void CheckVersionFunctions(std::string_view v) {
  if (const modproxy::Result<std::string> escaped = EscapeVersion(v); escaped) {
    MODPROXY_CHECK(!HasUpper(*escaped));
    const modproxy::Result<std::string> back = UnescapeVersion(*escaped);
    MODPROXY_CHECK(back.has_value() && *back == v);
  }
  if (const modproxy::Result<std::string> unescaped = UnescapeVersion(v); unescaped) {
    const modproxy::Result<std::string> again = EscapeVersion(*unescaped);
    MODPROXY_CHECK(again.has_value() && *again == v);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input = modproxy::fuzz::AsText(data, size);
  const auto parts = modproxy::fuzz::SplitInput(input, '\n', 2);
  const std::string_view path = parts[0];
  const std::string_view version = parts.size() > 1 ? parts[1] : std::string_view();

  CheckPathFunctions(path);
  CheckVersionFunctions(path);
  CheckVersionFunctions(version);

  if (CheckModuleVersion(path, version)) {
    MODPROXY_CHECK(CheckModulePath(path).has_value());
    MODPROXY_CHECK(semver::IsValid(version));
    MODPROXY_CHECK(IsCanonicalVersion(version));
    // Both halves of a .zip URL can be written.
    MODPROXY_CHECK(EscapePath(path).has_value());
    MODPROXY_CHECK(EscapeVersion(version).has_value());
  }
  return 0;
}
