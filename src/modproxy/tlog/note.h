#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "modproxy/core/result.h"

// Signed notes and their keys (go-modules-reference.md §7.3, §7.4; x/mod
// sumdb/note): a text ending in '\n', a blank line, then "— <name> <base64>"
// signature lines, Ed25519 only. Pure, no I/O; thread-compatible values.
namespace modproxy::tlog {

// A public key that checks one database's signatures.
struct Verifier {
  std::string name;                            // "sum.golang.org"
  std::uint32_t key_hash = 0;                  // first 4 bytes of SHA-256(name "\n" 0x01 key)
  std::array<unsigned char, 32> public_key{};  // Ed25519
};

// Parses "<name>+<8 hex>+<base64(0x01 || 32-byte key)>". kInvalidArgument
// saying what is wrong: a bad name, a hash that is not 8 hex digits or does
// not match the key, an unknown algorithm byte, bad base64 or a key of the
// wrong length.
Result<Verifier> ParseVerifierKey(std::string_view vkey);

// Opens a signed note with one trusted verifier and returns its text (with
// the final '\n', without the blank line). Signatures by other keys are
// ignored. kInvalidArgument for a malformed note (not UTF-8, a control
// character, no blank line before the signatures, a malformed signature line,
// more than 100 signatures); kIntegrity, message starting "SECURITY ERROR",
// when the verifier's signature is present but invalid or when no line is
// signed by the verifier.
Result<std::string> OpenNote(std::string_view note, const Verifier& verifier);

// A private key that signs notes (tests and test databases; the proxy itself
// never signs).
struct Signer {
  std::string name;
  std::uint32_t key_hash = 0;
  std::array<unsigned char, 32> seed{};  // the Ed25519 private key seed
};

// Parses "PRIVATE+KEY+<name>+<8 hex>+<base64(0x01 || 32-byte seed)>"; the hash
// must match the public key derived from the seed. kInvalidArgument otherwise.
Result<Signer> ParseSignerKey(std::string_view skey);

// A signer named `name` whose seed is SHA-256(`seed_text`): a fixed,
// reproducible key for tests.
Signer MakeTestSigner(std::string_view name, std::string_view seed_text);

// The signer's public key as a verifier key string "name+hash+key".
std::string FormatVerifierKey(const Signer& signer);

// `text` (which must end in '\n') signed by `signer`: text, blank line, one
// signature line.
std::string SignNote(std::string_view text, const Signer& signer);

}  // namespace modproxy::tlog
