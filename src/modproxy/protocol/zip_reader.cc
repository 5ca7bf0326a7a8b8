#include "modproxy/protocol/zip_reader.h"

#include <zlib.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <limits>
#include <memory>
#include <string>

#include "modproxy/protocol/text.h"

namespace modproxy::protocol {
namespace {

using detail::Quote;

constexpr std::uint32_t kLocalHeaderSignature = 0x04034b50;
constexpr std::uint32_t kCentralHeaderSignature = 0x02014b50;
constexpr std::uint32_t kEndSignature = 0x06054b50;
constexpr std::uint32_t kZip64LocatorSignature = 0x07064b50;
constexpr std::uint32_t kZip64EndSignature = 0x06064b50;
constexpr std::uint32_t kDataDescriptorSignature = 0x08074b50;
constexpr std::size_t kLocalHeaderLen = 30;
constexpr std::size_t kCentralHeaderLen = 46;
constexpr std::size_t kEndLen = 22;
constexpr std::size_t kZip64LocatorLen = 20;
constexpr std::size_t kZip64EndLen = 56;
constexpr std::uint16_t kZip64ExtraId = 0x0001;
constexpr std::uint16_t kFlagEncrypted = 0x0001;
constexpr std::uint16_t kFlagDataDescriptor = 0x0008;
constexpr std::uint32_t kMax32 = 0xFFFFFFFF;

Error Malformed(std::string reason) {
  return MakeError(ErrorCode::kInvalidArgument, "malformed zip: " + std::move(reason));
}

Error BadEntry(const ZipEntry& entry, const std::string& reason) {
  return MakeError(ErrorCode::kInvalidArgument, "zip entry " + Quote(entry.name) + ": " + reason);
}

std::uint64_t Le(const char* p, int bytes) {
  std::uint64_t v = 0;
  for (int i = bytes - 1; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}
std::uint16_t Le16(const char* p) { return static_cast<std::uint16_t>(Le(p, 2)); }
std::uint32_t Le32(const char* p) { return static_cast<std::uint32_t>(Le(p, 4)); }
std::uint64_t Le64(const char* p) { return Le(p, 8); }

// True when [offset, offset + n) lies inside the source.
bool Fits(const ZipSource& source, std::uint64_t offset, std::uint64_t n) {
  return offset <= source.size() && n <= source.size() - offset;
}

// What the end records say about the central directory.
struct DirectoryEnd {
  std::uint64_t records = 0;
  std::uint64_t start = 0;     // absolute offset of the first central header
  std::uint64_t fallback = 0;  // where to look when `start` (with a prefix) is wrong
  bool zip64 = false;
};

// The offset of the last end-of-central-directory signature whose comment
// fits in the file, as Go's archive/zip finds it; npos when there is none.
Result<std::uint64_t> FindEndRecord(ZipSource& source) {
  const std::uint64_t size = source.size();
  if (size < kEndLen) return Malformed("no end of central directory record (not a zip file)");
  const std::size_t tail =
      static_cast<std::size_t>(std::min<std::uint64_t>(size, kEndLen + 0xFFFF));
  std::string buf(tail, '\0');
  if (Result<void> read = source.ReadAt(size - tail, buf.data(), tail); !read) return read.error();
  for (std::size_t i = tail - kEndLen + 1; i-- > 0;) {
    if (Le32(&buf[i]) != kEndSignature) continue;
    const std::size_t comment = Le16(&buf[i + kEndLen - 2]);
    if (i + kEndLen + comment <= tail) return size - tail + i;
  }
  return Malformed("no end of central directory record (not a zip file)");
}

// Replaces the 32-bit end record's values with the zip64 end record's when
// a locator precedes the end record. `end_offset` moves to the zip64 record.
Result<void> ReadZip64End(ZipSource& source, std::uint64_t& end_offset, std::uint64_t values[6]) {
  if (end_offset < kZip64LocatorLen) return {};
  char locator[kZip64LocatorLen];
  const std::uint64_t locator_offset = end_offset - kZip64LocatorLen;
  if (Result<void> r = source.ReadAt(locator_offset, locator, sizeof locator); !r) return r;
  if (Le32(locator) != kZip64LocatorSignature) return {};
  if (Le32(locator + 4) != 0 || Le32(locator + 16) != 1) return Malformed("multi-disk zip");
  const std::uint64_t offset = Le64(locator + 8);
  if (!Fits(source, offset, kZip64EndLen) || offset + kZip64EndLen > locator_offset) {
    return Malformed("zip64 end of central directory record past the end of the file");
  }
  char record[kZip64EndLen];
  if (Result<void> r = source.ReadAt(offset, record, sizeof record); !r) return r;
  if (Le32(record) != kZip64EndSignature) {
    return Malformed("zip64 locator does not point at a zip64 end of central directory record");
  }
  values[0] = Le32(record + 16);  // this disk
  values[1] = Le32(record + 20);  // disk where the directory starts
  values[2] = Le64(record + 24);  // entries on this disk
  values[3] = Le64(record + 32);  // entries in total
  values[4] = Le64(record + 40);  // directory size
  values[5] = Le64(record + 48);  // directory offset
  end_offset = offset;
  return {};
}

Result<DirectoryEnd> ReadDirectoryEnd(ZipSource& source) {
  Result<std::uint64_t> found = FindEndRecord(source);
  if (!found) return found.error();
  std::uint64_t end_offset = *found;
  char record[kEndLen];
  if (Result<void> r = source.ReadAt(end_offset, record, sizeof record); !r) return r.error();
  std::uint64_t values[6] = {Le16(record + 4),  Le16(record + 6),  Le16(record + 8),
                             Le16(record + 10), Le32(record + 12), Le32(record + 16)};
  DirectoryEnd end;
  if (values[3] == 0xFFFF || values[4] == kMax32 || values[5] == kMax32) {
    const std::uint64_t before = end_offset;
    if (Result<void> r = ReadZip64End(source, end_offset, values); !r) return r.error();
    end.zip64 = end_offset != before;
  }
  if (values[0] != 0 || values[1] != 0) return Malformed("multi-disk zip");
  if (values[2] != values[3]) {
    return Malformed("end record counts disagree (" + std::to_string(values[2]) + " entries on " +
                     "this disk, " + std::to_string(values[3]) + " in total)");
  }
  end.records = values[3];
  if (end.records > kMaxZipEntries) {
    return Malformed("central directory declares " + std::to_string(end.records) +
                     " entries (limit " + std::to_string(kMaxZipEntries) + ")");
  }
  const std::uint64_t dir_size = values[4];
  const std::uint64_t dir_offset = values[5];
  // Bytes before the archive (a self-extracting stub) shift every offset;
  // Go's reader measures the shift from where the end record really is.
  if (dir_size > end_offset || dir_offset > end_offset - dir_size) {
    return Malformed("central directory (offset " + std::to_string(dir_offset) + ", size " +
                     std::to_string(dir_size) + ") runs past its end record");
  }
  end.start = end_offset - dir_size;
  end.fallback = dir_offset;
  return end;
}

// Sequential reads through a window of the source, for the directory.
class Cursor {
 public:
  Cursor(ZipSource& source, std::uint64_t pos) : source_(source), pos_(pos) {}

  // The next n bytes, or an empty optional-like false when the source ends first.
  Result<bool> Next(std::size_t n, std::string_view& out) {
    if (!Fits(source_, pos_, n)) return false;
    if (pos_ < window_start_ || pos_ + n > window_start_ + window_.size()) {
      const std::uint64_t want = std::max<std::uint64_t>(n, kZipChunkBytes);
      const std::size_t len = static_cast<std::size_t>(std::min(want, source_.size() - pos_));
      window_.resize(len);
      if (Result<void> r = source_.ReadAt(pos_, window_.data(), len); !r) return r.error();
      window_start_ = pos_;
    }
    out = std::string_view(window_).substr(static_cast<std::size_t>(pos_ - window_start_), n);
    pos_ += n;
    return true;
  }

 private:
  ZipSource& source_;
  std::uint64_t pos_;
  std::string window_;
  std::uint64_t window_start_ = 0;
};

// Applies the zip64 extra field: values appear only for the header fields
// that hold 0xFFFFFFFF, in the order uncompressed, compressed, offset.
Result<void> ApplyZip64Extra(std::string_view extra, ZipEntry& entry, std::uint64_t& offset) {
  bool need_usize = entry.uncompressed_size == kMax32;
  bool need_csize = entry.compressed_size == kMax32;
  bool need_offset = offset == kMax32;
  while (extra.size() >= 4) {
    const std::uint16_t id = Le16(extra.data());
    const std::size_t len = Le16(extra.data() + 2);
    extra.remove_prefix(4);
    if (len > extra.size()) break;
    std::string_view field = extra.substr(0, len);
    extra.remove_prefix(len);
    if (id != kZip64ExtraId) continue;
    for (auto [need, value] :
         {std::pair{&need_usize, &entry.uncompressed_size},
          std::pair{&need_csize, &entry.compressed_size}, std::pair{&need_offset, &offset}}) {
      if (!*need) continue;
      if (field.size() < 8) return BadEntry(entry, "zip64 extra field too short");
      *value = Le64(field.data());
      field.remove_prefix(8);
      *need = false;
    }
  }
  // Go accepts an uncompressed size of exactly 0xFFFFFFFF without zip64
  // (old 32-bit archives split inputs that way); not the other two.
  if (need_csize || need_offset) return BadEntry(entry, "zip64 extra field missing");
  return {};
}

// Parses one central header at the cursor; false when there is none there.
Result<bool> ReadCentralHeader(ZipSource& source, Cursor& cursor, std::uint64_t base,
                               ZipEntry& entry) {
  std::string_view fixed;
  Result<bool> got = cursor.Next(kCentralHeaderLen, fixed);
  if (!got || !*got) return got;
  if (Le32(fixed.data()) != kCentralHeaderSignature) return false;
  const char* h = fixed.data();
  entry.creator_system = static_cast<std::uint8_t>(Le16(h + 4) >> 8);
  entry.flags = Le16(h + 8);
  entry.method = Le16(h + 10);
  entry.crc32 = Le32(h + 16);
  entry.compressed_size = Le32(h + 20);
  entry.uncompressed_size = Le32(h + 24);
  const std::size_t name_len = Le16(h + 28);
  const std::size_t extra_len = Le16(h + 30);
  const std::size_t comment_len = Le16(h + 32);
  entry.external_attributes = Le32(h + 38);
  std::uint64_t offset = Le32(h + 42);
  std::string_view variable;
  got = cursor.Next(name_len + extra_len + comment_len, variable);
  if (!got || !*got) return got;
  entry.name.assign(variable.substr(0, name_len));
  if (Result<void> r = ApplyZip64Extra(variable.substr(name_len, extra_len), entry, offset); !r) {
    return r.error();
  }
  if (offset > std::numeric_limits<std::uint64_t>::max() - base ||
      !Fits(source, base + offset, kLocalHeaderLen) ||
      !Fits(source, base + offset + kLocalHeaderLen, entry.compressed_size)) {
    return BadEntry(entry, "local header or data past the end of the file");
  }
  entry.local_header_offset = base + offset;
  return true;
}

Result<std::vector<ZipEntry>> ReadEntriesAt(ZipSource& source, const DirectoryEnd& end,
                                            std::uint64_t start) {
  std::vector<ZipEntry> entries;
  // Each record takes at least 46 bytes, so the count cannot exceed what the
  // source could hold: reserving never trusts a huge declared count.
  entries.reserve(
      static_cast<std::size_t>(std::min(end.records, (source.size() - start) / kCentralHeaderLen)));
  Cursor cursor(source, start);
  const std::uint64_t base = start - end.fallback;
  while (true) {
    ZipEntry entry;
    Result<bool> got = ReadCentralHeader(source, cursor, base, entry);
    if (!got) return got.error();
    if (!*got) break;
    if (entries.size() == kMaxZipEntries) {
      return Malformed("central directory holds more than " + std::to_string(kMaxZipEntries) +
                       " entries");
    }
    entries.push_back(std::move(entry));
  }
  // A 16-bit count wraps in zips with 65536 entries or more and no zip64
  // records; Go compares only the low 16 bits there, and so do we.
  const bool counts_match =
      end.zip64 ? entries.size() == end.records : (entries.size() & 0xFFFF) == end.records;
  if (!counts_match) {
    return Malformed("central directory holds " + std::to_string(entries.size()) +
                     " entries, its end record declares " + std::to_string(end.records) +
                     " (truncated or corrupt directory)");
  }
  return entries;
}

// zlib's inflate state, freed on every path.
struct Inflater {
  z_stream stream{};
  bool ready = false;
  ~Inflater() {
    if (ready) inflateEnd(&stream);
  }
};

// Passes decompressed bytes on, checking the declared size before the sink
// sees them and keeping the running CRC-32.
class Emitter {
 public:
  Emitter(const ZipEntry& entry, const std::function<Result<void>(std::string_view)>& sink)
      : entry_(entry), sink_(sink), crc_(crc32(0, nullptr, 0)) {}

  Result<void> Emit(std::string_view chunk) {
    if (chunk.size() > entry_.uncompressed_size - total_) {
      return BadEntry(entry_, "more data than the declared size of " +
                                  std::to_string(entry_.uncompressed_size) + " bytes");
    }
    total_ += chunk.size();
    crc_ =
        crc32(crc_, reinterpret_cast<const Bytef*>(chunk.data()), static_cast<uInt>(chunk.size()));
    return sink_(chunk);
  }
  std::uint64_t total() const { return total_; }
  std::uint32_t crc() const { return static_cast<std::uint32_t>(crc_); }

 private:
  const ZipEntry& entry_;
  const std::function<Result<void>(std::string_view)>& sink_;
  uLong crc_;
  std::uint64_t total_ = 0;
};

Result<void> CopyStored(ZipSource& source, std::uint64_t offset, const ZipEntry& entry,
                        Emitter& emitter) {
  std::string buf(
      static_cast<std::size_t>(std::min<std::uint64_t>(entry.compressed_size, kZipChunkBytes)),
      '\0');
  for (std::uint64_t done = 0; done < entry.compressed_size;) {
    const auto n = static_cast<std::size_t>(
        std::min<std::uint64_t>(entry.compressed_size - done, kZipChunkBytes));
    if (Result<void> r = source.ReadAt(offset + done, buf.data(), n); !r) return r;
    if (Result<void> r = emitter.Emit(std::string_view(buf.data(), n)); !r) return r;
    done += n;
  }
  return {};
}

Result<void> Inflate(ZipSource& source, std::uint64_t offset, const ZipEntry& entry,
                     Emitter& emitter) {
  Inflater inflater;
  if (inflateInit2(&inflater.stream, -MAX_WBITS) != Z_OK) {
    return MakeError(ErrorCode::kInternal, "zlib inflateInit2 failed");
  }
  inflater.ready = true;
  z_stream& z = inflater.stream;
  auto in = std::make_unique<char[]>(kZipChunkBytes);
  auto out = std::make_unique<char[]>(kZipChunkBytes);
  std::uint64_t read = 0;
  while (true) {
    if (z.avail_in == 0 && read < entry.compressed_size) {
      const auto n = static_cast<std::size_t>(
          std::min<std::uint64_t>(entry.compressed_size - read, kZipChunkBytes));
      if (Result<void> r = source.ReadAt(offset + read, in.get(), n); !r) return r;
      read += n;
      z.next_in = reinterpret_cast<Bytef*>(in.get());
      z.avail_in = static_cast<uInt>(n);
    }
    z.next_out = reinterpret_cast<Bytef*>(out.get());
    z.avail_out = static_cast<uInt>(kZipChunkBytes);
    const int ret = inflate(&z, Z_NO_FLUSH);
    const std::size_t produced = kZipChunkBytes - z.avail_out;
    if (produced > 0) {
      if (Result<void> r = emitter.Emit(std::string_view(out.get(), produced)); !r) return r;
    }
    if (ret == Z_STREAM_END) return {};
    if (ret == Z_BUF_ERROR && z.avail_in == 0 && read == entry.compressed_size) {
      return BadEntry(entry, "deflate data ends early");
    }
    if (ret == Z_DATA_ERROR) return BadEntry(entry, "invalid deflate data");
    if (ret == Z_MEM_ERROR) return MakeError(ErrorCode::kInternal, "zlib out of memory");
    if (ret != Z_OK && ret != Z_BUF_ERROR) return BadEntry(entry, "invalid deflate data");
  }
}

// Go reads the optional descriptor signature, then a CRC that must equal the
// directory's; the sizes after it are ignored (writers disagree on 32/64 bits).
Result<void> CheckDataDescriptor(ZipSource& source, std::uint64_t offset, const ZipEntry& entry) {
  char word[4];
  if (!Fits(source, offset, 4)) return BadEntry(entry, "data descriptor past the end of the file");
  if (Result<void> r = source.ReadAt(offset, word, 4); !r) return r;
  if (Le32(word) == kDataDescriptorSignature) {
    offset += 4;
    if (!Fits(source, offset, 4))
      return BadEntry(entry, "data descriptor past the end of the file");
    if (Result<void> r = source.ReadAt(offset, word, 4); !r) return r;
  }
  if (Le32(word) != entry.crc32) {
    return BadEntry(entry, "data descriptor CRC-32 differs from the central directory's");
  }
  return {};
}

// Reads and checks the local header; returns where the entry's data starts.
Result<std::uint64_t> DataOffset(ZipSource& source, const ZipEntry& entry) {
  if (!Fits(source, entry.local_header_offset, kLocalHeaderLen)) {
    return BadEntry(entry, "local header past the end of the file");
  }
  char header[kLocalHeaderLen];
  if (Result<void> r = source.ReadAt(entry.local_header_offset, header, sizeof header); !r) {
    return r.error();
  }
  if (Le32(header) != kLocalHeaderSignature) return BadEntry(entry, "no local header signature");
  const std::size_t name_len = Le16(header + 26);
  const std::size_t extra_len = Le16(header + 28);
  const std::uint64_t name_offset = entry.local_header_offset + kLocalHeaderLen;
  if (!Fits(source, name_offset, name_len + extra_len)) {
    return BadEntry(entry, "local header past the end of the file");
  }
  std::string name(name_len, '\0');
  if (Result<void> r = source.ReadAt(name_offset, name.data(), name_len); !r) return r.error();
  if (name != entry.name) {
    return BadEntry(entry, "local header names it " + Quote(name));
  }
  const std::uint64_t data = name_offset + name_len + extra_len;
  if (!Fits(source, data, entry.compressed_size)) {
    return BadEntry(entry, "data past the end of the file");
  }
  return data;
}

}  // namespace

Result<void> StringZipSource::ReadAt(std::uint64_t offset, char* out, std::size_t n) {
  if (offset > bytes_.size() || n > bytes_.size() - offset) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "read past the end of the zip (" + std::to_string(n) + " bytes at offset " +
                         std::to_string(offset) + ", size " + std::to_string(bytes_.size()) + ")");
  }
  if (n > 0) std::memcpy(out, bytes_.data() + offset, n);
  return {};
}

bool ZipEntry::IsDirectory() const { return !name.empty() && name.back() == '/'; }

bool ZipEntry::IsSymlink() const {
  constexpr std::uint8_t kCreatorUnix = 3;
  constexpr std::uint32_t kTypeMask = 0xF000;
  constexpr std::uint32_t kSymlink = 0xA000;
  return creator_system == kCreatorUnix && ((external_attributes >> 16) & kTypeMask) == kSymlink;
}

Result<std::vector<ZipEntry>> ReadZipDirectory(ZipSource& source) {
  Result<DirectoryEnd> end = ReadDirectoryEnd(source);
  if (!end) return end.error();
  // With a prefix before the archive Go first trusts the measured shift,
  // then falls back to the recorded offset when no header is found there.
  if (end->start != end->fallback) {
    char sig[4];
    if (Fits(source, end->start, 4)) {
      if (Result<void> r = source.ReadAt(end->start, sig, 4); !r) return r.error();
    }
    const bool header_there = Fits(source, end->start, 4) && Le32(sig) == kCentralHeaderSignature;
    if (!header_there && end->records != 0) {
      DirectoryEnd unshifted = *end;
      unshifted.start = end->fallback;
      return ReadEntriesAt(source, unshifted, unshifted.start);
    }
  }
  return ReadEntriesAt(source, *end, end->start);
}

Result<void> ReadZipEntry(ZipSource& source, const ZipEntry& entry,
                          const std::function<Result<void>(std::string_view)>& sink) {
  if ((entry.flags & kFlagEncrypted) != 0) return BadEntry(entry, "encrypted");
  if (entry.method != 0 && entry.method != 8) {
    return BadEntry(entry, "unsupported compression method " + std::to_string(entry.method));
  }
  Result<std::uint64_t> data = DataOffset(source, entry);
  if (!data) return data.error();
  Emitter emitter(entry, sink);
  Result<void> copied = entry.method == 0 ? CopyStored(source, *data, entry, emitter)
                                          : Inflate(source, *data, entry, emitter);
  if (!copied) return copied;
  if (emitter.total() != entry.uncompressed_size) {
    return BadEntry(entry, "only " + std::to_string(emitter.total()) + " of the declared " +
                               std::to_string(entry.uncompressed_size) + " bytes");
  }
  if ((entry.flags & kFlagDataDescriptor) != 0) {
    if (Result<void> r = CheckDataDescriptor(source, *data + entry.compressed_size, entry); !r) {
      return r;
    }
  } else if (entry.crc32 == 0) {
    // Go treats a zero CRC without a data descriptor as "not recorded".
    return {};
  }
  if (emitter.crc() != entry.crc32) return BadEntry(entry, "CRC-32 mismatch");
  return {};
}

}  // namespace modproxy::protocol
