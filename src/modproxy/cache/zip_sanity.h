#pragma once

#include <string>
#include <string_view>

#include "modproxy/core/result.h"

namespace modproxy::cache {

// Structural checks on a downloaded module zip before it is cached: it opens
// as a zip (a truncated download loses its central directory), every entry
// name starts with "<module>@<version>/", and the declared uncompressed total
// is within protocol::kMaxZipBytes. The full module-zip rules arrive with the integrity
// work; this only keeps garbage and truncated files out of the cache.
// kUpstreamInvalid with the reason on failure.
Result<void> CheckZipStructure(const std::string& path, std::string_view module,
                               std::string_view version);

}  // namespace modproxy::cache
