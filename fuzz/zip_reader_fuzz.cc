// The zip reader (protocol/zip_reader.h). Input: the bytes of a zip. Reads
// the central directory, then every entry into a sink that counts and
// discards, with a cap on the total so a deflate bomb cannot stall a run.
#include <zlib.h>

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "fuzz_input.h"
#include "modproxy/core/check.h"
#include "modproxy/protocol/zip_reader.h"

namespace {

using namespace modproxy::protocol;  // NOLINT(google-build-using-namespace)

// Decompressed bytes read per input, over all entries; past it the sink fails.
constexpr std::uint64_t kMaxTotalBytes = std::uint64_t{16} << 20;
// Entries read per input (the directory itself is always read whole).
constexpr std::size_t kMaxEntriesRead = 512;
// The sink's own error, which ReadZipEntry must pass through unchanged.
constexpr modproxy::ErrorCode kCapCode = modproxy::ErrorCode::kRateLimited;

void ReadEntry(StringZipSource& source, const ZipEntry& entry, std::uint64_t& budget) {
  std::uint64_t received = 0;
  uLong crc = crc32(0, nullptr, 0);
  bool capped = false;
  const modproxy::Result<void> read =
      ReadZipEntry(source, entry, [&](std::string_view chunk) -> modproxy::Result<void> {
        MODPROXY_CHECK(chunk.size() <= kZipChunkBytes);
        received += chunk.size();
        // Never more than declared reaches the sink, whatever the data says.
        MODPROXY_CHECK(received <= entry.uncompressed_size);
        if (chunk.size() > budget) {
          capped = true;
          return modproxy::MakeError(kCapCode, "fuzz cap");
        }
        budget -= chunk.size();
        crc = crc32(crc, reinterpret_cast<const Bytef*>(chunk.data()),
                    static_cast<uInt>(chunk.size()));
        return {};
      });
  if (read) {
    MODPROXY_CHECK(!capped);
    MODPROXY_CHECK(entry.method == 0 || entry.method == 8);
    MODPROXY_CHECK((entry.flags & 1) == 0);  // encrypted entries are refused
    MODPROXY_CHECK(received == entry.uncompressed_size);
    if (entry.crc32 != 0 || (entry.flags & 8) != 0) {
      MODPROXY_CHECK(static_cast<std::uint32_t>(crc) == entry.crc32);
    }
    return;
  }
  const modproxy::ErrorCode code = read.error().code;
  MODPROXY_CHECK(code == (capped ? kCapCode : modproxy::ErrorCode::kInvalidArgument));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  StringZipSource source(modproxy::fuzz::AsText(data, size));
  const modproxy::Result<std::vector<ZipEntry>> entries = ReadZipDirectory(source);
  if (!entries) {
    // A source in memory never fails with an I/O error.
    MODPROXY_CHECK(entries.error().code == modproxy::ErrorCode::kInvalidArgument);
    return 0;
  }
  // Each central header takes at least 46 bytes of the input.
  MODPROXY_CHECK(entries->size() <= size / 46);
  for (const ZipEntry& entry : *entries) {
    MODPROXY_CHECK(entry.local_header_offset <= size);
    MODPROXY_CHECK(entry.compressed_size <= size - entry.local_header_offset);
    MODPROXY_CHECK(entry.IsDirectory() == (!entry.name.empty() && entry.name.back() == '/'));
  }
  std::uint64_t budget = kMaxTotalBytes;
  for (std::size_t i = 0; i < entries->size() && i < kMaxEntriesRead; ++i) {
    ReadEntry(source, (*entries)[i], budget);
  }
  return 0;
}
