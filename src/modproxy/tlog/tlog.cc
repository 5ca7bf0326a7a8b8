#include "modproxy/tlog/tlog.h"

#include <bit>
#include <cstdint>
#include <limits>
#include <optional>
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

constexpr std::string_view kTreePrefix = "go.sum database tree\n";

Error Invalid(std::string message) {
  return MakeError(ErrorCode::kInvalidArgument, std::move(message));
}

Error ProofFailed(std::string message) {
  return MakeError(ErrorCode::kIntegrity, "SECURITY ERROR: " + std::move(message));
}

// Fetched once: EVP_sha256() would look the implementation up on every call.
const EVP_MD* Sha256() {
  static const EVP_MD* const md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  MODPROXY_CHECK(md != nullptr);
  return md;
}

Hash Sha256Of(const void* data, std::size_t size) {
  Hash out{};
  unsigned int written = 0;
  MODPROXY_CHECK(EVP_Digest(data, size, out.data(), &written, Sha256(), nullptr) == 1);
  return out;
}

// The largest power of two <= size (size >= 1), and its log2.
std::pair<std::int64_t, int> FloorPow2(std::int64_t size) {
  const int level = 63 - std::countl_zero(static_cast<std::uint64_t>(size));
  return {std::int64_t{1} << level, level};
}

// The largest power of two < size (size >= 2): where RFC 6962 splits [lo, hi).
std::int64_t SplitPoint(std::int64_t size) { return FloorPow2(size - 1).first; }

// Reads a proof's hashes back in the order their indexes were listed.
class HashCursor {
 public:
  explicit HashCursor(const std::vector<Hash>& hashes) : hashes_(hashes) {}
  const Hash& Next() {
    MODPROXY_CHECK(pos_ < hashes_.size());
    return hashes_[pos_++];
  }
  bool done() const { return pos_ == hashes_.size(); }

 private:
  const std::vector<Hash>& hashes_;
  std::size_t pos_ = 0;
};

// The stored hashes whose fold gives the hash of records [lo, hi): one per
// maximal aligned power-of-two run, left to right.
void SubTreeIndexes(std::int64_t lo, std::int64_t hi, std::vector<std::int64_t>* out) {
  while (lo < hi) {
    const auto [k, level] = FloorPow2(hi - lo);
    MODPROXY_CHECK((lo & (k - 1)) == 0);
    out->push_back(StoredHashIndex(level, lo >> level));
    lo += k;
  }
}

Hash SubTreeHash(std::int64_t lo, std::int64_t hi, HashCursor* cursor) {
  std::vector<Hash> parts;
  for (; lo < hi; lo += FloorPow2(hi - lo).first) parts.push_back(cursor->Next());
  MODPROXY_CHECK(!parts.empty());
  Hash hash = parts.back();
  for (std::size_t i = parts.size() - 1; i-- > 0;) hash = NodeHash(parts[i], hash);
  return hash;
}

Result<std::vector<Hash>> ReadExactly(HashReader& reader,
                                      const std::vector<std::int64_t>& indexes) {
  Result<std::vector<Hash>> hashes = reader.ReadHashes(indexes);
  if (!hashes) return hashes.error();
  if (hashes->size() != indexes.size()) {
    return MakeError(ErrorCode::kInternal, "tlog: ReadHashes returned " +
                                               std::to_string(hashes->size()) + " hashes for " +
                                               std::to_string(indexes.size()) + " indexes");
  }
  return hashes;
}

// --- record (inclusion) proofs over [lo, hi) for record n ---

void RecordProofIndexes(std::int64_t lo, std::int64_t hi, std::int64_t n,
                        std::vector<std::int64_t>* out) {
  if (hi - lo == 1) return;
  const std::int64_t k = SplitPoint(hi - lo);
  if (n < lo + k) {
    RecordProofIndexes(lo, lo + k, n, out);
    SubTreeIndexes(lo + k, hi, out);
  } else {
    SubTreeIndexes(lo, lo + k, out);
    RecordProofIndexes(lo + k, hi, n, out);
  }
}

// The proof lists the sibling hashes from the leaf up to the root.
void BuildRecordProof(std::int64_t lo, std::int64_t hi, std::int64_t n, HashCursor* cursor,
                      std::vector<Hash>* proof) {
  if (hi - lo == 1) return;
  const std::int64_t k = SplitPoint(hi - lo);
  if (n < lo + k) {
    BuildRecordProof(lo, lo + k, n, cursor, proof);
    proof->push_back(SubTreeHash(lo + k, hi, cursor));
  } else {
    const Hash left = SubTreeHash(lo, lo + k, cursor);
    BuildRecordProof(lo + k, hi, n, cursor, proof);
    proof->push_back(left);
  }
}

// The root hash of [lo, hi) implied by the first `size` proof entries.
std::optional<Hash> RunRecordProof(const std::vector<Hash>& proof, std::size_t size,
                                   std::int64_t lo, std::int64_t hi, std::int64_t n,
                                   const Hash& leaf) {
  if (hi - lo == 1) return size == 0 ? std::optional<Hash>(leaf) : std::nullopt;
  if (size == 0) return std::nullopt;
  const std::int64_t k = SplitPoint(hi - lo);
  const Hash& sibling = proof[size - 1];
  if (n < lo + k) {
    const std::optional<Hash> left = RunRecordProof(proof, size - 1, lo, lo + k, n, leaf);
    if (!left) return std::nullopt;
    return NodeHash(*left, sibling);
  }
  const std::optional<Hash> right = RunRecordProof(proof, size - 1, lo + k, hi, n, leaf);
  if (!right) return std::nullopt;
  return NodeHash(sibling, *right);
}

// --- tree (consistency) proofs over [lo, hi) for the old size n ---

void TreeProofIndexes(std::int64_t lo, std::int64_t hi, std::int64_t n,
                      std::vector<std::int64_t>* out) {
  if (n == hi) {
    // The verifier knows the old tree's own hash; any other common subtree is sent.
    if (lo != 0) SubTreeIndexes(lo, hi, out);
    return;
  }
  const std::int64_t k = SplitPoint(hi - lo);
  if (n <= lo + k) {
    TreeProofIndexes(lo, lo + k, n, out);
    SubTreeIndexes(lo + k, hi, out);
  } else {
    SubTreeIndexes(lo, lo + k, out);
    TreeProofIndexes(lo + k, hi, n, out);
  }
}

void BuildTreeProof(std::int64_t lo, std::int64_t hi, std::int64_t n, HashCursor* cursor,
                    std::vector<Hash>* proof) {
  if (n == hi) {
    if (lo != 0) proof->push_back(SubTreeHash(lo, hi, cursor));
    return;
  }
  const std::int64_t k = SplitPoint(hi - lo);
  if (n <= lo + k) {
    BuildTreeProof(lo, lo + k, n, cursor, proof);
    proof->push_back(SubTreeHash(lo + k, hi, cursor));
  } else {
    const Hash left = SubTreeHash(lo, lo + k, cursor);
    BuildTreeProof(lo + k, hi, n, cursor, proof);
    proof->push_back(left);
  }
}

// The hashes of [lo, hi) in the old tree (first) and the new tree (second)
// implied by the first `size` proof entries.
std::optional<std::pair<Hash, Hash>> RunTreeProof(const std::vector<Hash>& proof, std::size_t size,
                                                  std::int64_t lo, std::int64_t hi, std::int64_t n,
                                                  const Hash& old) {
  if (n == hi) {
    if (lo == 0) return size == 0 ? std::optional(std::pair(old, old)) : std::nullopt;
    if (size != 1) return std::nullopt;
    return std::pair(proof[0], proof[0]);
  }
  if (size == 0) return std::nullopt;
  const std::int64_t k = SplitPoint(hi - lo);
  const Hash& sibling = proof[size - 1];
  if (n <= lo + k) {
    const auto left = RunTreeProof(proof, size - 1, lo, lo + k, n, old);
    if (!left) return std::nullopt;
    return std::pair(left->first, NodeHash(left->second, sibling));
  }
  const auto right = RunTreeProof(proof, size - 1, lo + k, hi, n, old);
  if (!right) return std::nullopt;
  return std::pair(NodeHash(sibling, right->first), NodeHash(sibling, right->second));
}

// tlog's isValidRecordText: UTF-8, no control byte but '\n', no blank line,
// ends in '\n'.
bool IsValidRecordText(std::string_view text) {
  if (text.empty() || text.back() != '\n') return false;
  if (text.find("\n\n") != std::string_view::npos) return false;
  for (std::string_view s = text; !s.empty();) {
    const protocol::detail::DecodedRune r = protocol::detail::DecodeRune(s);
    if ((r.rune < 0x20 && r.rune != '\n') ||
        (r.rune == protocol::detail::kRuneError && r.size == 1)) {
      return false;
    }
    s.remove_prefix(r.size);
  }
  return true;
}

}  // namespace

std::string FormatHash(const Hash& hash) {
  return detail::EncodeBase64(
      std::string_view(reinterpret_cast<const char*>(hash.data()), hash.size()));
}

Hash RecordHash(std::string_view data) {
  std::string input(1, '\x00');
  input += data;
  return Sha256Of(input.data(), input.size());
}

Hash NodeHash(const Hash& left, const Hash& right) {
  std::array<unsigned char, 1 + 2 * 32> input{};
  input[0] = 0x01;
  std::copy(left.begin(), left.end(), input.begin() + 1);
  std::copy(right.begin(), right.end(), input.begin() + 1 + 32);
  return Sha256Of(input.data(), input.size());
}

std::int64_t StoredHashIndex(int level, std::int64_t n) {
  // The node is stored right after the last leaf of its subtree, whose index
  // among the leaves is (n+1)*2^level - 1; leaf m is stored at m + m/2 + m/4 + ...
  for (int l = level; l > 0; --l) n = 2 * n + 1;
  std::int64_t index = 0;
  for (; n > 0; n >>= 1) index += n;
  return index + level;
}

void SplitStoredHashIndex(std::int64_t index, int* level, std::int64_t* n) {
  // StoredHashIndex(0, m) lies in [m, 2m], so the leaf stored last at or
  // before `index` is at most log2(index) leaves after index/2.
  std::int64_t leaf = index / 2;
  std::int64_t leaf_index = StoredHashIndex(0, leaf);
  MODPROXY_CHECK(leaf_index <= index);
  for (;;) {
    // Leaf m is followed by the 1 + trailing_ones(m) hashes it completes.
    const std::int64_t next =
        leaf_index + 1 + std::countr_zero(static_cast<std::uint64_t>(leaf + 1));
    if (next > index) break;
    ++leaf;
    leaf_index = next;
  }
  *level = static_cast<int>(index - leaf_index);
  *n = leaf >> *level;
}

std::int64_t StoredHashCount(std::int64_t n) {
  if (n == 0) return 0;
  std::int64_t count = StoredHashIndex(0, n - 1) + 1;
  for (std::uint64_t i = static_cast<std::uint64_t>(n - 1); (i & 1) != 0; i >>= 1) ++count;
  return count;
}

Result<std::vector<Hash>> VectorHashReader::ReadHashes(const std::vector<std::int64_t>& indexes) {
  std::vector<Hash> out;
  out.reserve(indexes.size());
  for (const std::int64_t index : indexes) {
    if (index < 0 || static_cast<std::uint64_t>(index) >= hashes_.size()) {
      return Invalid("tlog: stored hash " + std::to_string(index) + " is not in a log of " +
                     std::to_string(hashes_.size()) + " hashes");
    }
    out.push_back(hashes_[static_cast<std::size_t>(index)]);
  }
  return out;
}

Result<std::vector<Hash>> StoredHashes(std::int64_t n, std::string_view data, HashReader& reader) {
  // Record n completes one subtree per trailing 1 bit of n; each needs the
  // stored hash of its left sibling, read here smallest index first.
  const int completed = std::countr_one(static_cast<std::uint64_t>(n));
  std::vector<std::int64_t> indexes(static_cast<std::size_t>(completed));
  for (int i = 0; i < completed; ++i) {
    indexes[static_cast<std::size_t>(completed - 1 - i)] = StoredHashIndex(i, (n >> i) - 1);
  }
  Result<std::vector<Hash>> siblings = ReadExactly(reader, indexes);
  if (!siblings) return siblings.error();
  std::vector<Hash> hashes{RecordHash(data)};
  for (int i = 0; i < completed; ++i) {
    hashes.push_back(
        NodeHash((*siblings)[static_cast<std::size_t>(completed - 1 - i)], hashes.back()));
  }
  return hashes;
}

std::vector<Hash> StoredHashes(std::int64_t n, std::string_view data,
                               const std::vector<Hash>& stored) {
  VectorHashReader reader(stored);
  Result<std::vector<Hash>> hashes = StoredHashes(n, data, reader);
  MODPROXY_CHECK(hashes.has_value());
  return std::move(hashes).value();
}

Result<Tree> ParseTree(std::string_view text) {
  const Error malformed = Invalid("malformed tree note");
  if (!text.starts_with(kTreePrefix) || text.size() > 1'000'000) return malformed;
  std::string_view rest = text.substr(kTreePrefix.size());
  const std::size_t end_n = rest.find('\n');
  if (end_n == std::string_view::npos) return malformed;
  const std::string_view size = rest.substr(0, end_n);
  rest.remove_prefix(end_n + 1);
  const std::size_t end_hash = rest.find('\n');
  if (end_hash == std::string_view::npos) return malformed;
  const std::optional<std::int64_t> n = protocol::detail::ParseDecimalDigits(size);
  if (!n || std::to_string(*n) != size) return malformed;
  const std::optional<std::string> hash = detail::DecodeBase64(rest.substr(0, end_hash));
  if (!hash || hash->size() != 32) return malformed;
  Tree tree{*n, {}};
  std::copy(hash->begin(), hash->end(), tree.hash.begin());
  return tree;
}

std::string FormatTree(const Tree& tree) {
  return std::string(kTreePrefix) + std::to_string(tree.n) + "\n" + FormatHash(tree.hash) + "\n";
}

Result<Hash> TreeHash(std::int64_t n, HashReader& reader) {
  if (n < 0) return Invalid("tlog: negative tree size");
  if (n == 0) return Sha256Of("", 0);
  std::vector<std::int64_t> indexes;
  SubTreeIndexes(0, n, &indexes);
  Result<std::vector<Hash>> hashes = ReadExactly(reader, indexes);
  if (!hashes) return hashes.error();
  HashCursor cursor(*hashes);
  const Hash hash = SubTreeHash(0, n, &cursor);
  MODPROXY_CHECK(cursor.done());
  return hash;
}

Result<std::vector<Hash>> ProveRecord(std::int64_t t, std::int64_t n, HashReader& reader) {
  if (t < 0 || n < 0 || n >= t) {
    return Invalid("tlog: no record " + std::to_string(n) + " in a tree of size " +
                   std::to_string(t));
  }
  std::vector<std::int64_t> indexes;
  RecordProofIndexes(0, t, n, &indexes);
  if (indexes.empty()) return std::vector<Hash>();
  Result<std::vector<Hash>> hashes = ReadExactly(reader, indexes);
  if (!hashes) return hashes.error();
  HashCursor cursor(*hashes);
  std::vector<Hash> proof;
  BuildRecordProof(0, t, n, &cursor, &proof);
  MODPROXY_CHECK(cursor.done());
  return proof;
}

Result<void> CheckRecord(const std::vector<Hash>& proof, std::int64_t t, const Hash& th,
                         std::int64_t n, const Hash& h) {
  if (t < 0 || n < 0 || n >= t) {
    return Invalid("tlog: no record " + std::to_string(n) + " in a tree of size " +
                   std::to_string(t));
  }
  const std::optional<Hash> root = RunRecordProof(proof, proof.size(), 0, t, n, h);
  if (!root || *root != th) {
    return ProofFailed("proof does not show record " + std::to_string(n) + " in tree " +
                       std::to_string(t));
  }
  return {};
}

Result<std::vector<Hash>> ProveTree(std::int64_t t, std::int64_t n, HashReader& reader) {
  if (t < 1 || n < 1 || n > t) {
    return Invalid("tlog: cannot prove tree " + std::to_string(n) + " in tree " +
                   std::to_string(t));
  }
  std::vector<std::int64_t> indexes;
  TreeProofIndexes(0, t, n, &indexes);
  if (indexes.empty()) return std::vector<Hash>();
  Result<std::vector<Hash>> hashes = ReadExactly(reader, indexes);
  if (!hashes) return hashes.error();
  HashCursor cursor(*hashes);
  std::vector<Hash> proof;
  BuildTreeProof(0, t, n, &cursor, &proof);
  MODPROXY_CHECK(cursor.done());
  return proof;
}

Result<void> CheckTree(const std::vector<Hash>& proof, std::int64_t t, const Hash& th,
                       std::int64_t n, const Hash& h) {
  if (t < 1 || n < 1 || n > t) {
    return Invalid("tlog: cannot check tree " + std::to_string(n) + " in tree " +
                   std::to_string(t));
  }
  const auto roots = RunTreeProof(proof, proof.size(), 0, t, n, h);
  if (!roots || roots->first != h || roots->second != th) {
    return ProofFailed("proof does not show tree " + std::to_string(n) + " as a prefix of tree " +
                       std::to_string(t));
  }
  return {};
}

Result<std::string> FormatRecord(std::int64_t id, std::string_view text) {
  if (!IsValidRecordText(text)) return Invalid("malformed record text");
  return std::to_string(id) + "\n" + std::string(text) + "\n";
}

Result<ParsedRecord> ParseRecord(std::string_view message) {
  const Error malformed = Invalid("malformed record");
  const std::size_t end_id = message.find('\n');
  if (end_id == std::string_view::npos) return malformed;
  const std::optional<std::int64_t> id =
      protocol::detail::ParseDecimalDigits(message.substr(0, end_id));
  if (!id) return malformed;
  message.remove_prefix(end_id + 1);
  const std::size_t blank = message.find("\n\n");
  if (blank == std::string_view::npos) return malformed;
  const std::string_view text = message.substr(0, blank + 1);
  if (!IsValidRecordText(text)) return malformed;
  return ParsedRecord{*id, std::string(text), std::string(message.substr(blank + 2))};
}

}  // namespace modproxy::tlog
