// Tree notes, records and Merkle proofs (tlog/tlog.h). The whole input is
// parsed as a tree note and as a lookup record; then the same bytes drive a
// small log (records, sizes, a byte to corrupt) whose record and tree proofs
// must check, and must stop checking once corrupted.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <fuzzer/FuzzedDataProvider.h>

#include "fuzz_input.h"
#include "modproxy/core/check.h"
#include "modproxy/tlog/tlog.h"

namespace {

using namespace modproxy::tlog;  // NOLINT(google-build-using-namespace)

constexpr std::string_view kTreePrefix = "go.sum database tree\n";

void CheckParseTree(std::string_view text) {
  const modproxy::Result<Tree> tree = ParseTree(text);
  if (!tree) {
    MODPROXY_CHECK(tree.error().code == modproxy::ErrorCode::kInvalidArgument);
    return;
  }
  MODPROXY_CHECK(tree->n >= 0);
  MODPROXY_CHECK(text.starts_with(std::string(kTreePrefix) + std::to_string(tree->n) + "\n"));
  const modproxy::Result<Tree> again = ParseTree(FormatTree(*tree));
  MODPROXY_CHECK(again.has_value() && *again == *tree);
}

void CheckParseRecord(std::string_view message) {
  const modproxy::Result<ParsedRecord> record = ParseRecord(message);
  if (!record) return;
  MODPROXY_CHECK(record->id >= 0);
  MODPROXY_CHECK(message.ends_with("\n\n" + record->rest));
  const modproxy::Result<std::string> formatted = FormatRecord(record->id, record->text);
  MODPROXY_CHECK(formatted.has_value());
  const modproxy::Result<ParsedRecord> again = ParseRecord(*formatted + record->rest);
  MODPROXY_CHECK(again.has_value() && again->id == record->id && again->text == record->text &&
                 again->rest == record->rest);
}

Hash Corrupt(Hash hash, std::uint8_t byte, std::uint8_t flip) {
  hash[byte % hash.size()] ^= static_cast<unsigned char>(flip | 1);
  return hash;
}

void CheckProofs(FuzzedDataProvider& fdp) {
  const int records = fdp.ConsumeIntegralInRange(1, 70);
  std::vector<Hash> stored;
  std::vector<Hash> record_hashes;
  for (int i = 0; i < records; ++i) {
    const std::string data = fdp.ConsumeRandomLengthString(16);
    record_hashes.push_back(RecordHash(data));
    const std::vector<Hash> added = StoredHashes(i, data, stored);
    stored.insert(stored.end(), added.begin(), added.end());
    MODPROXY_CHECK(static_cast<std::int64_t>(stored.size()) == StoredHashCount(i + 1));
  }
  VectorHashReader reader(stored);
  const std::int64_t t = fdp.ConsumeIntegralInRange<std::int64_t>(1, records);
  const std::int64_t n = fdp.ConsumeIntegralInRange<std::int64_t>(0, t - 1);
  const std::int64_t m = fdp.ConsumeIntegralInRange<std::int64_t>(1, t);
  const auto byte = fdp.ConsumeIntegral<std::uint8_t>();
  const auto flip = fdp.ConsumeIntegral<std::uint8_t>();

  const modproxy::Result<Hash> th = TreeHash(t, reader);
  const modproxy::Result<Hash> mh = TreeHash(m, reader);
  MODPROXY_CHECK(th.has_value() && mh.has_value());
  if (t == 1) MODPROXY_CHECK(*th == record_hashes[0]);

  const modproxy::Result<std::vector<Hash>> record_proof = ProveRecord(t, n, reader);
  MODPROXY_CHECK(record_proof.has_value());
  MODPROXY_CHECK(CheckRecord(*record_proof, t, *th, n, record_hashes[n]).has_value());
  const auto refuses = [](const modproxy::Result<void>& r) {
    return !r && r.error().code == modproxy::ErrorCode::kIntegrity;
  };
  MODPROXY_CHECK(
      refuses(CheckRecord(*record_proof, t, Corrupt(*th, byte, flip), n, record_hashes[n])));
  MODPROXY_CHECK(
      refuses(CheckRecord(*record_proof, t, *th, n, Corrupt(record_hashes[n], byte, flip))));
  if (!record_proof->empty()) {
    std::vector<Hash> bad = *record_proof;
    Hash& h = bad[flip % bad.size()];
    h = Corrupt(h, byte, flip);
    MODPROXY_CHECK(refuses(CheckRecord(bad, t, *th, n, record_hashes[n])));
  }

  const modproxy::Result<std::vector<Hash>> tree_proof = ProveTree(t, m, reader);
  MODPROXY_CHECK(tree_proof.has_value());
  MODPROXY_CHECK(CheckTree(*tree_proof, t, *th, m, *mh).has_value());
  MODPROXY_CHECK(refuses(CheckTree(*tree_proof, t, *th, m, Corrupt(*mh, byte, flip))));
  if (!tree_proof->empty()) {
    std::vector<Hash> bad = *tree_proof;
    Hash& h = bad[flip % bad.size()];
    h = Corrupt(h, byte, flip);
    MODPROXY_CHECK(refuses(CheckTree(bad, t, *th, m, *mh)));
  }

  // Out-of-range coordinates are refused, never proved.
  MODPROXY_CHECK(!ProveRecord(t, t, reader));
  MODPROXY_CHECK(!ProveTree(t, t + 1, reader));
  MODPROXY_CHECK(!ProveTree(t, 0, reader));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input = modproxy::fuzz::AsText(data, size);
  CheckParseTree(input);
  CheckParseRecord(input);
  FuzzedDataProvider fdp(data, size);
  CheckProofs(fdp);
  return 0;
}
