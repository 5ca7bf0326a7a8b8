#pragma once

#include <memory>
#include <string>

#include "modproxy/cache/zip_stream.h"
#include "modproxy/storage/storage.h"

namespace modproxy::cache {

// The body of a successful answer: bytes in memory, a reader on a stored
// object (zips are never held whole in memory), or a zip still arriving.
struct Answer {
  bool cache_hit = false;
  bool stale = false;  // served from the cache because the upstream failed
  std::shared_ptr<const std::string> body;
  std::unique_ptr<storage::BlobReader> reader;
  // A zip miss being downloaded and verified: send what it releases, and
  // abort if it fails (its size is unknown until then).
  std::shared_ptr<ZipStream> stream;
};

}  // namespace modproxy::cache
