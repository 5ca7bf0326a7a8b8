#pragma once

#include <string>
#include <string_view>

#include "modproxy/core/result.h"

namespace modproxy::cache {

// In a kIntegrity message, marks a download whose hash differs from the
// database's record (as opposed to a misbehaving database): the cache counts
// the two apart.
inline constexpr std::string_view kChecksumMismatch = "checksum mismatch";

// Who vouched for a downloaded file's hash.
struct SumVerdict {
  // The checksum database whose record matched; "" when no database applies
  // to the module (--sumdb off, or a --nosumdb path): only the zip rules and
  // the locally computed hash then stand behind it.
  std::string database;
};

// The checksum-database side of verification on fetch (design.md: "verify"),
// kept behind an interface so the cache does not depend on the sumdb code.
// Blocking: called on fetch workers.
class SumVerifier {
 public:
  virtual ~SumVerifier() = default;
  // Compares `h1` (of the .mod file when `go_mod`, else of the zip) with the
  // database's record of module@version. kIntegrity with a message starting
  // "SECURITY" on a mismatch or a misbehaving database; any other error when
  // it could not check (then nothing may be cached either).
  virtual Result<SumVerdict> Check(std::string_view module, std::string_view version, bool go_mod,
                                   std::string_view h1) = 0;
};

}  // namespace modproxy::cache
