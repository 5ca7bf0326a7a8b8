#include "modproxy/protocol/request_path.h"

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "modproxy/protocol/module_path.h"
#include "modproxy/protocol/semver.h"
#include "modproxy/protocol/text.h"

namespace modproxy::protocol {
namespace {

using detail::Quote;

Error Invalid(std::string message) {
  return MakeError(ErrorCode::kInvalidArgument, std::move(message));
}

Error UnknownEndpoint(std::string_view path) {
  return MakeError(ErrorCode::kNotFound, "not found: unknown endpoint " + Quote(path));
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool IsControl(unsigned char b) { return b < 0x20 || b == 0x7F; }

std::vector<std::string_view> Split(std::string_view s, char sep) {
  std::vector<std::string_view> parts;
  for (;;) {
    const std::size_t at = s.find(sep);
    parts.push_back(s.substr(0, at));
    if (at == std::string_view::npos) return parts;
    s.remove_prefix(at + 1);
  }
}

// Traversal guard for every endpoint: no empty, "." or ".." segments. The
// module and version checks would refuse most of these anyway; this makes the
// rule hold for sumdb paths and unknown endpoints too.
Result<void> CheckSegments(std::string_view path) {
  for (const std::string_view segment : Split(path.substr(1), '/')) {
    if (segment.empty() || segment == "." || segment == "..") {
      return Invalid("invalid request path " + Quote(path) + ": empty, \".\" or \"..\" element");
    }
  }
  return {};
}

std::string ThreeDigits(std::int64_t n) {
  std::string s = std::to_string(n);
  return std::string(3 - s.size(), '0') + s;
}

// tlog.Tile.Path: N in 3-digit groups, all but the last prefixed with 'x' (§7.6).
std::string FormatTile(std::int64_t h, std::int64_t l, std::int64_t n, std::int64_t w) {
  std::string groups = ThreeDigits(n % 1000);
  for (; n >= 1000; n /= 1000) groups = "x" + ThreeDigits(n / 1000 % 1000) + "/" + groups;
  std::string path = "tile/" + std::to_string(h) + "/" + (l < 0 ? "data" : std::to_string(l)) + "/";
  path += groups;
  if (w != (std::int64_t{1} << h)) path += ".p/" + std::to_string(w);
  return path;
}

// The x/mod sumdb server's modVerRE: "<no @>@v<N>.<N>.<N>" then "-<no @>"
// and/or "+incompatible" (§7.1).
bool IsLookupShape(std::string_view s) {
  const std::size_t at = s.find('@');
  if (at == 0 || at == std::string_view::npos) return false;
  std::string_view v = s.substr(at + 1);
  if (v.find('@') != std::string_view::npos || !v.starts_with('v')) return false;
  v.remove_prefix(1);
  for (int i = 0; i < 3; ++i) {
    std::size_t end = v.find_first_not_of("0123456789");
    if (end == std::string_view::npos) end = v.size();
    if (end == 0 || (i < 2 && (end == v.size() || v[end] != '.'))) return false;
    v.remove_prefix(i < 2 ? end + 1 : end);
  }
  return v.empty() || v == "+incompatible" || v.starts_with('-');
}

// Database names become a path segment and a storage key: only lowercase
// host names are proxied.
bool IsSumdbName(std::string_view name) {
  if (name.empty() || name.size() > 253) return false;
  if (name.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789.-") != std::string_view::npos) {
    return false;
  }
  return name.find('.') != std::string_view::npos && name.find("..") == std::string_view::npos &&
         name.front() != '.' && name.front() != '-' && name.back() != '.' && name.back() != '-';
}

Result<ParsedRequest> ParseSumdb(std::string_view path, std::string_view below) {
  const std::size_t slash = below.find('/');
  if (slash == std::string_view::npos) return UnknownEndpoint(path);
  SumdbRequest request;
  request.name = std::string(below.substr(0, slash));
  const std::string_view rest = below.substr(slash + 1);
  request.rest = std::string(rest);
  if (rest == "supported") {
    request.endpoint = SumdbEndpoint::kSupported;
  } else if (rest == "latest") {
    request.endpoint = SumdbEndpoint::kLatest;
  } else if (rest.starts_with("lookup/")) {
    request.endpoint = SumdbEndpoint::kLookup;
  } else if (rest.starts_with("tile/")) {
    request.endpoint = SumdbEndpoint::kTile;
  } else {
    return UnknownEndpoint(path);
  }
  // 404, not 400: the go command connects to a database directly only after
  // 404/410 on <proxy>/sumdb/<name>/supported; any other status fails the
  // download (§7.9). Go allows names we do not serve, such as "localhost:8080".
  if (!IsSumdbName(request.name)) {
    return MakeError(ErrorCode::kNotFound,
                     "not found: checksum database " + Quote(request.name) + " is not proxied");
  }
  if (request.endpoint == SumdbEndpoint::kLookup) {
    const std::string_view mod_ver = rest.substr(std::string_view("lookup/").size());
    if (!IsLookupShape(mod_ver)) return Invalid("invalid module@version syntax " + Quote(mod_ver));
    const std::size_t at = mod_ver.find('@');
    if (Result<std::string> m = UnescapePath(mod_ver.substr(0, at)); !m) return m.error();
    if (Result<std::string> v = UnescapeVersion(mod_ver.substr(at + 1)); !v) return v.error();
  }
  if (request.endpoint == SumdbEndpoint::kTile) {
    const std::optional<SumdbTile> tile = ParseSumdbTilePath(rest);
    if (!tile) return Invalid("invalid tile path " + Quote(rest));
    if (tile->l >= 0) request.hash_tile_bytes = static_cast<std::uint64_t>(tile->w) * 32;
  }
  // A lookup answer and a tile (even a partial one) never change; the tree
  // head and the "supported" probe do.
  request.immutable =
      request.endpoint == SumdbEndpoint::kLookup || request.endpoint == SumdbEndpoint::kTile;
  return ParsedRequest(std::move(request));
}

struct ModuleShape {
  ModuleEndpoint endpoint;
  std::string_view escaped_module;
  std::string_view escaped_version;
};

// Finds the endpoint from the path's shape alone (§1.1); nullopt when none fits.
// Module paths never contain '@', so the first "/@v/" ends the module path.
std::optional<ModuleShape> MatchModuleShape(std::string_view path) {
  const auto module_before = [&](std::size_t at) {
    return at == 0 ? std::string_view() : path.substr(1, at - 1);
  };
  constexpr std::string_view kVersions = "/@v/";
  if (const std::size_t at = path.find(kVersions); at != std::string_view::npos) {
    const std::string_view rest = path.substr(at + kVersions.size());
    if (rest == "list") return ModuleShape{ModuleEndpoint::kList, module_before(at), {}};
    constexpr std::pair<std::string_view, ModuleEndpoint> kSuffixes[] = {
        {".info", ModuleEndpoint::kInfo},
        {".mod", ModuleEndpoint::kMod},
        {".zip", ModuleEndpoint::kZip}};
    for (const auto& [suffix, endpoint] : kSuffixes) {
      if (rest.ends_with(suffix)) {
        return ModuleShape{endpoint, module_before(at),
                           rest.substr(0, rest.size() - suffix.size())};
      }
    }
    return std::nullopt;
  }
  constexpr std::string_view kLatest = "/@latest";
  if (path.ends_with(kLatest)) {
    return ModuleShape{ModuleEndpoint::kLatest, module_before(path.size() - kLatest.size()), {}};
  }
  return std::nullopt;
}

Result<ParsedRequest> ParseModule(std::string_view path) {
  const std::optional<ModuleShape> shape = MatchModuleShape(path);
  if (!shape) return UnknownEndpoint(path);
  Result<std::string> module = UnescapePath(shape->escaped_module);
  if (!module) return module.error();
  ModuleRequest request;
  request.endpoint = shape->endpoint;
  request.module = std::move(*module);
  request.escaped_module = std::string(shape->escaped_module);
  if (shape->endpoint == ModuleEndpoint::kList || shape->endpoint == ModuleEndpoint::kLatest) {
    return ParsedRequest(std::move(request));
  }
  // Branch names like "release/1.0" cannot be sent to a proxy (§1.11).
  if (shape->escaped_version.find('/') != std::string_view::npos) {
    return Invalid("invalid version " + Quote(shape->escaped_version) + ": contains '/'");
  }
  Result<std::string> version = UnescapeVersion(shape->escaped_version);
  if (!version) return version.error();
  request.version = std::move(*version);
  request.escaped_version = std::string(shape->escaped_version);
  const Result<void> valid = CheckModuleVersion(request.module, request.version);
  if (shape->endpoint == ModuleEndpoint::kInfo) {
    // .info also answers queries ("master", "v1.2"); only a canonical version
    // valid for this module has a fixed answer (§1.3).
    request.canonical = IsCanonicalVersion(request.version) && valid.has_value();
  } else {
    // The go command only asks .mod and .zip for canonical versions (§1.2).
    if (!valid) return valid.error();
    request.canonical = true;
  }
  return ParsedRequest(std::move(request));
}

}  // namespace

std::string FormatSumdbTilePath(const SumdbTile& tile) {
  return FormatTile(tile.h, tile.l, tile.n, tile.w);
}

// tlog.ParseTilePath accepts a path only if formatting the parsed tile gives
// the same string back; doing the same rejects leading zeros, "x000" groups
// and full-width ".p/" suffixes exactly as x/mod does.
std::optional<SumdbTile> ParseSumdbTilePath(std::string_view path) {
  std::vector<std::string_view> f = Split(path, '/');
  if (f.size() < 4 || f[0] != "tile") return std::nullopt;
  const std::optional<std::int64_t> h = detail::ParseDecimalDigits(f[1]);
  const std::optional<std::int64_t> l = f[2] == "data" ? -1 : detail::ParseDecimalDigits(f[2]);
  if (!h || !l || *h < 1 || *h > 30) return std::nullopt;
  std::int64_t w = std::int64_t{1} << *h;
  if (f[f.size() - 2].ends_with(".p")) {
    const std::optional<std::int64_t> partial = detail::ParseDecimalDigits(f.back());
    if (!partial || *partial <= 0 || *partial >= w) return std::nullopt;
    w = *partial;
    f[f.size() - 2].remove_suffix(2);
    f.pop_back();
  }
  std::int64_t n = 0;
  for (std::size_t i = 3; i < f.size(); ++i) {
    std::string_view group = f[i];
    if (group.starts_with('x')) group.remove_prefix(1);
    const std::optional<std::int64_t> value = detail::ParseDecimalDigits(group);
    if (!value || *value >= 1000) return std::nullopt;
    if (n > (std::numeric_limits<std::int64_t>::max() - *value) / 1000) return std::nullopt;
    n = n * 1000 + *value;
  }
  if (FormatTile(*h, *l, n, w) != path) return std::nullopt;
  return SumdbTile{*h, *l, n, w};
}

Result<std::string> PercentDecodePath(std::string_view raw) {
  std::string out;
  out.reserve(raw.size());
  for (std::size_t i = 0; i < raw.size(); ++i) {
    auto byte = static_cast<unsigned char>(raw[i]);
    if (raw[i] == '%') {
      const int hi = i + 2 < raw.size() ? HexValue(raw[i + 1]) : -1;
      const int lo = i + 2 < raw.size() ? HexValue(raw[i + 2]) : -1;
      if (hi < 0 || lo < 0) return Invalid("malformed percent-escape in request path");
      byte = static_cast<unsigned char>(hi * 16 + lo);
      i += 2;
      // An encoded separator would let one segment smuggle in another.
      if (byte == '/' || byte == '\\') {
        return Invalid("encoded slash or backslash in request path");
      }
    }
    // '+' stays '+': this is a path, not a form (§1.1).
    if (IsControl(byte)) return Invalid("control character in request path");
    out += static_cast<char>(byte);
  }
  return out;
}

Result<ParsedRequest> ParseRequestTarget(std::string_view target) {
  if (target.size() > kMaxTargetLength) {
    return Invalid("request target longer than " + std::to_string(kMaxTargetLength) + " bytes");
  }
  if (!target.starts_with('/')) return Invalid("request target must start with '/'");
  Result<std::string> decoded = PercentDecodePath(target.substr(0, target.find('?')));
  if (!decoded) return decoded.error();
  const std::string_view path = *decoded;

  if (path == "/healthz") return ParsedRequest(OpsEndpoint::kHealthz);
  if (path == "/readyz") return ParsedRequest(OpsEndpoint::kReadyz);
  if (path == "/metrics") return ParsedRequest(OpsEndpoint::kMetrics);
  if (path == "/") return UnknownEndpoint(path);
  if (Result<void> ok = CheckSegments(path); !ok) return ok.error();

  constexpr std::string_view kSumdb = "/sumdb/";
  if (path.starts_with(kSumdb)) return ParseSumdb(path, path.substr(kSumdb.size()));
  return ParseModule(path);
}

bool IsImmutable(const ModuleRequest& request) {
  return request.endpoint == ModuleEndpoint::kMod || request.endpoint == ModuleEndpoint::kZip ||
         (request.endpoint == ModuleEndpoint::kInfo && request.canonical);
}

const char* EndpointName(ModuleEndpoint endpoint) {
  switch (endpoint) {
    case ModuleEndpoint::kList:
      return "list";
    case ModuleEndpoint::kInfo:
      return "info";
    case ModuleEndpoint::kMod:
      return "mod";
    case ModuleEndpoint::kZip:
      return "zip";
    case ModuleEndpoint::kLatest:
      return "latest";
  }
  return "other";
}

std::optional<std::string> LookupModulePath(const SumdbRequest& request) {
  if (request.endpoint != SumdbEndpoint::kLookup) return std::nullopt;
  // rest is "lookup/<escaped module>@<escaped version>", already validated.
  const std::string_view target = std::string_view(request.rest).substr(7);
  Result<std::string> module = UnescapePath(target.substr(0, target.rfind('@')));
  if (!module) return std::nullopt;
  return *module;
}

}  // namespace modproxy::protocol
