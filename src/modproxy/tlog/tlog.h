#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "modproxy/core/result.h"

// The checksum database's tamper-evident log (go-modules-reference.md §7.5;
// x/mod sumdb/tlog; RFC 6962 Merkle trees): record and node hashes, the
// Crosby-Wallach order in which a log stores its hashes, tree heads, and
// inclusion ("record") and consistency ("tree") proofs. Pure, no I/O.
//
// Failures: kInvalidArgument for malformed input or impossible coordinates;
// kIntegrity, message starting "SECURITY ERROR", when data does not prove what
// it should (a proof that does not check); errors of a HashReader pass through.
namespace modproxy::tlog {

using Hash = std::array<unsigned char, 32>;

// base64, as hashes are written in tree notes and messages.
std::string FormatHash(const Hash& hash);

// SHA-256(0x00 || data): the hash of a log record (a leaf).
Hash RecordHash(std::string_view data);
// SHA-256(0x01 || left || right): an interior node.
Hash NodeHash(const Hash& left, const Hash& right);

// Where the hash of the node at (level, n) sits in the log's dense hash
// storage: (0,0)=0, (0,1)=1, (1,0)=2, (0,2)=3, ... (§7.5).
std::int64_t StoredHashIndex(int level, std::int64_t n);
// The inverse of StoredHashIndex.
void SplitStoredHashIndex(std::int64_t index, int* level, std::int64_t* n);
// How many hashes a log of n records stores.
std::int64_t StoredHashCount(std::int64_t n);

// Reads stored hashes by StoredHashIndex. Implementations may be called from
// one thread at a time per reader unless they say otherwise.
class HashReader {
 public:
  virtual ~HashReader() = default;
  // The hashes at `indexes`, in the same order (exactly indexes.size() of
  // them), or an error.
  virtual Result<std::vector<Hash>> ReadHashes(const std::vector<std::int64_t>& indexes) = 0;
};

// A HashReader over all the hashes of an in-memory log (index = position);
// kInvalidArgument for an index past the end. Does not own `hashes`.
class VectorHashReader final : public HashReader {
 public:
  explicit VectorHashReader(const std::vector<Hash>& hashes) : hashes_(hashes) {}
  Result<std::vector<Hash>> ReadHashes(const std::vector<std::int64_t>& indexes) override;

 private:
  const std::vector<Hash>& hashes_;
};

// The hashes to append to the log's storage (starting at StoredHashIndex(0, n))
// when record n with `data` is added: its record hash, then the hashes of the
// subtrees it completes. Reads up to log2(n) earlier hashes through `reader`.
Result<std::vector<Hash>> StoredHashes(std::int64_t n, std::string_view data, HashReader& reader);
// The same for an in-memory log whose `stored` hashes are those of records 0..n-1.
std::vector<Hash> StoredHashes(std::int64_t n, std::string_view data,
                               const std::vector<Hash>& stored);

// A tree head: the log's size and root hash.
struct Tree {
  std::int64_t n = 0;
  Hash hash{};
  friend bool operator==(const Tree&, const Tree&) = default;
};

// Parses the text of a tree note: "go.sum database tree\n<N>\n<base64 hash>\n",
// extra lines after those ignored. kInvalidArgument when malformed.
Result<Tree> ParseTree(std::string_view text);
// The text of a tree note, to be signed.
std::string FormatTree(const Tree& tree);

// The root hash of the tree of the first n records, from at most 1 + log2(n)
// stored hashes read in one ReadHashes call. The empty tree's hash is
// SHA-256("") (RFC 6962; x/mod before 2024 used 32 zero bytes).
Result<Hash> TreeHash(std::int64_t n, HashReader& reader);

// The proof that record n is in the tree of size t (RFC 6962 audit path).
// kInvalidArgument unless 0 <= n < t.
Result<std::vector<Hash>> ProveRecord(std::int64_t t, std::int64_t n, HashReader& reader);
// Checks that `proof` shows that the tree of size t with hash th has record n
// with record hash h. kIntegrity when it does not.
Result<void> CheckRecord(const std::vector<Hash>& proof, std::int64_t t, const Hash& th,
                         std::int64_t n, const Hash& h);

// The proof that the tree of size t contains the tree of size n as a prefix
// (RFC 6962 consistency proof). kInvalidArgument unless 1 <= n <= t.
Result<std::vector<Hash>> ProveTree(std::int64_t t, std::int64_t n, HashReader& reader);
// Checks that `proof` shows that the tree of size t with hash th contains the
// tree of size n with hash h. kIntegrity when it does not.
Result<void> CheckTree(const std::vector<Hash>& proof, std::int64_t t, const Hash& th,
                       std::int64_t n, const Hash& h);

// A record as a lookup answer carries it: "<id>\n<text>\n" (text: UTF-8, no
// control characters but '\n', ends in '\n', no blank line).
// kInvalidArgument for invalid text.
Result<std::string> FormatRecord(std::int64_t id, std::string_view text);

struct ParsedRecord {
  std::int64_t id = 0;
  std::string text;  // the go.sum lines, each ending in '\n'
  std::string rest;  // what follows the blank line (a lookup's signed tree note)
};
// Parses a record at the start of `message`, up to its terminating blank line.
// kInvalidArgument when malformed.
Result<ParsedRecord> ParseRecord(std::string_view message);

}  // namespace modproxy::tlog
