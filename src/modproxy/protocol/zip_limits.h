#pragma once

#include <cstdint>

// Size limits the go command enforces on module zips (go-modules-reference.md §5.2).
namespace modproxy::protocol {

// Largest zip file, and largest declared uncompressed total of its files.
inline constexpr std::uint64_t kMaxZipBytes = std::uint64_t{500} << 20;

// Largest root go.mod and root LICENSE inside a module zip (declared size).
inline constexpr std::uint64_t kMaxGoModBytes = std::uint64_t{16} << 20;
inline constexpr std::uint64_t kMaxLicenseBytes = std::uint64_t{16} << 20;

}  // namespace modproxy::protocol
