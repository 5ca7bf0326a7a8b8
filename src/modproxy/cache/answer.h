#pragma once

#include <memory>
#include <string>

#include "modproxy/storage/storage.h"

namespace modproxy::cache {

// The body of a successful answer: bytes in memory, or a reader on a stored
// object (zips are never held whole in memory).
struct Answer {
  bool cache_hit = false;
  bool stale = false;  // served from the cache because the upstream failed
  std::shared_ptr<const std::string> body;
  std::unique_ptr<storage::BlobReader> reader;
};

}  // namespace modproxy::cache
