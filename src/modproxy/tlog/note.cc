#include "modproxy/tlog/note.h"

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <openssl/evp.h>

#include "modproxy/core/check.h"
#include "modproxy/protocol/text.h"
#include "modproxy/tlog/base64.h"

namespace modproxy::tlog {
namespace {

using protocol::detail::Quote;

constexpr unsigned char kAlgEd25519 = 1;
constexpr std::string_view kSignaturePrefix = "\xE2\x80\x94 ";  // em dash, space
constexpr int kMaxSignatures = 100;

struct PkeyDeleter {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
struct MdCtxDeleter {
  void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyDeleter>;
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, MdCtxDeleter>;

Error Invalid(std::string message) {
  return MakeError(ErrorCode::kInvalidArgument, std::move(message));
}

std::string Hex8(std::uint32_t value) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(8, '0');
  for (int i = 7; i >= 0; --i, value >>= 4) out[static_cast<std::size_t>(i)] = kHex[value & 0xF];
  return out;
}

// strconv.ParseUint(s, 16, 32) on exactly 8 digits.
std::optional<std::uint32_t> ParseHex8(std::string_view s) {
  if (s.size() != 8) return std::nullopt;
  std::uint32_t value = 0;
  for (const char c : s) {
    int digit = -1;
    if (c >= '0' && c <= '9') digit = c - '0';
    if (c >= 'a' && c <= 'f') digit = c - 'a' + 10;
    if (c >= 'A' && c <= 'F') digit = c - 'A' + 10;
    if (digit < 0) return std::nullopt;
    value = (value << 4) | static_cast<std::uint32_t>(digit);
  }
  return value;
}

// Splits at the first `sep`; without one, everything is `before`.
std::pair<std::string_view, std::string_view> Chop(std::string_view s, char sep) {
  const std::size_t at = s.find(sep);
  if (at == std::string_view::npos) return {s, {}};
  return {s.substr(0, at), s.substr(at + 1)};
}

// Non-empty UTF-8 with no Unicode space and no '+' (note.isValidName).
bool IsValidName(std::string_view name) {
  if (name.empty() || name.find('+') != std::string_view::npos) return false;
  while (!name.empty()) {
    const protocol::detail::DecodedRune r = protocol::detail::DecodeRune(name);
    if ((r.rune == protocol::detail::kRuneError && r.size == 1) ||
        protocol::detail::IsGoSpace(r.rune)) {
      return false;
    }
    name.remove_prefix(r.size);
  }
  return true;
}

std::uint32_t KeyHash(std::string_view name, const std::array<unsigned char, 32>& public_key) {
  std::string input(name);
  input += '\n';
  input += static_cast<char>(kAlgEd25519);
  input.append(reinterpret_cast<const char*>(public_key.data()), public_key.size());
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int size = 0;
  MODPROXY_CHECK(
      EVP_Digest(input.data(), input.size(), digest.data(), &size, EVP_sha256(), nullptr) == 1);
  return (std::uint32_t{digest[0]} << 24) | (std::uint32_t{digest[1]} << 16) |
         (std::uint32_t{digest[2]} << 8) | std::uint32_t{digest[3]};
}

std::array<unsigned char, 32> PublicKeyOf(const std::array<unsigned char, 32>& seed) {
  PkeyPtr key(EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, seed.data(), seed.size()));
  MODPROXY_CHECK(key != nullptr);
  std::array<unsigned char, 32> public_key{};
  std::size_t size = public_key.size();
  MODPROXY_CHECK(EVP_PKEY_get_raw_public_key(key.get(), public_key.data(), &size) == 1);
  MODPROXY_CHECK(size == public_key.size());
  return public_key;
}

bool VerifyEd25519(const std::array<unsigned char, 32>& public_key, std::string_view message,
                   std::string_view signature) {
  PkeyPtr key(
      EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, public_key.data(), public_key.size()));
  MdCtxPtr ctx(EVP_MD_CTX_new());
  if (!key || !ctx) return false;
  if (EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, key.get()) != 1) return false;
  return EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(signature.data()),
                          signature.size(), reinterpret_cast<const unsigned char*>(message.data()),
                          message.size()) == 1;
}

std::string SignEd25519(const std::array<unsigned char, 32>& seed, std::string_view message) {
  PkeyPtr key(EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, seed.data(), seed.size()));
  MdCtxPtr ctx(EVP_MD_CTX_new());
  MODPROXY_CHECK(key != nullptr && ctx != nullptr);
  MODPROXY_CHECK(EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, key.get()) == 1);
  std::string signature(64, '\0');
  std::size_t size = signature.size();
  MODPROXY_CHECK(EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(signature.data()),
                                &size, reinterpret_cast<const unsigned char*>(message.data()),
                                message.size()) == 1);
  signature.resize(size);
  return signature;
}

// The "<hash>+<base64(0x01 || 32 bytes)>" tail shared by both key forms.
struct KeyTail {
  std::uint32_t hash;
  std::array<unsigned char, 32> key;
};

Result<KeyTail> ParseKeyTail(std::string_view what, std::string_view name, std::string_view hash16,
                             std::string_view key64) {
  if (!IsValidName(name)) return Invalid(std::string(what) + ": invalid name " + Quote(name));
  const std::optional<std::uint32_t> hash = ParseHex8(hash16);
  if (!hash)
    return Invalid(std::string(what) + ": key hash " + Quote(hash16) + " is not 8 hex digits");
  const std::optional<std::string> key = detail::DecodeBase64(key64);
  if (!key || key->empty()) return Invalid(std::string(what) + ": key is not base64");
  if (static_cast<unsigned char>((*key)[0]) != kAlgEd25519) {
    return Invalid(std::string(what) + ": unknown key algorithm " +
                   std::to_string(static_cast<unsigned char>((*key)[0])) + " (1 is Ed25519)");
  }
  if (key->size() != 33) {
    return Invalid(std::string(what) + ": Ed25519 key has " + std::to_string(key->size() - 1) +
                   " bytes, want 32");
  }
  KeyTail tail{*hash, {}};
  for (std::size_t i = 0; i < 32; ++i) tail.key[i] = static_cast<unsigned char>((*key)[i + 1]);
  return tail;
}

std::string KeyId(std::string_view name, std::uint32_t hash) {
  return std::string(name) + "+" + Hex8(hash);
}

}  // namespace

Result<Verifier> ParseVerifierKey(std::string_view vkey) {
  const std::string what = "invalid verifier key " + Quote(vkey);
  const auto [name, rest] = Chop(vkey, '+');
  const auto [hash16, key64] = Chop(rest, '+');
  Result<KeyTail> tail = ParseKeyTail(what, name, hash16, key64);
  if (!tail) return tail.error();
  if (KeyHash(name, tail->key) != tail->hash) {
    return Invalid(what + ": key hash " + std::string(hash16) + " does not match the key");
  }
  return Verifier{std::string(name), tail->hash, tail->key};
}

Result<Signer> ParseSignerKey(std::string_view skey) {
  // Never quote a private key into a message.
  const std::string what = "invalid signer key";
  const auto [private_word, rest1] = Chop(skey, '+');
  const auto [key_word, rest2] = Chop(rest1, '+');
  if (private_word != "PRIVATE" || key_word != "KEY") {
    return Invalid(what + ": does not start with PRIVATE+KEY+");
  }
  const auto [name, rest3] = Chop(rest2, '+');
  const auto [hash16, key64] = Chop(rest3, '+');
  Result<KeyTail> tail = ParseKeyTail(what, name, hash16, key64);
  if (!tail) return tail.error();
  if (KeyHash(name, PublicKeyOf(tail->key)) != tail->hash) {
    return Invalid(what + ": key hash " + std::string(hash16) + " does not match the key");
  }
  return Signer{std::string(name), tail->hash, tail->key};
}

Signer MakeTestSigner(std::string_view name, std::string_view seed_text) {
  MODPROXY_CHECK(IsValidName(name));
  Signer signer{std::string(name), 0, {}};
  unsigned int size = 0;
  MODPROXY_CHECK(EVP_Digest(seed_text.data(), seed_text.size(), signer.seed.data(), &size,
                            EVP_sha256(), nullptr) == 1);
  signer.key_hash = KeyHash(name, PublicKeyOf(signer.seed));
  return signer;
}

std::string FormatVerifierKey(const Signer& signer) {
  const std::array<unsigned char, 32> public_key = PublicKeyOf(signer.seed);
  std::string key(1, static_cast<char>(kAlgEd25519));
  key.append(reinterpret_cast<const char*>(public_key.data()), public_key.size());
  return KeyId(signer.name, signer.key_hash) + "+" + detail::EncodeBase64(key);
}

std::string SignNote(std::string_view text, const Signer& signer) {
  MODPROXY_CHECK(!text.empty() && text.back() == '\n');
  std::string signature;
  for (int shift = 24; shift >= 0; shift -= 8) {
    signature += static_cast<char>((signer.key_hash >> shift) & 0xFF);
  }
  signature += SignEd25519(signer.seed, text);
  std::string note(text);
  note += '\n';
  note += kSignaturePrefix;
  note += signer.name;
  note += ' ';
  note += detail::EncodeBase64(signature);
  note += '\n';
  return note;
}

Result<std::string> OpenNote(std::string_view note, const Verifier& verifier) {
  for (std::string_view s = note; !s.empty();) {
    const protocol::detail::DecodedRune r = protocol::detail::DecodeRune(s);
    if ((r.rune < 0x20 && r.rune != '\n') ||
        (r.rune == protocol::detail::kRuneError && r.size == 1)) {
      return Invalid("malformed note: not UTF-8 or a control character");
    }
    s.remove_prefix(r.size);
  }
  const std::size_t split = note.rfind("\n\n");
  if (split == std::string_view::npos) return Invalid("malformed note: no signatures");
  const std::string_view text = note.substr(0, split + 1);
  std::string_view lines = note.substr(split + 2);
  if (lines.empty() || lines.back() != '\n') {
    return Invalid("malformed note: signature block does not end in a newline");
  }

  bool verified = false;
  std::set<std::string> others;
  int count = 0;
  while (!lines.empty()) {
    const std::size_t end = lines.find('\n');
    std::string_view line = lines.substr(0, end);
    lines.remove_prefix(end + 1);
    if (!line.starts_with(kSignaturePrefix)) {
      return Invalid("malformed note: signature line without the em-dash prefix");
    }
    line.remove_prefix(kSignaturePrefix.size());
    const auto [name, b64] = Chop(line, ' ');
    const std::optional<std::string> signature = detail::DecodeBase64(b64);
    if (!IsValidName(name) || !signature || signature->size() < 5) {
      return Invalid("malformed note: malformed signature line");
    }
    if (++count > kMaxSignatures) return Invalid("malformed note: too many signatures");
    std::uint32_t hash = 0;
    for (int i = 0; i < 4; ++i) hash = (hash << 8) | static_cast<unsigned char>((*signature)[i]);
    if (name != verifier.name || hash != verifier.key_hash) {
      others.insert(KeyId(name, hash));
      continue;
    }
    if (verified) continue;  // a repeated signature by the same key
    if (!VerifyEd25519(verifier.public_key, text, std::string_view(*signature).substr(4))) {
      return MakeError(ErrorCode::kIntegrity, "SECURITY ERROR: invalid signature by key " +
                                                  KeyId(name, hash) + " on note");
    }
    verified = true;
  }
  if (!verified) {
    std::string message =
        "SECURITY ERROR: note has no signature by key " + KeyId(verifier.name, verifier.key_hash);
    if (!others.empty()) {
      message += " (signed only by";
      for (const std::string& other : others) message += " " + Quote(other);
      message += ")";
    }
    return MakeError(ErrorCode::kIntegrity, std::move(message));
  }
  return std::string(text);
}

}  // namespace modproxy::tlog
