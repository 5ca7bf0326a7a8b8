#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "modproxy/core/result.h"
#include "modproxy/tlog/note.h"
#include "modproxy/tlog/tile.h"
#include "modproxy/tlog/tlog.h"

namespace modproxy::sumdb {

// An in-memory checksum database for tests: records added one by one, served
// at the paths and in the formats of x/mod's sumdb server (§7.1, §7.2):
// "latest", "lookup/<escaped module>@<escaped version>", and hash and data
// tiles "tile/H/L/N[.p/W]" for any height, a tile being served only when the
// tree holds all of its w entries (so partial tiles at each width, and the
// full tile once complete). The tree note is signed by `signer`. Thread-safe.
class TestDatabase {
 public:
  explicit TestDatabase(tlog::Signer signer);
  // A database named `name` signed by tlog::MakeTestSigner(name, seed_text):
  // two databases with the same name and seed have the same key.
  explicit TestDatabase(std::string_view name, std::string_view seed_text = "test");
  TestDatabase(const TestDatabase&) = delete;
  TestDatabase& operator=(const TestDatabase&) = delete;

  // Appends a record for module@version with the given go.sum lines (record
  // text, each line ending in '\n'; a test may put anything there) and
  // returns its id. A module@version added twice keeps its first record.
  std::int64_t Add(std::string_view module, std::string_view version, std::string_view text);
  // Adds the usual two lines "M V h1:<fake>\nM V/go.mod h1:<fake>\n", with
  // fake hashes derived from module@version.
  std::int64_t AddModule(std::string_view module, std::string_view version);
  // The two lines AddModule records, without their '\n'.
  static std::vector<std::string> GoSumLines(std::string_view module, std::string_view version);

  // Serves `path` (relative, as ClientOps::ReadRemote gets it). kNotFound for
  // an unknown module@version or a tile beyond the tree, kInvalidArgument for
  // a malformed path.
  Result<std::string> Serve(std::string_view path) const;

  // The signed note of the current tree (what "latest" serves).
  std::string SignedTree() const;
  tlog::Tree tree() const;
  std::int64_t size() const;
  const tlog::Signer& signer() const { return signer_; }
  // The verifier key string of the signer: "name+hash+key".
  std::string VerifierKey() const;
  tlog::Verifier verifier() const;

 private:
  Result<std::string> ServeTile(std::string_view path) const;
  Result<std::string> ServeLookup(std::string_view mod_ver) const;
  tlog::Tree TreeLocked() const;

  const tlog::Signer signer_;
  mutable std::mutex mutex_;
  std::vector<std::string> records_;         // guarded by mutex_
  std::vector<tlog::Hash> stored_;           // guarded by mutex_
  std::map<std::string, std::int64_t> ids_;  // "module@version" -> id; guarded by mutex_
};

}  // namespace modproxy::sumdb
