#include "modproxy/protocol/zip_reader.h"

#include <zlib.h>

#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "modproxy/protocol/zip_test_builder.h"
#include "modproxy/testkit/make_zip.h"

namespace modproxy::protocol {
namespace {

using testing_zip::BuildZip;
using testing_zip::Deflated;
using testing_zip::Layout;
using testing_zip::Spec;
using testing_zip::Stored;
using testing_zip::WithDescriptor;

// Reads every entry of `zip` into name -> content, or the first error.
Result<std::map<std::string, std::string>> ReadAll(std::string_view zip) {
  StringZipSource source(zip);
  Result<std::vector<ZipEntry>> entries = ReadZipDirectory(source);
  if (!entries) return entries.error();
  std::map<std::string, std::string> files;
  for (const ZipEntry& entry : *entries) {
    std::string content;
    Result<void> read = ReadZipEntry(source, entry, [&](std::string_view chunk) -> Result<void> {
      content += chunk;
      return {};
    });
    if (!read) return read.error();
    files[entry.name] = content;
  }
  return files;
}

std::string ErrorOf(std::string_view zip) {
  Result<std::map<std::string, std::string>> files = ReadAll(zip);
  if (files) return "";
  EXPECT_EQ(files.error().code, ErrorCode::kInvalidArgument);
  return files.error().message;
}

std::string DirectoryErrorOf(std::string_view zip) {
  StringZipSource source(zip);
  Result<std::vector<ZipEntry>> entries = ReadZipDirectory(source);
  if (entries) return "";
  EXPECT_EQ(entries.error().code, ErrorCode::kInvalidArgument);
  return entries.error().message;
}

std::string Repeat(std::string_view s, int n) {
  std::string out;
  for (int i = 0; i < n; ++i) out += s;
  return out;
}

TEST(ZipReaderTest, ReadsZipsWrittenByLibzip) {
  const std::map<std::string, std::string> files = {
      {"m@v1.0.0/go.mod", "module m\n"},
      {"m@v1.0.0/empty.go", ""},
      {"m@v1.0.0/big.txt", Repeat("all work and no play\n", 20000)},
      {"m@v1.0.0/dir/ü.go", "package dir\n"},
  };
  const std::string zip = testkit::MakeZip(files);
  Result<std::map<std::string, std::string>> got = ReadAll(zip);
  ASSERT_TRUE(got) << got.error().message;
  EXPECT_EQ(*got, files);
}

TEST(ZipReaderTest, ParsesCentralDirectoryFields) {
  Spec link = Stored("m@v1.0.0/link", "target");
  link.external_attributes = 0xA1FF0000;  // lrwxrwxrwx
  const std::string zip =
      BuildZip({Deflated("m@v1.0.0/a.go", "package a\n"), link, Stored("m@v1.0.0/dir/", "")});
  StringZipSource source(zip);
  Result<std::vector<ZipEntry>> entries = ReadZipDirectory(source);
  ASSERT_TRUE(entries) << entries.error().message;
  ASSERT_EQ(entries->size(), 3u);
  const ZipEntry& a = (*entries)[0];
  EXPECT_EQ(a.name, "m@v1.0.0/a.go");
  EXPECT_EQ(a.method, 8);
  EXPECT_EQ(a.uncompressed_size, 10u);
  EXPECT_EQ(a.crc32, testing_zip::Crc32("package a\n"));
  EXPECT_EQ(a.local_header_offset, 0u);
  EXPECT_EQ(a.creator_system, 3);
  EXPECT_FALSE(a.IsSymlink());
  EXPECT_FALSE(a.IsDirectory());
  EXPECT_TRUE((*entries)[1].IsSymlink());
  EXPECT_TRUE((*entries)[2].IsDirectory());
}

TEST(ZipReaderTest, SymlinkNeedsUnixCreator) {
  Spec link = Stored("link", "target");
  link.external_attributes = 0xA1FF0000;
  link.version_made_by = 0x0014;  // MS-DOS
  const std::string zip = BuildZip({link});
  StringZipSource source(zip);
  Result<std::vector<ZipEntry>> entries = ReadZipDirectory(source);
  ASSERT_TRUE(entries);
  EXPECT_FALSE((*entries)[0].IsSymlink());
}

TEST(ZipReaderTest, ReadsHandBuiltStoredAndDeflatedEntries) {
  const std::string big = Repeat("0123456789abcdef", 50000);  // several 64 KiB chunks
  const std::string zip = BuildZip({Stored("s", "stored bytes"), Deflated("d", big),
                                    Stored("empty", ""), Stored("big-stored", big)});
  Result<std::map<std::string, std::string>> got = ReadAll(zip);
  ASSERT_TRUE(got) << got.error().message;
  EXPECT_EQ((*got)["s"], "stored bytes");
  EXPECT_EQ((*got)["d"], big);
  EXPECT_EQ((*got)["empty"], "");
  EXPECT_EQ((*got)["big-stored"], big);
}

TEST(ZipReaderTest, SinkGetsChunksOfAtMost64KiB) {
  const std::string big = Repeat("x", 300000);
  const std::string zip = BuildZip({Deflated("d", big), Stored("s", big)});
  StringZipSource source(zip);
  Result<std::vector<ZipEntry>> entries = ReadZipDirectory(source);
  ASSERT_TRUE(entries);
  for (const ZipEntry& entry : *entries) {
    std::size_t total = 0;
    Result<void> read = ReadZipEntry(source, entry, [&](std::string_view chunk) -> Result<void> {
      EXPECT_LE(chunk.size(), kZipChunkBytes);
      total += chunk.size();
      return {};
    });
    ASSERT_TRUE(read) << read.error().message;
    EXPECT_EQ(total, big.size());
  }
}

TEST(ZipReaderTest, ReadsDataDescriptorsWithAndWithoutSignature) {
  Spec plain = WithDescriptor(Deflated("a", "alpha\n"));
  Spec unsigned_descriptor = WithDescriptor(Stored("b", "beta\n"));
  unsigned_descriptor.descriptor_signature = false;
  Result<std::map<std::string, std::string>> got = ReadAll(BuildZip({plain, unsigned_descriptor}));
  ASSERT_TRUE(got) << got.error().message;
  EXPECT_EQ((*got)["a"], "alpha\n");
  EXPECT_EQ((*got)["b"], "beta\n");
}

TEST(ZipReaderTest, RefusesDataDescriptorWithOtherCrc) {
  Spec s = WithDescriptor(Deflated("a", "alpha\n"));
  s.descriptor_crc = 1234;
  EXPECT_NE(ErrorOf(BuildZip({s})).find("data descriptor CRC-32"), std::string::npos);
}

TEST(ZipReaderTest, RefusesMissingDataDescriptor) {
  // The descriptor flag is set but the archive ends right after the data
  // and the directory: the "descriptor" would be read from the directory.
  Spec s = Stored("a", "alpha\n");
  s.flags |= 0x0008;
  EXPECT_NE(ErrorOf(BuildZip({s})).find("data descriptor"), std::string::npos);
}

TEST(ZipReaderTest, ReadsZip64Records) {
  Spec a = Deflated("a", Repeat("zip64 ", 1000));
  a.zip64 = true;
  Spec b = Stored("b", "second");
  b.zip64 = true;
  Layout layout;
  layout.zip64_end = true;
  const std::string zip = BuildZip({a, b}, layout);
  StringZipSource source(zip);
  Result<std::vector<ZipEntry>> entries = ReadZipDirectory(source);
  ASSERT_TRUE(entries) << entries.error().message;
  ASSERT_EQ(entries->size(), 2u);
  EXPECT_EQ((*entries)[0].uncompressed_size, 6000u);
  EXPECT_EQ((*entries)[1].local_header_offset, 30u + 1 + a.data.size());
  Result<std::map<std::string, std::string>> got = ReadAll(zip);
  ASSERT_TRUE(got) << got.error().message;
  EXPECT_EQ((*got)["b"], "second");
}

TEST(ZipReaderTest, RefusesZip64SizesWithoutExtraField) {
  Spec a = Stored("a", "x");
  a.compressed_size = 0xFFFFFFFF;  // says "see zip64" but has no zip64 extra field
  std::string zip = BuildZip({a});
  EXPECT_NE(DirectoryErrorOf(zip).find("zip64 extra field missing"), std::string::npos);
}

TEST(ZipReaderTest, ToleratesBytesBeforeTheArchive) {
  Layout layout;
  layout.prefix = "#!/bin/sh\nexec unzip \"$0\"\n";
  Result<std::map<std::string, std::string>> got =
      ReadAll(BuildZip({Stored("a", "one"), Deflated("b", "two")}, layout));
  ASSERT_TRUE(got) << got.error().message;
  EXPECT_EQ((*got)["b"], "two");
}

TEST(ZipReaderTest, ToleratesACommentAfterTheEndRecord) {
  Layout layout;
  layout.comment = std::string(1000, 'c');
  Result<std::map<std::string, std::string>> got = ReadAll(BuildZip({Stored("a", "one")}, layout));
  ASSERT_TRUE(got) << got.error().message;
}

TEST(ZipReaderTest, ReadsEmptyArchive) {
  Result<std::map<std::string, std::string>> got = ReadAll(BuildZip({}));
  ASSERT_TRUE(got) << got.error().message;
  EXPECT_TRUE(got->empty());
}

TEST(ZipReaderTest, RefusesDataThatIsNotAZip) {
  EXPECT_NE(DirectoryErrorOf("").find("no end of central directory"), std::string::npos);
  EXPECT_NE(DirectoryErrorOf("hello, world").find("no end of central directory"),
            std::string::npos);
  EXPECT_NE(DirectoryErrorOf(std::string(100000, 'z')).find("no end of central directory"),
            std::string::npos);
}

TEST(ZipReaderTest, RefusesTruncatedZips) {
  const std::string zip = BuildZip({Stored("a", "one"), Stored("b", "two")});
  // Cut inside the directory, and cut just before the end record.
  for (std::size_t cut : {zip.size() - 30, zip.size() - 1, std::size_t{50}}) {
    EXPECT_NE(DirectoryErrorOf(zip.substr(0, cut)), "") << cut;
  }
}

TEST(ZipReaderTest, RefusesTruncatedDirectory) {
  // The end record claims three entries; only two headers are there.
  Layout layout;
  layout.declared_count = 3;
  EXPECT_NE(DirectoryErrorOf(BuildZip({Stored("a", "1"), Stored("b", "2")}, layout))
                .find("holds 2 entries, its end record declares 3"),
            std::string::npos);
}

TEST(ZipReaderTest, RefusesCountsThatDisagree) {
  std::string zip = BuildZip({Stored("a", "1")});
  zip[zip.size() - 22 + 8] = 2;  // entries on this disk: 2, total: 1
  EXPECT_NE(DirectoryErrorOf(zip).find("counts disagree"), std::string::npos);
}

TEST(ZipReaderTest, RefusesMultiDiskZips) {
  Layout layout;
  layout.disk = 1;
  EXPECT_NE(DirectoryErrorOf(BuildZip({Stored("a", "1")}, layout)).find("multi-disk"),
            std::string::npos);
}

TEST(ZipReaderTest, RefusesDirectoryOffsetPastTheEnd) {
  Layout layout;
  layout.declared_offset = 1u << 30;
  EXPECT_NE(DirectoryErrorOf(BuildZip({Stored("a", "1")}, layout)).find("runs past"),
            std::string::npos);
}

TEST(ZipReaderTest, RefusesEntryDataPastTheEnd) {
  Spec a = Stored("a", "1");
  a.compressed_size = 1u << 20;
  EXPECT_NE(DirectoryErrorOf(BuildZip({a})).find("past the end"), std::string::npos);
}

TEST(ZipReaderTest, RefusesMoreEntriesThanTheLimitBeforeAllocating) {
  Layout layout;
  layout.zip64_end = true;
  layout.declared_count = kMaxZipEntries + 1;
  EXPECT_NE(DirectoryErrorOf(BuildZip({Stored("a", "1")}, layout)).find("declares 1000001"),
            std::string::npos);
  layout.declared_count = std::uint64_t{1} << 62;
  EXPECT_NE(DirectoryErrorOf(BuildZip({Stored("a", "1")}, layout)).find("limit 1000000"),
            std::string::npos);
}

TEST(ZipReaderTest, CompareSixteenBitCountsModulo65536AsGoDoes) {
  Layout layout;
  layout.declared_count = 65536 + 1;  // written as 1 in the 16-bit field
  Result<std::map<std::string, std::string>> got = ReadAll(BuildZip({Stored("a", "1")}, layout));
  EXPECT_TRUE(got);
}

TEST(ZipReaderTest, RefusesLocalNameThatDisagrees) {
  Spec a = Stored("m@v1.0.0/a.go", "package a\n");
  a.local_name = "m@v1.0.0/../evil";
  EXPECT_NE(ErrorOf(BuildZip({a})).find("local header names it \"m@v1.0.0/../evil\""),
            std::string::npos);
}

TEST(ZipReaderTest, RefusesMissingLocalHeader) {
  std::string zip = BuildZip({Stored("a", "1")});
  zip[0] = 'X';
  EXPECT_NE(ErrorOf(zip).find("no local header signature"), std::string::npos);
}

TEST(ZipReaderTest, RefusesEncryptedEntries) {
  Spec a = Stored("a", "1");
  a.flags |= 1;
  EXPECT_EQ(ErrorOf(BuildZip({a})), "zip entry \"a\": encrypted");
}

TEST(ZipReaderTest, RefusesUnknownMethods) {
  Spec a = Stored("a", "1");
  a.method = 12;  // bzip2
  EXPECT_EQ(ErrorOf(BuildZip({a})), "zip entry \"a\": unsupported compression method 12");
}

TEST(ZipReaderTest, RefusesMoreBytesThanDeclared) {
  Spec stored = Stored("s", "twelve bytes");
  stored.uncompressed_size = 5;
  EXPECT_NE(ErrorOf(BuildZip({stored})).find("more data than the declared size of 5 bytes"),
            std::string::npos);
  Spec deflated = Deflated("d", "twelve bytes");
  deflated.uncompressed_size = 11;
  EXPECT_NE(ErrorOf(BuildZip({deflated})).find("more data than the declared size of 11"),
            std::string::npos);
}

TEST(ZipReaderTest, RefusesFewerBytesThanDeclared) {
  Spec stored = Stored("s", "twelve bytes");
  stored.uncompressed_size = 13;
  EXPECT_NE(ErrorOf(BuildZip({stored})).find("only 12 of the declared 13 bytes"),
            std::string::npos);
  Spec deflated = Deflated("d", "twelve bytes");
  deflated.uncompressed_size = 100;
  EXPECT_NE(ErrorOf(BuildZip({deflated})).find("only 12 of the declared 100 bytes"),
            std::string::npos);
}

TEST(ZipReaderTest, RefusesCrcMismatch) {
  Spec a = Deflated("a", "content");
  a.crc ^= 1;
  EXPECT_EQ(ErrorOf(BuildZip({a})), "zip entry \"a\": CRC-32 mismatch");
  Spec b = WithDescriptor(Stored("b", "content"));
  b.crc ^= 1;
  b.descriptor_crc = b.crc;
  EXPECT_EQ(ErrorOf(BuildZip({b})), "zip entry \"b\": CRC-32 mismatch");
}

TEST(ZipReaderTest, ZeroCrcWithoutDescriptorIsNotComparedAsInGo) {
  Spec a = Stored("a", "content");
  a.crc = 0;
  EXPECT_EQ(ErrorOf(BuildZip({a})), "");
}

TEST(ZipReaderTest, RefusesCorruptAndTruncatedDeflateData) {
  Spec corrupt = Deflated("a", Repeat("hello ", 100));
  corrupt.data[0] = static_cast<char>(0xFF);  // reserved block type 3
  EXPECT_NE(ErrorOf(BuildZip({corrupt})).find("invalid deflate data"), std::string::npos);
  Spec truncated = Deflated("b", Repeat("hello world ", 1000));
  truncated.data.resize(truncated.data.size() / 2);
  truncated.compressed_size = truncated.data.size();
  EXPECT_NE(ErrorOf(BuildZip({truncated})).find("deflate data ends early"), std::string::npos);
  Spec empty = Deflated("c", "x");
  empty.data.clear();
  empty.compressed_size = 0;
  EXPECT_NE(ErrorOf(BuildZip({empty})).find("deflate data ends early"), std::string::npos);
}

TEST(ZipReaderTest, SinkErrorsPassThrough) {
  const std::string zip = BuildZip({Stored("a", "content")});
  StringZipSource source(zip);
  Result<std::vector<ZipEntry>> entries = ReadZipDirectory(source);
  ASSERT_TRUE(entries);
  Result<void> read = ReadZipEntry(source, (*entries)[0], [](std::string_view) -> Result<void> {
    return MakeError(ErrorCode::kStorage, "disk full");
  });
  ASSERT_FALSE(read);
  EXPECT_EQ(read.error().code, ErrorCode::kStorage);
  EXPECT_EQ(read.error().message, "disk full");
}

// A source that counts what is read from it.
class CountingSource final : public ZipSource {
 public:
  explicit CountingSource(std::string_view bytes) : inner_(bytes) {}
  std::uint64_t size() const override { return inner_.size(); }
  Result<void> ReadAt(std::uint64_t offset, char* out, std::size_t n) override {
    bytes_read += n;
    largest_read = std::max(largest_read, n);
    return inner_.ReadAt(offset, out, n);
  }
  std::uint64_t bytes_read = 0;
  std::size_t largest_read = 0;

 private:
  StringZipSource inner_;
};

// 1 GiB of zeros, raw-deflated (about 1 MiB).
std::string DeflatedGibibyteOfZeros() {
  z_stream z{};
  EXPECT_EQ(deflateInit2(&z, 1, Z_DEFLATED, -MAX_WBITS, 8, Z_RLE), Z_OK);
  const std::string zeros(1 << 20, '\0');
  std::string out;
  std::string buf(1 << 16, '\0');
  for (int i = 0; i < 1024; ++i) {
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(zeros.data()));
    z.avail_in = static_cast<uInt>(zeros.size());
    const int flush = i == 1023 ? Z_FINISH : Z_NO_FLUSH;
    do {
      z.next_out = reinterpret_cast<Bytef*>(buf.data());
      z.avail_out = static_cast<uInt>(buf.size());
      deflate(&z, flush);
      out.append(buf.data(), buf.size() - z.avail_out);
    } while (z.avail_out == 0 || z.avail_in > 0);
  }
  deflateEnd(&z);
  return out;
}

TEST(ZipReaderTest, StopsReadingABombAtItsDeclaredSize) {
  Spec bomb;
  bomb.name = "m@v1.0.0/bomb.go";
  bomb.method = 8;
  bomb.data = DeflatedGibibyteOfZeros();
  bomb.compressed_size = bomb.data.size();
  bomb.uncompressed_size = 1 << 20;  // declares 1 MiB, inflates to 1 GiB
  ASSERT_LT(bomb.data.size(), 2u << 20);
  const std::string zip = BuildZip({bomb});
  CountingSource source(zip);
  Result<std::vector<ZipEntry>> entries = ReadZipDirectory(source);
  ASSERT_TRUE(entries);
  source.bytes_read = 0;
  source.largest_read = 0;
  std::uint64_t delivered = 0;
  Result<void> read =
      ReadZipEntry(source, (*entries)[0], [&](std::string_view chunk) -> Result<void> {
        EXPECT_LE(chunk.size(), kZipChunkBytes);
        delivered += chunk.size();
        return {};
      });
  ASSERT_FALSE(read);
  EXPECT_NE(read.error().message.find("more data than the declared size of 1048576 bytes"),
            std::string::npos);
  EXPECT_LE(delivered, std::uint64_t{1} << 20);
  // It stopped long before reading the whole compressed stream.
  EXPECT_LT(source.bytes_read, bomb.data.size() / 4);
  EXPECT_LE(source.largest_read, kZipChunkBytes);
}

TEST(ZipReaderTest, SurvivesEveryTruncationAndByteFlip) {
  // Not a fuzzer, but the same idea: no crash, no sanitizer report, and an
  // error or the right content for every damaged variant of a small zip.
  const std::string zip = BuildZip({Deflated("a", Repeat("abc", 100)), Stored("b", "beta"),
                                    WithDescriptor(Deflated("c", "gamma"))});
  for (std::size_t cut = 0; cut < zip.size(); ++cut) (void)ReadAll(zip.substr(0, cut));
  for (std::size_t i = 0; i < zip.size(); ++i) {
    std::string damaged = zip;
    damaged[i] = static_cast<char>(damaged[i] ^ 0x5A);
    (void)ReadAll(damaged);
  }
}

}  // namespace
}  // namespace modproxy::protocol
