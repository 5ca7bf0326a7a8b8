#include "modproxy/protocol/dirhash.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace modproxy::protocol {
namespace {

std::array<unsigned char, 32> Sha(std::string_view content) {
  Sha256 sha;
  sha.Update(content);
  return sha.Finish();
}

std::string Hex(const std::array<unsigned char, 32>& digest) {
  std::string out;
  char buf[3];
  for (unsigned char b : digest) {
    std::snprintf(buf, sizeof buf, "%02x", b);
    out += buf;
  }
  return out;
}

constexpr std::string_view kGoMod = "module example.com/hello\n\ngo 1.20\n";

// go-modules-reference.md §6.2, verified against the go command.
std::vector<HashedFile> WorkedExample() {
  return {
      {"example.com/hello@v1.0.0/vendor/modules.txt", Sha("# vendored\n")},
      {"example.com/hello@v1.0.0/hello.go", Sha("package hello\n")},
      {"example.com/hello@v1.0.0/go.mod", Sha(kGoMod)},
      {"example.com/hello@v1.0.0/LICENSE", Sha("MIT\n")},
  };
}

TEST(DirhashTest, FileDigestsMatchTheWorkedExampleSummary) {
  EXPECT_EQ(Hex(Sha("MIT\n")), "adc37366f403835c1470ab2df93d3837d4719372fc1ef8593d922e06f033f8b2");
  EXPECT_EQ(Hex(Sha(kGoMod)), "7d55e5c01af9a2cfa3856170062d762b44e6917a83b1dfe422b3914d96b39bbf");
  EXPECT_EQ(Hex(Sha("package hello\n")),
            "8d481894447128fb141938f9643534b20020aa888173be12e6aa421badb2e9e7");
  EXPECT_EQ(Hex(Sha("# vendored\n")),
            "807cf5d3fe7d5a258e9be492fa20e55ddf11a8ec176b65fa2a467f80fcc7d4a2");
}

TEST(DirhashTest, Hash1OfTheWorkedExample) {
  Result<std::string> h1 = Hash1(WorkedExample());
  ASSERT_TRUE(h1) << h1.error().message;
  EXPECT_EQ(*h1, "h1:L/nIJOxRkFmfc5xWc5zi2OY88eOj1UIHImdsCpyL6Sw=");
}

TEST(DirhashTest, HashGoModOfTheWorkedExample) {
  EXPECT_EQ(HashGoMod(kGoMod), "h1:/e89k18/YPK2tKb/SZ+fXRKQE7ccT7r6I4hbIHESRTc=");
}

TEST(DirhashTest, OrderOfInputDoesNotMatter) {
  std::vector<HashedFile> files = WorkedExample();
  std::swap(files[0], files[3]);
  std::swap(files[1], files[2]);
  EXPECT_EQ(*Hash1(files), "h1:L/nIJOxRkFmfc5xWc5zi2OY88eOj1UIHImdsCpyL6Sw=");
}

TEST(DirhashTest, EmptyListHashesTheEmptySummary) {
  // base64(SHA-256("")).
  EXPECT_EQ(*Hash1({}), "h1:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=");
}

TEST(DirhashTest, RefusesNewlinesInNames) {
  Result<std::string> h1 = Hash1({{"a\nb", Sha("")}});
  ASSERT_FALSE(h1);
  EXPECT_EQ(h1.error().code, ErrorCode::kInvalidArgument);
}

TEST(DirhashTest, Sha256TakesPieces) {
  Sha256 pieces;
  pieces.Update("module example.com/hello\n");
  pieces.Update("");
  pieces.Update("\ngo 1.20\n");
  EXPECT_EQ(pieces.Finish(), Sha(kGoMod));
}

}  // namespace
}  // namespace modproxy::protocol
