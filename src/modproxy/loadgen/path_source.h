#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "modproxy/core/result.h"

// Where `modproxy bench` gets its request paths: a file listing them, a walk
// of a GOPROXY tree (a modproxy cache directory or any `GOPROXY=file://`
// tree), or a built-in list of popular public module versions. Every path
// starts with '/' and is relative to the target URL (its prefix is added later).
namespace modproxy::loadgen {

// The GOPROXY endpoints a tree walk or the built-in list can produce.
struct Endpoints {
  bool info = false;
  bool mod = false;
  bool zip = false;
  bool list = false;
};

// "info,mod,list" -> Endpoints. kInvalidArgument naming an unknown or empty entry.
Result<Endpoints> ParseEndpoints(std::string_view text);

// One request path per line; blank lines and lines starting with '#' are
// skipped, surrounding whitespace (and a CR) is trimmed. kInvalidArgument
// naming the file and line for a path that does not start with '/';
// kNotFound when the file cannot be read.
Result<std::vector<std::string>> LoadPathsFile(const std::string& file);

// Walks a GOPROXY tree: `<escaped module>/@v/<version>.info|.mod|.zip` and
// `<escaped module>/@v/list`, keeping the selected endpoints and skipping
// every directory whose name starts with '.' (modproxy's bookkeeping). The
// result is sorted, so a seeded run picks the same paths on every machine.
// Bytes that may not appear raw in a URL path are percent-encoded.
Result<std::vector<std::string>> WalkCache(const std::string& dir, const Endpoints& endpoints);

// The built-in list: popular public module versions (proxy.golang.org has
// them all), one path per selected endpoint, case-escaped.
std::vector<std::string> BuiltinPaths(const Endpoints& endpoints);

}  // namespace modproxy::loadgen
