#pragma once

#include <string>
#include <vector>

#include "modproxy/core/result.h"

// What a disk cache holds, for `modproxy verify`.
namespace modproxy::verify {

// One cached .mod or .zip of a GOPROXY tree.
struct CachedFile {
  std::string path;             // on disk
  std::string escaped_module;   // "github.com/!burnt!sushi/toml"
  std::string escaped_version;  // "v1.2.0"
  std::string module;           // unescaped; "" when the name does not unescape
  std::string version;
  bool go_mod = false;  // the .mod, else the .zip
};

// Every <escaped module>/@v/<version>.mod and .zip under `root`, sorted by
// path, skipping bookkeeping (.modproxy/, any dot-directory) and the
// checksum-database cache (sumdb/). kStorage when `root` cannot be read.
Result<std::vector<CachedFile>> ListCachedFiles(const std::string& root);

}  // namespace modproxy::verify
