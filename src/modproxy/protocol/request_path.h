#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "modproxy/core/result.h"

// The grammar of the URLs modproxy serves (design.md "HTTP endpoints",
// go-modules-reference.md §1.1, §7.1). Pure: turns a raw request target into a
// validated request, or a kInvalidArgument / kNotFound error with a one-line
// reason.
namespace modproxy::protocol {

enum class ModuleEndpoint { kList, kInfo, kMod, kZip, kLatest };

// "list", "info", "mod", "zip", "latest": the endpoint's name in metrics and logs.
const char* EndpointName(ModuleEndpoint endpoint);

struct ModuleRequest {
  ModuleEndpoint endpoint;
  std::string module;           // unescaped: "github.com/BurntSushi/toml"
  std::string escaped_module;   // case-encoded: "github.com/!burnt!sushi/toml"
  std::string version;          // unescaped; empty for kList and kLatest
  std::string escaped_version;  // case-encoded; empty for kList and kLatest
  // For kInfo: true when `version` is canonical (cacheable forever); always true
  // for kMod and kZip (non-canonical versions are rejected there).
  bool canonical = false;
};

// .mod, .zip and canonical .info never change once served (§1.2); lists,
// @latest and other .info queries may.
bool IsImmutable(const ModuleRequest& request);

enum class SumdbEndpoint { kSupported, kLatest, kLookup, kTile };

struct SumdbRequest {
  SumdbEndpoint endpoint;
  std::string name;  // the database name, e.g. "sum.golang.org"
  // The path below /sumdb/<name>/, already validated and safe to use as a
  // relative file path: "supported", "latest", "lookup/golang.org/x/text@v0.3.8",
  // "tile/8/0/x001/234.p/5", "tile/8/data/000".
  std::string rest;
  // True for resources that never change once served: every tile (a partial
  // tile of width W is fixed forever) and lookup records.
  bool immutable = false;
  // For a hash tile: the exact size of its body, W (or 2^H) hashes of 32
  // bytes. 0 for data tiles and everything else.
  std::uint64_t hash_tile_bytes = 0;
};

// A tile of a checksum database's log (x/mod tlog.Tile, §7.6): the hashes at
// level h*l (l = -1 for record data, spelled "data"), numbers n*2^h .. n*2^h+w-1.
struct SumdbTile {
  std::int64_t h = 0;  // 1..30
  std::int64_t l = 0;  // -1 ("data") or >= 0
  std::int64_t n = 0;  // >= 0
  std::int64_t w = 0;  // 1..2^h; 2^h is a full tile
};

// tlog.Tile.Path: "tile/8/0/x001/x234/067.p/5" (the ".p/W" only when partial).
std::string FormatSumdbTilePath(const SumdbTile& tile);

// tlog.ParseTilePath, exactly: nullopt unless formatting the parsed tile gives
// `path` back (so no leading zeros, no "x000" group, no full-width ".p/").
std::optional<SumdbTile> ParseSumdbTilePath(std::string_view path);

enum class OpsEndpoint { kHealthz, kReadyz, kMetrics };

using ParsedRequest = std::variant<ModuleRequest, SumdbRequest, OpsEndpoint>;

// Longest request target accepted; longer targets are kInvalidArgument.
inline constexpr std::size_t kMaxTargetLength = 2048;

// Parses a request target ("/golang.org/x/text/@v/v0.3.8.zip?x=y"): drops the
// query, percent-decodes (rejecting malformed escapes, %00 and an encoded '/'
// or '\'), then matches the endpoints. Module paths are validated with
// UnescapePath; versions with UnescapeVersion; .mod and .zip require a
// canonical version that passes CheckModuleVersion. Sumdb names must be
// hostname-like; lookup and tile paths follow x/mod's grammar exactly.
// Anything that matches no endpoint is kNotFound; a matching shape with bad
// contents is kInvalidArgument.
Result<ParsedRequest> ParseRequestTarget(std::string_view target);

// The module path a checksum-database lookup asks about (unescaped), or
// nullopt for tiles, latest and supported.
std::optional<std::string> LookupModulePath(const SumdbRequest& request);

// Percent-decoding on its own (exposed for tests and fuzzing).
Result<std::string> PercentDecodePath(std::string_view raw);

}  // namespace modproxy::protocol
