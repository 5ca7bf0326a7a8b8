#include "modproxy/zipbuild/zip_writer.h"

#include <zlib.h>

#include <algorithm>
#include <limits>

#include "modproxy/protocol/text.h"

namespace modproxy::zipbuild::detail {
namespace {

constexpr std::uint32_t kLocalHeaderSignature = 0x04034b50;
constexpr std::uint32_t kCentralHeaderSignature = 0x02014b50;
constexpr std::uint32_t kDataDescriptorSignature = 0x08074b50;
constexpr std::uint32_t kEndSignature = 0x06054b50;
constexpr std::uint32_t kZip64EndSignature = 0x06064b50;
constexpr std::uint32_t kZip64LocatorSignature = 0x07064b50;
constexpr std::uint16_t kZip64ExtraTag = 0x0001;
constexpr std::uint16_t kVersion20 = 20;  // deflate
constexpr std::uint16_t kVersion45 = 45;  // zip64
constexpr std::uint16_t kMethodDeflate = 8;
constexpr std::uint16_t kFlagDataDescriptor = 0x0008;
constexpr std::uint16_t kFlagUtf8 = 0x0800;
constexpr std::uint32_t kMax32 = std::numeric_limits<std::uint32_t>::max();
constexpr std::uint16_t kMax16 = std::numeric_limits<std::uint16_t>::max();
constexpr std::size_t kChunk = std::size_t{64} * 1024;

void Put16(std::string& out, std::uint16_t v) {
  out += static_cast<char>(v & 0xFF);
  out += static_cast<char>(v >> 8);
}

void Put32(std::string& out, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) out += static_cast<char>((v >> (8 * i)) & 0xFF);
}

void Put64(std::string& out, std::uint64_t v) {
  for (int i = 0; i < 8; ++i) out += static_cast<char>((v >> (8 * i)) & 0xFF);
}

std::uint32_t Low32(std::uint64_t v) {
  return static_cast<std::uint32_t>(std::min<std::uint64_t>(v, kMax32));
}

// archive/zip sets the UTF-8 flag when the name is valid UTF-8 and holds a
// byte that CP-437 readers might show differently: anything outside
// 0x20-0x7D, and the backslash.
bool NeedsUtf8Flag(std::string_view name) {
  const bool needs = std::any_of(name.begin(), name.end(), [](char c) {
    const auto b = static_cast<unsigned char>(c);
    return b < 0x20 || b > 0x7D || b == '\\';
  });
  return needs && protocol::detail::IsValidUtf8(name);
}

bool IsZip64(std::uint64_t compressed, std::uint64_t uncompressed) {
  return compressed >= kMax32 || uncompressed >= kMax32;
}

}  // namespace

Result<void> ZipWriter::Emit(std::string_view bytes) {
  if (bytes.empty()) return {};
  if (Result<void> ok = sink_(bytes); !ok) return ok;
  offset_ += bytes.size();
  return {};
}

Result<void> ZipWriter::AddFile(std::string_view name, std::string_view content) {
  if (name.size() > kMax16) {
    return MakeError(ErrorCode::kInvalidArgument, "zip: FileHeader.Name too long");
  }
  Entry entry;
  entry.name = std::string(name);
  entry.offset = offset_;
  entry.flags = kFlagDataDescriptor | (NeedsUtf8Flag(name) ? kFlagUtf8 : 0);
  std::string header;
  Put32(header, kLocalHeaderSignature);
  Put16(header, kVersion20);
  Put16(header, entry.flags);
  Put16(header, kMethodDeflate);
  Put16(header, 0);  // time
  Put16(header, 0);  // date
  Put32(header, 0);  // CRC-32 and sizes follow the data (data descriptor)
  Put32(header, 0);
  Put32(header, 0);
  Put16(header, static_cast<std::uint16_t>(name.size()));
  Put16(header, 0);  // extra
  header += name;
  if (Result<void> ok = Emit(header); !ok) return ok;
  if (Result<void> ok = Deflate(content, entry); !ok) return ok;
  std::string descriptor;
  Put32(descriptor, kDataDescriptorSignature);
  Put32(descriptor, entry.crc32);
  if (IsZip64(entry.compressed_size, entry.uncompressed_size)) {
    Put64(descriptor, entry.compressed_size);
    Put64(descriptor, entry.uncompressed_size);
  } else {
    Put32(descriptor, static_cast<std::uint32_t>(entry.compressed_size));
    Put32(descriptor, static_cast<std::uint32_t>(entry.uncompressed_size));
  }
  if (Result<void> ok = Emit(descriptor); !ok) return ok;
  entries_.push_back(std::move(entry));
  return {};
}

ZipWriter::ZipWriter(const Sink& sink) : sink_(sink), out_(kChunk, '\0') {}

ZipWriter::~ZipWriter() {
  if (deflate_ != nullptr) {
    auto* z = static_cast<z_stream*>(deflate_);
    deflateEnd(z);
    delete z;
  }
}

Result<void> ZipWriter::Deflate(std::string_view content, Entry& entry) {
  if (deflate_ == nullptr) {
    auto* z = new z_stream{};
    // Raw deflate (negative window bits): zip entries carry no zlib header.
    // Level 5 is archive/zip's.
    if (deflateInit2(z, 5, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
      delete z;
      return MakeError(ErrorCode::kInternal, "zlib: deflateInit2 failed");
    }
    deflate_ = z;
  } else if (deflateReset(static_cast<z_stream*>(deflate_)) != Z_OK) {
    return MakeError(ErrorCode::kInternal, "zlib: deflateReset failed");
  }
  z_stream& z = *static_cast<z_stream*>(deflate_);
  uLong crc = crc32(0L, Z_NULL, 0);
  std::string_view rest = content;
  int flush = Z_NO_FLUSH;
  while (flush != Z_FINISH) {
    // zlib counts in uInt: feed at most one chunk of input at a time.
    const std::string_view piece = rest.substr(0, kChunk);
    rest.remove_prefix(piece.size());
    crc = crc32(crc, reinterpret_cast<const Bytef*>(piece.data()), static_cast<uInt>(piece.size()));
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(piece.data()));
    z.avail_in = static_cast<uInt>(piece.size());
    flush = rest.empty() ? Z_FINISH : Z_NO_FLUSH;
    int status = Z_OK;
    do {
      z.next_out = reinterpret_cast<Bytef*>(out_.data());
      z.avail_out = static_cast<uInt>(out_.size());
      status = deflate(&z, flush);
      if (status == Z_STREAM_ERROR) return MakeError(ErrorCode::kInternal, "zlib: deflate failed");
      const std::size_t produced = out_.size() - z.avail_out;
      entry.compressed_size += produced;
      if (Result<void> ok = Emit(std::string_view(out_.data(), produced)); !ok) return ok;
    } while (z.avail_out == 0 && status != Z_STREAM_END);
  }
  entry.crc32 = static_cast<std::uint32_t>(crc);
  entry.uncompressed_size = content.size();
  return {};
}

std::string ZipWriter::CentralRecord(const Entry& entry) const {
  const bool zip64 =
      IsZip64(entry.compressed_size, entry.uncompressed_size) || entry.offset >= kMax32;
  std::string extra;
  if (zip64) {
    // Go writes all three values whenever one of them needs zip64.
    Put16(extra, kZip64ExtraTag);
    Put16(extra, 24);
    Put64(extra, entry.uncompressed_size);
    Put64(extra, entry.compressed_size);
    Put64(extra, entry.offset);
  }
  std::string record;
  Put32(record, kCentralHeaderSignature);
  Put16(record, kVersion20);  // made by: MS-DOS/FAT attributes (none set), version 2.0
  Put16(record, zip64 ? kVersion45 : kVersion20);
  Put16(record, entry.flags);
  Put16(record, kMethodDeflate);
  Put16(record, 0);  // time
  Put16(record, 0);  // date
  Put32(record, entry.crc32);
  Put32(record, zip64 ? kMax32 : Low32(entry.compressed_size));
  Put32(record, zip64 ? kMax32 : Low32(entry.uncompressed_size));
  Put16(record, static_cast<std::uint16_t>(entry.name.size()));
  Put16(record, static_cast<std::uint16_t>(extra.size()));
  Put16(record, 0);  // comment
  Put16(record, 0);  // disk
  Put16(record, 0);  // internal attributes
  Put32(record, 0);  // external attributes
  Put32(record, zip64 ? kMax32 : Low32(entry.offset));
  record += entry.name;
  record += extra;
  return record;
}

Result<void> ZipWriter::Finish() {
  const std::uint64_t directory_offset = offset_;
  std::string buffer;
  for (const Entry& entry : entries_) {
    buffer += CentralRecord(entry);
    if (buffer.size() >= kChunk) {
      if (Result<void> ok = Emit(buffer); !ok) return ok;
      buffer.clear();
    }
  }
  if (Result<void> ok = Emit(buffer); !ok) return ok;
  const std::uint64_t directory_size = offset_ - directory_offset;
  const std::uint64_t records = entries_.size();
  std::string end;
  const bool zip64 = records >= kMax16 || directory_size >= kMax32 || directory_offset >= kMax32;
  if (zip64) {
    const std::uint64_t zip64_end_offset = offset_;
    Put32(end, kZip64EndSignature);
    Put64(end, 44);  // size of the rest of this record
    Put16(end, kVersion45);
    Put16(end, kVersion45);
    Put32(end, 0);  // this disk
    Put32(end, 0);  // disk with the directory
    Put64(end, records);
    Put64(end, records);
    Put64(end, directory_size);
    Put64(end, directory_offset);
    Put32(end, kZip64LocatorSignature);
    Put32(end, 0);
    Put64(end, zip64_end_offset);
    Put32(end, 1);  // total disks
  }
  // With zip64 records, Go saturates all three classic fields.
  Put32(end, kEndSignature);
  Put16(end, 0);
  Put16(end, 0);
  Put16(end, zip64 ? kMax16 : static_cast<std::uint16_t>(records));
  Put16(end, zip64 ? kMax16 : static_cast<std::uint16_t>(records));
  Put32(end, zip64 ? kMax32 : static_cast<std::uint32_t>(directory_size));
  Put32(end, zip64 ? kMax32 : static_cast<std::uint32_t>(directory_offset));
  Put16(end, 0);  // comment
  return Emit(end);
}

}  // namespace modproxy::zipbuild::detail
