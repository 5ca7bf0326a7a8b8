#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "modproxy/core/result.h"

// A streaming zip writer that lays entries out as Go's archive/zip does for
// Writer.Create (go-modules-reference.md §5.1): deflate, a data descriptor
// after each entry's data, zero DOS time and date, the UTF-8 flag only when a
// name needs it, zip64 records only when a count, size or offset needs them.
// Only the names and contents matter to the go command (its h1 hashes those),
// but zips that look like Go's raise no questions in other tools.
namespace modproxy::zipbuild::detail {

class ZipWriter {
 public:
  using Sink = std::function<Result<void>(std::string_view)>;

  // `sink` receives the zip in order; it must outlive the writer.
  explicit ZipWriter(const Sink& sink);
  ~ZipWriter();
  ZipWriter(const ZipWriter&) = delete;
  ZipWriter& operator=(const ZipWriter&) = delete;

  // Writes one file entry. Errors from the sink pass through; after an
  // error the writer must not be used again.
  Result<void> AddFile(std::string_view name, std::string_view content);

  // Writes the central directory and the end records.
  Result<void> Finish();

  std::uint64_t bytes_written() const { return offset_; }

 private:
  struct Entry {
    std::string name;
    std::uint16_t flags = 0;
    std::uint32_t crc32 = 0;
    std::uint64_t compressed_size = 0;
    std::uint64_t uncompressed_size = 0;
    std::uint64_t offset = 0;
  };

  Result<void> Emit(std::string_view bytes);
  Result<void> Deflate(std::string_view content, Entry& entry);
  std::string CentralRecord(const Entry& entry) const;

  const Sink& sink_;
  // One deflate state for every entry (reset between them): setting one up
  // costs more than compressing a small file.
  void* deflate_ = nullptr;  // z_stream, kept out of this header
  std::string out_;
  std::uint64_t offset_ = 0;
  std::vector<Entry> entries_;
};

}  // namespace modproxy::zipbuild::detail
