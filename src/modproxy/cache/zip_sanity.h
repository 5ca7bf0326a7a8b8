#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "modproxy/core/result.h"

namespace modproxy::cache {

// Largest module zip the go command accepts (go-modules-reference.md §5.2).
inline constexpr std::uint64_t kMaxZipBytes = std::uint64_t{500} << 20;

// Structural checks on a downloaded module zip before it is cached: it opens
// as a zip (a truncated download loses its central directory), every entry
// name starts with "<module>@<version>/", and the declared uncompressed total
// is within kMaxZipBytes. The full module-zip rules arrive with the integrity
// work; this only keeps garbage and truncated files out of the cache.
// kUpstreamInvalid with the reason on failure.
Result<void> CheckZipStructure(const std::string& path, std::string_view module,
                               std::string_view version);

}  // namespace modproxy::cache
