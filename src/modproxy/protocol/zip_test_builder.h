#pragma once

#include <zlib.h>

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

// Test-only: hand-built zip archives, byte by byte, so that tests can write
// exactly the malformed, zip64 or data-descriptor layouts they need.
namespace modproxy::protocol::testing_zip {

inline std::uint32_t Crc32(std::string_view data) {
  return static_cast<std::uint32_t>(crc32(crc32(0, nullptr, 0),
                                          reinterpret_cast<const Bytef*>(data.data()),
                                          static_cast<uInt>(data.size())));
}

// Raw deflate (no zlib header), as zip method 8 stores it.
inline std::string Deflate(std::string_view data) {
  z_stream z{};
  if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -MAX_WBITS, 8, Z_DEFAULT_STRATEGY) !=
      Z_OK) {
    throw std::runtime_error("deflateInit2");
  }
  std::string out(deflateBound(&z, static_cast<uLong>(data.size())), '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  if (deflate(&z, Z_FINISH) != Z_STREAM_END) throw std::runtime_error("deflate");
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

// One entry as it will be written; every field may be tampered with.
struct Spec {
  std::string name;
  std::optional<std::string> local_name;  // the local header's name, if it should differ
  std::string data;                       // the bytes stored (compressed already)
  std::uint16_t method = 0;
  std::uint16_t flags = 0;
  std::uint32_t crc = 0;
  std::uint64_t compressed_size = 0;
  std::uint64_t uncompressed_size = 0;
  bool zip64 = false;                           // sizes and offset in a zip64 extra field
  std::optional<std::uint32_t> descriptor_crc;  // write a data descriptor (flag bit 3)
  bool descriptor_signature = true;
  std::uint16_t version_made_by = 0x0314;  // Unix, 2.0
  std::uint32_t external_attributes = 0x81A40000;
};

inline Spec Stored(std::string name, std::string content) {
  Spec s;
  s.name = std::move(name);
  s.crc = Crc32(content);
  s.compressed_size = s.uncompressed_size = content.size();
  s.data = std::move(content);
  return s;
}

inline Spec Deflated(std::string name, const std::string& content) {
  Spec s;
  s.name = std::move(name);
  s.method = 8;
  s.crc = Crc32(content);
  s.data = Deflate(content);
  s.compressed_size = s.data.size();
  s.uncompressed_size = content.size();
  return s;
}

// Moves the entry's sizes into a trailing data descriptor, as streaming
// writers (Go's among them) do.
inline Spec WithDescriptor(Spec s) {
  s.flags |= 0x0008;
  s.descriptor_crc = s.crc;
  return s;
}

struct Layout {
  std::string prefix;                            // bytes before the archive
  bool zip64_end = false;                        // zip64 end record + locator
  std::optional<std::uint64_t> declared_count;   // override the entry count
  std::optional<std::uint64_t> declared_offset;  // override the directory offset
  std::uint16_t disk = 0;
  std::string comment;
};

class Bytes {
 public:
  void U16(std::uint64_t v) { Le(v, 2); }
  void U32(std::uint64_t v) { Le(v, 4); }
  void U64(std::uint64_t v) { Le(v, 8); }
  void Raw(std::string_view s) { out_ += s; }
  std::size_t size() const { return out_.size(); }
  std::string& str() { return out_; }

 private:
  void Le(std::uint64_t v, int n) {
    for (int i = 0; i < n; ++i) out_ += static_cast<char>((v >> (8 * i)) & 0xFF);
  }
  std::string out_;
};

inline std::uint64_t Clamp32(std::uint64_t v, bool zip64) { return zip64 ? 0xFFFFFFFF : v; }

inline std::string Zip64Extra(const Spec& s, std::uint64_t offset) {
  Bytes extra;
  extra.U16(1);
  extra.U16(24);
  extra.U64(s.uncompressed_size);
  extra.U64(s.compressed_size);
  extra.U64(offset);
  return extra.str();
}

inline std::string BuildZip(const std::vector<Spec>& specs, const Layout& layout = {}) {
  Bytes z;
  z.Raw(layout.prefix);
  std::vector<std::uint64_t> offsets;
  for (const Spec& s : specs) {
    offsets.push_back(z.size() - layout.prefix.size());
    const std::string& local_name = s.local_name ? *s.local_name : s.name;
    z.U32(0x04034b50);
    z.U16(20);
    z.U16(s.flags);
    z.U16(s.method);
    z.U32(0);  // time, date
    const bool descriptor = s.descriptor_crc.has_value();
    z.U32(descriptor ? 0 : s.crc);
    z.U32(descriptor ? 0 : Clamp32(s.compressed_size, s.zip64));
    z.U32(descriptor ? 0 : Clamp32(s.uncompressed_size, s.zip64));
    z.U16(local_name.size());
    z.U16(0);
    z.Raw(local_name);
    z.Raw(s.data);
    if (descriptor) {
      if (s.descriptor_signature) z.U32(0x08074b50);
      z.U32(*s.descriptor_crc);
      z.U32(s.compressed_size);
      z.U32(s.uncompressed_size);
    }
  }
  const std::uint64_t dir_offset = z.size() - layout.prefix.size();
  for (std::size_t i = 0; i < specs.size(); ++i) {
    const Spec& s = specs[i];
    const std::string extra = s.zip64 ? Zip64Extra(s, offsets[i]) : "";
    z.U32(0x02014b50);
    z.U16(s.version_made_by);
    z.U16(s.zip64 ? 45 : 20);
    z.U16(s.flags);
    z.U16(s.method);
    z.U32(0);
    z.U32(s.crc);
    z.U32(Clamp32(s.compressed_size, s.zip64));
    z.U32(Clamp32(s.uncompressed_size, s.zip64));
    z.U16(s.name.size());
    z.U16(extra.size());
    z.U16(0);  // comment
    z.U16(0);  // disk
    z.U16(0);  // internal attributes
    z.U32(s.external_attributes);
    z.U32(Clamp32(offsets[i], s.zip64));
    z.Raw(s.name);
    z.Raw(extra);
  }
  const std::uint64_t dir_size = z.size() - layout.prefix.size() - dir_offset;
  const std::uint64_t count = layout.declared_count.value_or(specs.size());
  const std::uint64_t offset = layout.declared_offset.value_or(dir_offset);
  if (layout.zip64_end) {
    const std::uint64_t end64 = z.size() - layout.prefix.size();
    z.U32(0x06064b50);
    z.U64(44);
    z.U16(45);
    z.U16(45);
    z.U32(layout.disk);
    z.U32(layout.disk);
    z.U64(count);
    z.U64(count);
    z.U64(dir_size);
    z.U64(offset);
    z.U32(0x07064b50);
    z.U32(0);
    z.U64(end64 + layout.prefix.size());
    z.U32(1);
  }
  z.U32(0x06054b50);
  z.U16(layout.zip64_end ? 0xFFFF : layout.disk);
  z.U16(layout.zip64_end ? 0xFFFF : layout.disk);
  z.U16(layout.zip64_end ? 0xFFFF : count & 0xFFFF);
  z.U16(layout.zip64_end ? 0xFFFF : count & 0xFFFF);
  z.U32(layout.zip64_end ? 0xFFFFFFFF : dir_size);
  z.U32(layout.zip64_end ? 0xFFFFFFFF : offset);
  z.U16(layout.comment.size());
  z.Raw(layout.comment);
  return z.str();
}

}  // namespace modproxy::protocol::testing_zip
