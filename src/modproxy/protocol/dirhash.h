#pragma once

#include <array>
#include <string>
#include <string_view>
#include <vector>

#include "modproxy/core/result.h"

// The go command's "h1:" hashes (go-modules-reference.md §6): what go.sum and
// the checksum database record for a module's zip and for its go.mod.
namespace modproxy::protocol {

struct HashedFile {
  std::string name;
  std::array<unsigned char, 32> sha256;  // of the file's content
};

// dirhash.Hash1: sorts by name (byte order), hashes the lines
// "<hex sha256>  <name>\n" with SHA-256 and returns "h1:" + base64 of that.
// kInvalidArgument when a name contains '\n'. Duplicate names are hashed as
// given (the go command gives both the content of the last such zip entry).
Result<std::string> Hash1(std::vector<HashedFile> files);

// The h1 of a .mod file (one file named "go.mod"), as in "M V/go.mod h1:...".
std::string HashGoMod(std::string_view mod);

// SHA-256 of bytes that arrive in pieces (for zip entries streamed in chunks).
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  void Update(std::string_view bytes);
  // The digest; the object must not be used afterwards.
  std::array<unsigned char, 32> Finish();

 private:
  void* ctx_;  // EVP_MD_CTX, kept out of this header
};

}  // namespace modproxy::protocol
