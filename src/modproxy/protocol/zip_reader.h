#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "modproxy/core/result.h"

// A zip reader of our own (PKWARE APPNOTE, as Go's archive/zip reads it), so
// that module zips from untrusted upstreams can be fuzzed and read with
// bounded memory whatever they declare. Pure: all bytes come from a ZipSource.
namespace modproxy::protocol {

// Random access to a zip's bytes (a file, or memory in tests and fuzzers).
// Not thread-safe unless an implementation says so.
class ZipSource {
 public:
  virtual ~ZipSource() = default;
  virtual std::uint64_t size() const = 0;
  // Exactly n bytes at offset; an error if the source is shorter or unreadable
  // (kInvalidArgument for "shorter", kStorage for I/O failures).
  virtual Result<void> ReadAt(std::uint64_t offset, char* out, std::size_t n) = 0;
};

// A ZipSource over bytes owned by the caller, which must outlive it.
class StringZipSource final : public ZipSource {
 public:
  explicit StringZipSource(std::string_view bytes) : bytes_(bytes) {}
  std::uint64_t size() const override { return bytes_.size(); }
  Result<void> ReadAt(std::uint64_t offset, char* out, std::size_t n) override;

 private:
  std::string_view bytes_;
};

// One central-directory record, with zip64 values already substituted and
// local_header_offset already including any bytes prepended to the archive.
struct ZipEntry {
  std::string name;
  std::uint16_t method = 0;  // 0 stored, 8 deflate; anything else is refused when read
  std::uint16_t flags = 0;
  std::uint32_t crc32 = 0;
  std::uint64_t compressed_size = 0;
  std::uint64_t uncompressed_size = 0;
  std::uint64_t local_header_offset = 0;
  std::uint32_t external_attributes = 0;
  std::uint8_t creator_system = 0;  // high byte of "version made by" (3 = Unix)

  bool IsDirectory() const;  // name ends in '/'
  bool IsSymlink() const;    // Unix creator and S_IFLNK in the high 16 bits of external_attributes
};

// modproxy's own bound (the go command has no file-count limit): a central
// directory declaring more entries is refused before anything is allocated.
inline constexpr std::uint64_t kMaxZipEntries = 1'000'000;

// Largest chunk ReadZipEntry hands to its sink.
inline constexpr std::size_t kZipChunkBytes = std::size_t{64} * 1024;

// Parses the end-of-central-directory record (with zip64) and the central
// directory. kInvalidArgument with a one-line reason for anything malformed:
// no EOCD, truncated directory, counts that disagree, offsets or sizes past
// the end of the source, more than kMaxZipEntries entries, multi-disk zips.
// Errors from the source other than "too short" (kStorage) pass through.
// Like Go, a 16-bit entry count is compared modulo 65536 (zips with more
// entries but no zip64 records exist), and bytes prepended to the archive
// (self-extracting stubs) are allowed.
Result<std::vector<ZipEntry>> ReadZipDirectory(ZipSource& source);

// Streams the decompressed bytes of one entry (stored or raw deflate, via
// zlib) to `sink` in chunks of at most kZipChunkBytes, using bounded memory
// whatever the sizes. Refuses (kInvalidArgument): a local header that
// disagrees with the central directory name (stricter than Go, which ignores
// the local name), an encrypted entry, an unknown method, more decompressed
// bytes than declared (detected before those bytes reach the sink, so a zip
// bomb costs at most one chunk beyond its declared size), fewer bytes than
// declared, a CRC-32 mismatch (as in Go, a zero CRC without a data
// descriptor means "not recorded" and is not compared), a data descriptor
// whose CRC differs from the directory's. Errors from sink pass through.
// On any error, what the sink already received must be discarded.
Result<void> ReadZipEntry(ZipSource& source, const ZipEntry& entry,
                          const std::function<Result<void>(std::string_view)>& sink);

}  // namespace modproxy::protocol
