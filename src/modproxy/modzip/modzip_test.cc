#include <stdlib.h>
#include <unistd.h>

#include <fstream>
#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "modproxy/modzip/inspect_zip.h"
#include "modproxy/protocol/zip_limits.h"
#include "modproxy/protocol/zip_test_builder.h"
#include "modproxy/testkit/make_zip.h"

namespace modproxy::modzip {
namespace {

using protocol::StringZipSource;
using protocol::testing_zip::BuildZip;
using protocol::testing_zip::Deflated;
using protocol::testing_zip::Spec;
using protocol::testing_zip::Stored;

constexpr char kPrefix[] = "example.com/hello@v1.0.0/";
constexpr char kWorkedExampleH1[] = "h1:L/nIJOxRkFmfc5xWc5zi2OY88eOj1UIHImdsCpyL6Sw=";

// go-modules-reference.md §6.2: the files of example.com/hello@v1.0.0.
std::map<std::string, std::string> WorkedExample() {
  const std::string p = kPrefix;
  return {{p + "go.mod", "module example.com/hello\n\ngo 1.20\n"},
          {p + "hello.go", "package hello\n"},
          {p + "LICENSE", "MIT\n"},
          {p + "vendor/modules.txt", "# vendored\n"}};
}

std::vector<Spec> WorkedExampleSpecs() {
  std::vector<Spec> specs;
  for (const auto& [name, content] : WorkedExample()) specs.push_back(Deflated(name, content));
  return specs;
}

// The same files written by Go's archive/zip (deflate, data descriptors),
// as the go command's zip.Create writes module zips.
std::string GoWrittenWorkedExample() {
  const std::string hex =
      "504b0304140008000800000000000000000000000000000000001f0000006578616d706c652e636f6d2f68656c6c"
      "6f40"
      "76312e302e302f676f2e6d6f64cacd4f29cd495548ad48cc2dc849d54bcecfd5cf48cdc9c9e7e24acf5730d43332"
      "e002"
      "040000ffff504b0708e35f13622800000022000000504b0304140008000800000000000000000000000000000000"
      "0021"
      "0000006578616d706c652e636f6d2f68656c6c6f4076312e302e302f68656c6c6f2e676f2a484cce4e4c4f55c848"
      "cdc9"
      "c9e702040000ffff504b07083ee3e112140000000e000000504b0304140008000800000000000000000000000000"
      "0000"
      "0000200000006578616d706c652e636f6d2f68656c6c6f4076312e302e302f4c4943454e5345f2f50ce102040000"
      "ffff"
      "504b0708fd9873090a00000004000000504b0304140008000800000000000000000000000000000000002b000000"
      "6578"
      "616d706c652e636f6d2f68656c6c6f4076312e302e302f76656e646f722f6d6f64756c65732e7478745256284bcd"
      "4bc9"
      "2f4a4de102040000ffff504b070863f3f61d110000000b000000504b0102140014000800080000000000e35f1362"
      "2800"
      "0000220000001f00000000000000000000000000000000006578616d706c652e636f6d2f68656c6c6f4076312e30"
      "2e30"
      "2f676f2e6d6f64504b01021400140008000800000000003ee3e112140000000e0000002100000000000000000000"
      "0000"
      "00750000006578616d706c652e636f6d2f68656c6c6f4076312e302e302f68656c6c6f2e676f504b010214001400"
      "0800"
      "080000000000fd9873090a000000040000002000000000000000000000000000d80000006578616d706c652e636f"
      "6d2f"
      "68656c6c6f4076312e302e302f4c4943454e5345504b010214001400080008000000000063f3f61d110000000b00"
      "0000"
      "2b00000000000000000000000000300100006578616d706c652e636f6d2f68656c6c6f4076312e302e302f76656e"
      "646f"
      "722f6d6f64756c65732e747874504b05060000000004000400430100009a0100000000";
  std::string bytes;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
    bytes += static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16));
  }
  return bytes;
}

ZipInspection Inspect(std::string_view zip, std::string_view module = "example.com/hello",
                      std::string_view version = "v1.0.0") {
  StringZipSource source(zip);
  Result<ZipInspection> inspection = InspectZip(source, module, version);
  EXPECT_TRUE(inspection) << inspection.error().message;
  return inspection ? *inspection : ZipInspection{};
}

TEST(InspectZipTest, WorkedExampleWrittenByLibzip) {
  const ZipInspection got = Inspect(testkit::MakeZip(WorkedExample()));
  EXPECT_EQ(got.violations, std::vector<std::string>{});
  EXPECT_EQ(got.h1, kWorkedExampleH1);
  EXPECT_EQ(got.files, 4u);
}

TEST(InspectZipTest, WorkedExampleWrittenByGo) {
  const std::string zip = GoWrittenWorkedExample();
  const ZipInspection got = Inspect(zip);
  EXPECT_EQ(got.violations, std::vector<std::string>{});
  EXPECT_EQ(got.h1, kWorkedExampleH1);
  StringZipSource source(zip);
  EXPECT_EQ(*HashZip(source), kWorkedExampleH1);
}

TEST(InspectZipTest, DirectoryEntriesAreHashedAsEmptyFiles) {
  std::vector<Spec> specs = WorkedExampleSpecs();
  specs.insert(specs.begin(), Stored(kPrefix, ""));
  const ZipInspection got = Inspect(BuildZip(specs));
  EXPECT_EQ(got.violations, std::vector<std::string>{});
  // dirhash.HashZip of the same entries, computed with x/mod.
  EXPECT_EQ(got.h1, "h1:tPcbUs+UW/+X3NJg/w8nO7NGJgyJtsSEtlPqkgD8wYg=");
  EXPECT_EQ(got.files, 4u);
}

TEST(InspectZipTest, GoModDirectoryVectorFromXMod) {
  // x/mod zip/testdata/unzip/go_mod_dir.txt.
  const ZipInspection got = Inspect(
      testkit::MakeZip({{"example.com/m@v1.0.0/go.mod/a.go", "package a\n"}}), "example.com/m");
  EXPECT_EQ(got.violations, std::vector<std::string>{});
  EXPECT_EQ(got.h1, "h1:Mun5l9cBlDnnV6JasTpio2aZJSbFj++h+814mnKC/OM=");
}

TEST(InspectZipTest, RepeatedDirectoryIsHashedWithItsLastEntryAsGoDoes) {
  // fuzz/regressions/zip_rules/inspect_zip_duplicate_dir_h1.zip: a directory
  // entry twice, the second holding bytes. dirhash.HashZip uses the last
  // entry's bytes for both lines (vector from x/mod's dirhash.Hash1 over
  // d/="x", d/="x", d/a.go; the regression file itself hashes as in Go too).
  const std::string zip =
      BuildZip({Stored("example.com/m@v1.0.0/d/", ""), Stored("example.com/m@v1.0.0/d/", "x"),
                Stored("example.com/m@v1.0.0/d/a.go", "package a\n")});
  const ZipInspection got = Inspect(zip, "example.com/m");
  EXPECT_EQ(got.violations, std::vector<std::string>{});
  EXPECT_EQ(got.h1, "h1:5NlB7NOK9G1E1sihD/dYGLRMGReaFKFUl9/GO2JPCBA=");
  EXPECT_EQ(got.files, 1u);
  StringZipSource source(zip);
  EXPECT_EQ(*HashZip(source), got.h1);
}

TEST(InspectZipTest, EarlierCopyOfARepeatedDirectoryIsNotRead) {
  // The go command never reads it (Unzip skips directories, HashZip opens
  // the last entry of a name), so its bytes cannot make the zip invalid.
  Spec broken = Stored("example.com/m@v1.0.0/d/", "");
  broken.crc = 1;
  broken.uncompressed_size = 5;
  const ZipInspection got = Inspect(BuildZip({broken, Stored("example.com/m@v1.0.0/d/", ""),
                                              Stored("example.com/m@v1.0.0/d/a.go", "a")}),
                                    "example.com/m");
  EXPECT_EQ(got.violations, std::vector<std::string>{});
  EXPECT_FALSE(got.h1.empty());
}

TEST(InspectZipTest, RuleViolationsAreListedWithoutAHash) {
  std::vector<Spec> specs = WorkedExampleSpecs();
  specs.push_back(Stored(std::string(kPrefix) + "HELLO.go", "package hello\n"));
  specs.push_back(Stored("example.com/other@v1.0.0/x.go", "package x\n"));
  const ZipInspection got = Inspect(BuildZip(specs));
  ASSERT_EQ(got.violations.size(), 2u);
  EXPECT_EQ(got.violations[0],
            "example.com/hello@v1.0.0/HELLO.go: case-insensitive file name collision: "
            "\"hello.go\" and \"HELLO.go\"");
  EXPECT_TRUE(got.h1.empty());
  EXPECT_EQ(got.files, 0u);
}

TEST(InspectZipTest, WrongModuleIsAViolation) {
  const ZipInspection got = Inspect(testkit::MakeZip(WorkedExample()), "example.com/other");
  ASSERT_FALSE(got.violations.empty());
  EXPECT_NE(got.violations[0].find("path does not have prefix \"example.com/other@v1.0.0/\""),
            std::string::npos);
}

TEST(InspectZipTest, MalformedZipIsAViolationNotAnError) {
  const ZipInspection got = Inspect("this is not a zip");
  ASSERT_EQ(got.violations.size(), 1u);
  EXPECT_NE(got.violations[0].find("no end of central directory"), std::string::npos);
  EXPECT_TRUE(got.h1.empty());
}

TEST(InspectZipTest, EveryEntryWithBadBytesIsListed) {
  std::vector<Spec> specs = WorkedExampleSpecs();
  specs[0].crc ^= 1;
  specs[2].uncompressed_size += 1;
  const ZipInspection got = Inspect(BuildZip(specs));
  ASSERT_EQ(got.violations.size(), 2u);
  EXPECT_NE(got.violations[0].find("CRC-32 mismatch"), std::string::npos);
  EXPECT_NE(got.violations[1].find("only"), std::string::npos);
  EXPECT_TRUE(got.h1.empty());
}

TEST(InspectZipTest, BombIsAViolation) {
  Spec bomb = Deflated(std::string(kPrefix) + "bomb.go", std::string(10 << 20, '\0'));
  bomb.uncompressed_size = 100;
  const ZipInspection got = Inspect(BuildZip({bomb}));
  ASSERT_EQ(got.violations.size(), 1u);
  EXPECT_NE(got.violations[0].find("more data than the declared size of 100 bytes"),
            std::string::npos);
}

// A source that fails every read, with a chosen size and error.
class FailingSource final : public protocol::ZipSource {
 public:
  FailingSource(std::uint64_t size, ErrorCode code) : size_(size), code_(code) {}
  std::uint64_t size() const override { return size_; }
  Result<void> ReadAt(std::uint64_t, char*, std::size_t) override {
    ++reads;
    return MakeError(code_, "disk on fire");
  }
  int reads = 0;

 private:
  std::uint64_t size_;
  ErrorCode code_;
};

TEST(InspectZipTest, ZipOverTheLimitIsRefusedWithoutReadingIt) {
  FailingSource source(protocol::kMaxZipBytes + 1, ErrorCode::kStorage);
  Result<ZipInspection> got = InspectZip(source, "example.com/hello", "v1.0.0");
  ASSERT_TRUE(got);
  ASSERT_EQ(got->violations.size(), 1u);
  EXPECT_NE(got->violations[0].find("module zip file is too large"), std::string::npos);
  EXPECT_EQ(source.reads, 0);
}

TEST(InspectZipTest, InvalidModuleIsRefusedWithoutReading) {
  FailingSource source(1000, ErrorCode::kStorage);
  Result<ZipInspection> got = InspectZip(source, "example.com/hello", "v1.0");
  ASSERT_TRUE(got);
  ASSERT_EQ(got->violations.size(), 1u);
  EXPECT_EQ(source.reads, 0);
}

TEST(InspectZipTest, ReadFailuresAreErrors) {
  FailingSource source(1000, ErrorCode::kStorage);
  Result<ZipInspection> got = InspectZip(source, "example.com/hello", "v1.0.0");
  ASSERT_FALSE(got);
  EXPECT_EQ(got.error().code, ErrorCode::kStorage);
}

TEST(HashZipTest, DuplicateNamesUseTheLastEntryAsGoDoes) {
  // dirhash.HashZip of a Go-written zip with entries a=first, b=bee, a=second.
  const std::string zip =
      BuildZip({Stored("a", "first"), Deflated("b", "bee"), Stored("a", "second")});
  StringZipSource source(zip);
  Result<std::string> h1 = HashZip(source);
  ASSERT_TRUE(h1) << h1.error().message;
  EXPECT_EQ(*h1, "h1:ho3D6/bn8G4nRrqFHawjUEWPQWSUZRT2fSLNTJDNAZU=");
}

TEST(HashZipTest, HashesAnyZipWithoutTheModuleRules) {
  const std::string zip = testkit::MakeZip({{"A.go", "x"}, {"a.go", "y"}});
  StringZipSource source(zip);
  Result<std::string> h1 = HashZip(source);
  ASSERT_TRUE(h1) << h1.error().message;
  EXPECT_TRUE(h1->starts_with("h1:"));
  EXPECT_EQ(h1->size(), 47u);
}

TEST(HashZipTest, MalformedZipIsAnError) {
  StringZipSource source("nope");
  Result<std::string> h1 = HashZip(source);
  ASSERT_FALSE(h1);
  EXPECT_EQ(h1.error().code, ErrorCode::kInvalidArgument);
}

class ZipFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = "/tmp/modproxy-modzip-test-XXXXXX";
    const int fd = ::mkstemp(path_.data());
    ASSERT_GE(fd, 0);
    ::close(fd);
  }
  void TearDown() override { ::unlink(path_.c_str()); }
  void Write(const std::string& bytes) {
    std::ofstream(path_, std::ios::binary | std::ios::trunc) << bytes;
  }
  std::string path_;
};

TEST_F(ZipFileTest, InspectsAZipOnDisk) {
  Write(GoWrittenWorkedExample());
  Result<std::unique_ptr<protocol::ZipSource>> source = OpenZipFile(path_);
  ASSERT_TRUE(source) << source.error().message;
  EXPECT_EQ((*source)->size(), GoWrittenWorkedExample().size());
  Result<ZipInspection> got = InspectZip(**source, "example.com/hello", "v1.0.0");
  ASSERT_TRUE(got) << got.error().message;
  EXPECT_EQ(got->h1, kWorkedExampleH1);
}

TEST_F(ZipFileTest, ReadPastTheEndIsRefused) {
  Write("short");
  Result<std::unique_ptr<protocol::ZipSource>> source = OpenZipFile(path_);
  ASSERT_TRUE(source);
  char buf[10];
  Result<void> read = (*source)->ReadAt(2, buf, 10);
  ASSERT_FALSE(read);
  EXPECT_EQ(read.error().code, ErrorCode::kInvalidArgument);
  ASSERT_TRUE((*source)->ReadAt(1, buf, 4));
  EXPECT_EQ(std::string(buf, 4), "hort");
}

TEST_F(ZipFileTest, FileThatShrankIsAStorageError) {
  Write("0123456789");
  Result<std::unique_ptr<protocol::ZipSource>> source = OpenZipFile(path_);
  ASSERT_TRUE(source);
  Write("01");
  char buf[5];
  Result<void> read = (*source)->ReadAt(0, buf, 5);
  ASSERT_FALSE(read);
  EXPECT_EQ(read.error().code, ErrorCode::kStorage);
}

TEST(OpenZipFileTest, MissingFileOrDirectoryIsAStorageError) {
  Result<std::unique_ptr<protocol::ZipSource>> missing = OpenZipFile("/nonexistent/x.zip");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ErrorCode::kStorage);
  EXPECT_NE(missing.error().message.find("/nonexistent/x.zip"), std::string::npos);
  Result<std::unique_ptr<protocol::ZipSource>> dir = OpenZipFile("/tmp");
  ASSERT_FALSE(dir);
  EXPECT_EQ(dir.error().code, ErrorCode::kStorage);
}

}  // namespace
}  // namespace modproxy::modzip
