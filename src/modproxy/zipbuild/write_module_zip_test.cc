#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "modproxy/modzip/inspect_zip.h"
#include "modproxy/protocol/dirhash.h"
#include "modproxy/protocol/zip_reader.h"
#include "modproxy/zipbuild/test_files.h"
#include "modproxy/zipbuild/zipbuild.h"

namespace modproxy::zipbuild {
namespace {

using testing_files::Regular;
using testing_files::Symlink;

constexpr std::uint64_t kMiB = std::uint64_t{1} << 20;

std::array<unsigned char, 32> Sha256Of(std::string_view bytes) {
  protocol::Sha256 sha;
  sha.Update(bytes);
  return sha.Finish();
}

// Hash1 over the files as the go command names them inside the zip.
std::string ExpectedH1(const std::string& prefix, const std::vector<SourceFile>& files) {
  std::vector<protocol::HashedFile> hashed;
  for (const SourceFile& file : files) {
    hashed.push_back({prefix + file.path, Sha256Of(*file.read())});
  }
  Result<std::string> h1 = protocol::Hash1(std::move(hashed));
  EXPECT_TRUE(h1.has_value());
  return h1 ? *h1 : "";
}

Result<std::string> Write(const std::string& module, const std::string& version,
                          const std::vector<SourceFile>& files) {
  std::string zip;
  if (Result<void> ok = WriteModuleZip(module, version, files,
                                       [&](std::string_view bytes) -> Result<void> {
                                         zip += bytes;
                                         return {};
                                       });
      !ok) {
    return ok.error();
  }
  return zip;
}

// Writes the files, then checks the zip as the go command would before
// using it, and compares its h1 with Hash1 over the same files.
void ExpectRoundTrip(const std::string& module, const std::string& version,
                     const std::vector<SourceFile>& files, bool also_hash_zip = true) {
  Result<std::string> zip = Write(module, version, files);
  ASSERT_TRUE(zip.has_value()) << zip.error().message;
  protocol::StringZipSource source(*zip);
  Result<modzip::ZipInspection> inspection = modzip::InspectZip(source, module, version);
  ASSERT_TRUE(inspection.has_value()) << inspection.error().message;
  for (const std::string& violation : inspection->violations) ADD_FAILURE() << violation;
  EXPECT_EQ(inspection->files, files.size());
  const std::string want = ExpectedH1(module + "@" + version + "/", files);
  EXPECT_EQ(inspection->h1, want);
  if (!also_hash_zip) return;
  Result<std::string> h1 = modzip::HashZip(source);
  ASSERT_TRUE(h1.has_value()) << h1.error().message;
  EXPECT_EQ(*h1, want);
}

TEST(WriteModuleZipTest, WorkedExampleHasTheGoCommandsHash) {
  // go-modules-reference.md §6.2, including the files the rules drop.
  Result<std::vector<SourceFile>> files = SelectModuleFiles(
      "example.com/hello", "v1.0.0",
      {Regular("go.mod", "module example.com/hello\n\ngo 1.20\n"),
       Regular("hello.go", "package hello\n"), Regular("LICENSE", "MIT\n"),
       Regular("vendor/modules.txt", "# vendored\n"), Regular("sub/go.mod", "module sub\n"),
       Regular("sub/x.go", "package sub\n"), Regular("vendor/a/b.go", "package a\n"),
       Symlink("link.go")});
  ASSERT_TRUE(files.has_value()) << files.error().message;
  ASSERT_EQ(files->size(), 4u);
  Result<std::string> zip = Write("example.com/hello", "v1.0.0", *files);
  ASSERT_TRUE(zip.has_value()) << zip.error().message;
  protocol::StringZipSource source(*zip);
  Result<std::string> h1 = modzip::HashZip(source);
  ASSERT_TRUE(h1.has_value()) << h1.error().message;
  EXPECT_EQ(*h1, "h1:L/nIJOxRkFmfc5xWc5zi2OY88eOj1UIHImdsCpyL6Sw=");
  ExpectRoundTrip("example.com/hello", "v1.0.0", *files);
}

TEST(WriteModuleZipTest, LocalHeaderLaysOutFieldsAsGosArchiveZip) {
  // The first 30 bytes + name of archive/zip's header for this entry:
  // version 20, data-descriptor flag, deflate, zero time, date, CRC and sizes.
  const std::string go_header = std::string("PK\x03\x04\x14\x00\x08\x00\x08\x00", 10) +
                                std::string(16, '\0') + std::string("\x1f\x00\x00\x00", 4) +
                                "example.com/hello@v1.0.0/go.mod";
  Result<std::string> zip =
      Write("example.com/hello", "v1.0.0", {Regular("go.mod", "module example.com/hello\n")});
  ASSERT_TRUE(zip.has_value()) << zip.error().message;
  EXPECT_EQ(zip->substr(0, go_header.size()), go_header);
}

TEST(WriteModuleZipTest, NonAsciiNamesGetTheUtf8Flag) {
  Result<std::string> zip =
      Write("example.com/m", "v1.0.0", {Regular("\xc3\xa9.go", "package m\n")});
  ASSERT_TRUE(zip.has_value()) << zip.error().message;
  EXPECT_EQ(static_cast<unsigned char>((*zip)[7]), 0x08);  // flags, high byte: 0x0800 UTF-8
}

TEST(WriteModuleZipTest, RoundTripsUnicodeEmptyAndLargeFiles) {
  std::string incompressible(300 * 1024, '\0');
  std::mt19937 random(42);
  for (char& c : incompressible) c = static_cast<char>(random());
  std::string compressible;
  while (compressible.size() < 3 * kMiB) compressible += "package m // the same line again\n";
  ExpectRoundTrip("example.com/m", "v1.2.3",
                  {Regular("go.mod", "module example.com/m\n"), Regular("empty.go"),
                   Regular("h\xc3\xa9llo/\xe6\x97\xa5\xe6\x9c\xac.go", "package h\n"),
                   Regular("bin/random.dat", incompressible),
                   Regular("big/compressible.go", compressible), Regular("LICENSE", "MIT\n")});
}

TEST(WriteModuleZipTest, WritesZip64EndRecordsFor65535EntriesOrMore) {
  std::vector<SourceFile> files;
  for (int i = 0; i < 65535; ++i) files.push_back(Regular("f/" + std::to_string(i)));
  Result<std::string> zip = Write("example.com/many", "v1.0.0", files);
  ASSERT_TRUE(zip.has_value()) << zip.error().message;
  // The zip64 end record counts every entry (a full read-back of 65535
  // entries took a minute under the sanitizers; Go's archive/zip reads this
  // very layout in tests/integration/pack_test.go, case "many").
  std::size_t end64 = zip->rfind(std::string("PK\x06\x06", 4));
  ASSERT_NE(end64, std::string::npos);
  ASSERT_GE(zip->size(), end64 + 56);
  auto le64 = [&](std::size_t at) {
    std::uint64_t v = 0;
    for (int i = 7; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>((*zip)[at + i]);
    return v;
  };
  EXPECT_EQ(le64(end64 + 24), 65535u);  // entries on this disk
  EXPECT_EQ(le64(end64 + 32), 65535u);  // entries in total
  EXPECT_NE(zip->find(std::string("PK\x06\x07", 4), end64), std::string::npos);
}

TEST(WriteModuleZipTest, NoZip64RecordsForSmallZips) {
  Result<std::string> zip = Write("example.com/m", "v1.0.0", {Regular("a.go", "package a\n")});
  ASSERT_TRUE(zip.has_value()) << zip.error().message;
  EXPECT_EQ(zip->find(std::string("PK\x06\x06", 4)), std::string::npos);
}

TEST(WriteModuleZipTest, AnEmptyModuleIsAnEmptyZip) {
  ExpectRoundTrip("example.com/m", "v0.1.0", {});
}

// The declared sizes passed (git blob sizes); the bytes read are larger.
SourceFile Understated(std::string path, std::uint64_t real_size) {
  return SourceFile{std::move(path), FileKind::kRegular, 1,
                    [real_size]() -> Result<std::string> { return std::string(real_size, 'x'); }};
}

TEST(WriteModuleZipTest, ChecksTheLimitsOnTheBytesRead) {
  Result<std::string> zip =
      Write("example.com/m", "v1.0.0", {Understated("go.mod", 16 * kMiB + 1)});
  ASSERT_FALSE(zip.has_value());
  EXPECT_EQ(zip.error().message,
            "create zip: go.mod: go.mod file too large (max size is 16777216 bytes)");
  zip = Write("example.com/m", "v1.0.0", {Understated("LICENSE", 16 * kMiB + 1)});
  ASSERT_FALSE(zip.has_value());
  EXPECT_EQ(zip.error().message,
            "create zip: LICENSE: LICENSE file too large (max size is 16777216 bytes)");
  std::uint64_t written = 0;
  Result<void> total = WriteModuleZip(
      "example.com/m", "v1.0.0",
      {Understated("a", 250 * kMiB), Understated("b", 250 * kMiB), Understated("c", 1)},
      [&](std::string_view bytes) -> Result<void> {
        written += bytes.size();
        return {};
      });
  ASSERT_FALSE(total.has_value());
  EXPECT_EQ(total.error().message,
            "create zip: module source tree too large (max size is 524288000 bytes)");
}

TEST(WriteModuleZipTest, ReadAndSinkErrorsPassThrough) {
  SourceFile failing{"a.go", FileKind::kRegular, 3, []() -> Result<std::string> {
                       return MakeError(ErrorCode::kUnavailable, "blob a.go: gone");
                     }};
  Result<std::string> zip = Write("example.com/m", "v1.0.0", {failing});
  ASSERT_FALSE(zip.has_value());
  EXPECT_EQ(zip.error().code, ErrorCode::kUnavailable);
  EXPECT_EQ(zip.error().message, "blob a.go: gone");
  Result<void> sink_failed =
      WriteModuleZip("example.com/m", "v1.0.0", {Regular("a.go", "package a\n")},
                     [](std::string_view) -> Result<void> {
                       return MakeError(ErrorCode::kStorage, "no space left on device");
                     });
  ASSERT_FALSE(sink_failed.has_value());
  EXPECT_EQ(sink_failed.error().message, "no space left on device");
}

TEST(WriteModuleZipTest, RefusesAnInvalidModuleOrVersion) {
  Result<std::string> zip = Write("example.com/m", "v1", {});
  ASSERT_FALSE(zip.has_value());
  EXPECT_EQ(zip.error().message,
            "create zip: version \"v1\" is not canonical (should be \"v1.0.0\")");
}

}  // namespace
}  // namespace modproxy::zipbuild
