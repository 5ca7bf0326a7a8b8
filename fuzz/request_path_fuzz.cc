// The request-target grammar (protocol/request_path.h). Input: a raw request
// target. What the parser accepts must be safe to use as a storage key and
// must come back unchanged when written out and parsed again.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "fuzz_input.h"
#include "modproxy/core/check.h"
#include "modproxy/protocol/module_path.h"
#include "modproxy/protocol/request_path.h"
#include "modproxy/protocol/semver.h"

namespace {

using namespace modproxy::protocol;  // NOLINT(google-build-using-namespace)

// No traversal and nothing a file name or log line should not hold.
void CheckSafeRelativePath(std::string_view path) {
  MODPROXY_CHECK(!path.empty() && !path.starts_with('/') && !path.ends_with('/'));
  for (const char c : path) {
    const auto b = static_cast<unsigned char>(c);
    MODPROXY_CHECK(b >= 0x20 && b != 0x7F && c != '\\');
  }
  const auto parts = modproxy::fuzz::SplitInput(path, '/', path.size() + 1);
  for (const std::string_view part : parts) {
    MODPROXY_CHECK(!part.empty() && part != "." && part != "..");
  }
}

// Versions and lookup paths may hold a literal '%' (a file-path character).
std::string EncodePercent(std::string_view s) {
  std::string out;
  for (const char c : s) out += c == '%' ? std::string("%25") : std::string(1, c);
  return out;
}

std::string Suffix(ModuleEndpoint endpoint) {
  switch (endpoint) {
    case ModuleEndpoint::kList:
      return "/@v/list";
    case ModuleEndpoint::kLatest:
      return "/@latest";
    case ModuleEndpoint::kInfo:
      return ".info";
    case ModuleEndpoint::kMod:
      return ".mod";
    case ModuleEndpoint::kZip:
      return ".zip";
  }
  return "";
}

void CheckModule(const ModuleRequest& r) {
  MODPROXY_CHECK(CheckModulePath(r.module).has_value());
  const modproxy::Result<std::string> escaped = EscapePath(r.module);
  MODPROXY_CHECK(escaped.has_value() && *escaped == r.escaped_module);
  CheckSafeRelativePath(r.escaped_module);
  std::string target = "/" + r.escaped_module;
  if (r.endpoint == ModuleEndpoint::kList || r.endpoint == ModuleEndpoint::kLatest) {
    MODPROXY_CHECK(r.version.empty() && r.escaped_version.empty());
    MODPROXY_CHECK(!IsImmutable(r));
    target += Suffix(r.endpoint);
  } else {
    const modproxy::Result<std::string> v = EscapeVersion(r.version);
    MODPROXY_CHECK(v.has_value() && *v == r.escaped_version);
    MODPROXY_CHECK(r.escaped_version.find('/') == std::string::npos);
    CheckSafeRelativePath(r.escaped_version);
    if (r.endpoint != ModuleEndpoint::kInfo || r.canonical) {
      MODPROXY_CHECK(r.canonical && IsCanonicalVersion(r.version));
      MODPROXY_CHECK(CheckModuleVersion(r.module, r.version).has_value());
      MODPROXY_CHECK(IsImmutable(r));
    } else {
      MODPROXY_CHECK(!IsImmutable(r));
    }
    target += "/@v/" + EncodePercent(r.escaped_version) + Suffix(r.endpoint);
  }
  // Written out with nothing percent-encoded, the request parses to itself.
  const modproxy::Result<ParsedRequest> again = ParseRequestTarget(target);
  MODPROXY_CHECK(again.has_value());
  const auto* same = std::get_if<ModuleRequest>(&*again);
  MODPROXY_CHECK(same != nullptr && same->endpoint == r.endpoint && same->module == r.module &&
                 same->version == r.version && same->canonical == r.canonical);
}

void CheckSumdb(const SumdbRequest& r) {
  CheckSafeRelativePath(r.name);
  MODPROXY_CHECK(r.name.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789.-") ==
                 std::string::npos);
  CheckSafeRelativePath(r.rest);
  switch (r.endpoint) {
    case SumdbEndpoint::kSupported:
      MODPROXY_CHECK(r.rest == "supported" && !r.immutable);
      break;
    case SumdbEndpoint::kLatest:
      MODPROXY_CHECK(r.rest == "latest" && !r.immutable);
      break;
    case SumdbEndpoint::kLookup:
      MODPROXY_CHECK(r.rest.starts_with("lookup/") && r.immutable);
      break;
    case SumdbEndpoint::kTile: {
      MODPROXY_CHECK(r.rest.starts_with("tile/") && r.immutable);
      // At most 2^30 hashes of 32 bytes; data tiles have no fixed size.
      MODPROXY_CHECK(r.hash_tile_bytes % 32 == 0 && r.hash_tile_bytes <= (std::uint64_t{32} << 30));
      MODPROXY_CHECK((r.hash_tile_bytes == 0) == (r.rest.find("/data/") != std::string::npos));
      const std::optional<SumdbTile> tile = ParseSumdbTilePath(r.rest);
      MODPROXY_CHECK(tile.has_value());
      MODPROXY_CHECK(r.hash_tile_bytes == (tile->l < 0 ? 0 : std::uint64_t(tile->w) * 32));
      break;
    }
  }
  if (r.endpoint != SumdbEndpoint::kTile) MODPROXY_CHECK(r.hash_tile_bytes == 0);
  const modproxy::Result<ParsedRequest> again =
      ParseRequestTarget("/sumdb/" + r.name + "/" + EncodePercent(r.rest));
  MODPROXY_CHECK(again.has_value());
  const auto* same = std::get_if<SumdbRequest>(&*again);
  MODPROXY_CHECK(same != nullptr && same->endpoint == r.endpoint && same->name == r.name &&
                 same->rest == r.rest && same->hash_tile_bytes == r.hash_tile_bytes);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view target = modproxy::fuzz::AsText(data, size);

  if (const modproxy::Result<std::string> decoded = PercentDecodePath(target); decoded) {
    MODPROXY_CHECK(decoded->size() <= target.size());
    for (const char c : *decoded) {
      const auto b = static_cast<unsigned char>(c);
      MODPROXY_CHECK(b >= 0x20 && b != 0x7F);
    }
  }

  const modproxy::Result<ParsedRequest> parsed = ParseRequestTarget(target);
  if (!parsed) {
    const modproxy::ErrorCode code = parsed.error().code;
    MODPROXY_CHECK(code == modproxy::ErrorCode::kNotFound ||
                   code == modproxy::ErrorCode::kInvalidArgument);
    MODPROXY_CHECK(!parsed.error().message.empty());
    MODPROXY_CHECK(parsed.error().message.find('\n') == std::string::npos);
    return 0;
  }
  MODPROXY_CHECK(target.size() <= kMaxTargetLength && target.starts_with('/'));
  if (const auto* module = std::get_if<ModuleRequest>(&*parsed)) CheckModule(*module);
  if (const auto* sumdb = std::get_if<SumdbRequest>(&*parsed)) CheckSumdb(*sumdb);
  return 0;
}
