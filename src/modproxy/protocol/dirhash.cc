#include "modproxy/protocol/dirhash.h"

#include <algorithm>
#include <cstdlib>

#include <openssl/evp.h>

#include "modproxy/core/check.h"

namespace modproxy::protocol {
namespace {

EVP_MD_CTX* Ctx(void* p) { return static_cast<EVP_MD_CTX*>(p); }

std::string Hex(const std::array<unsigned char, 32>& digest) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(64);
  for (const unsigned char b : digest) {
    out += kHex[b >> 4];
    out += kHex[b & 0x0F];
  }
  return out;
}

std::string Base64(const std::array<unsigned char, 32>& digest) {
  unsigned char out[4 * ((32 + 2) / 3) + 1];
  const int n = EVP_EncodeBlock(out, digest.data(), static_cast<int>(digest.size()));
  return std::string(reinterpret_cast<const char*>(out), static_cast<std::size_t>(n));
}

}  // namespace

Sha256::Sha256() : ctx_(EVP_MD_CTX_new()) {
  MODPROXY_CHECK(ctx_ != nullptr && EVP_DigestInit_ex(Ctx(ctx_), EVP_sha256(), nullptr) == 1);
}

Sha256::~Sha256() { EVP_MD_CTX_free(Ctx(ctx_)); }

void Sha256::Update(std::string_view bytes) {
  MODPROXY_CHECK(EVP_DigestUpdate(Ctx(ctx_), bytes.data(), bytes.size()) == 1);
}

std::array<unsigned char, 32> Sha256::Finish() {
  std::array<unsigned char, 32> digest{};
  unsigned int len = 0;
  MODPROXY_CHECK(EVP_DigestFinal_ex(Ctx(ctx_), digest.data(), &len) == 1 && len == 32);
  return digest;
}

Result<std::string> Hash1(std::vector<HashedFile> files) {
  std::sort(files.begin(), files.end(),
            [](const HashedFile& a, const HashedFile& b) { return a.name < b.name; });
  Sha256 summary;
  for (const HashedFile& file : files) {
    if (file.name.find('\n') != std::string::npos) {
      return MakeError(ErrorCode::kInvalidArgument,
                       "dirhash: filenames with newlines are not supported");
    }
    summary.Update(Hex(file.sha256));
    summary.Update("  ");
    summary.Update(file.name);
    summary.Update("\n");
  }
  return "h1:" + Base64(summary.Finish());
}

std::string HashGoMod(std::string_view mod) {
  Sha256 content;
  content.Update(mod);
  Result<std::string> h1 = Hash1({HashedFile{"go.mod", content.Finish()}});
  return *h1;
}

}  // namespace modproxy::protocol
