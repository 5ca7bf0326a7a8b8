#include "modproxy/tlog/tlog.h"

#include <cstdint>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace modproxy::tlog {
namespace {

// An in-memory log: every stored hash, and each tree head so far.
struct TestLog {
  std::vector<Hash> stored;
  std::vector<Hash> leaves;
  std::vector<Hash> roots;  // roots[k] is the hash of the tree of size k+1

  void Add(const std::string& data) {
    const std::int64_t n = static_cast<std::int64_t>(leaves.size());
    std::vector<Hash> hashes = StoredHashes(n, data, stored);
    stored.insert(stored.end(), hashes.begin(), hashes.end());
    leaves.push_back(RecordHash(data));
    VectorHashReader reader(stored);
    Result<Hash> root = TreeHash(n + 1, reader);
    ASSERT_TRUE(root.has_value()) << root.error().message;
    roots.push_back(*root);
  }
};

// Reads from a vector and checks that the proofs ask for increasing indexes.
class OrderedReader final : public HashReader {
 public:
  explicit OrderedReader(const std::vector<Hash>& hashes) : inner_(hashes) {}
  Result<std::vector<Hash>> ReadHashes(const std::vector<std::int64_t>& indexes) override {
    for (std::size_t i = 1; i < indexes.size(); ++i) EXPECT_LT(indexes[i - 1], indexes[i]);
    return inner_.ReadHashes(indexes);
  }

 private:
  VectorHashReader inner_;
};

TEST(TlogTest, StoredHashIndexFollowsTheReferenceOrder) {
  EXPECT_EQ(StoredHashIndex(0, 0), 0);
  EXPECT_EQ(StoredHashIndex(0, 1), 1);
  EXPECT_EQ(StoredHashIndex(1, 0), 2);
  EXPECT_EQ(StoredHashIndex(0, 2), 3);
  EXPECT_EQ(StoredHashIndex(0, 3), 4);
  EXPECT_EQ(StoredHashIndex(1, 1), 5);
  EXPECT_EQ(StoredHashIndex(2, 0), 6);
}

TEST(TlogTest, SplitStoredHashIndexInvertsStoredHashIndex) {
  for (int level = 0; level < 10; ++level) {
    for (std::int64_t n = 0; n < 100; ++n) {
      int l = -1;
      std::int64_t m = -1;
      SplitStoredHashIndex(StoredHashIndex(level, n), &l, &m);
      ASSERT_EQ(l, level) << n;
      ASSERT_EQ(m, n) << level;
    }
  }
}

TEST(TlogTest, HashesRecordsAndNodesAsRfc6962) {
  EXPECT_EQ(FormatHash(RecordHash("hello world")), "TszzRgjTG6xce+z2AG31kAXYKBgQVtCSCE40HmuwBb0=");
  TestLog log;
  for (const char* record : {"a\n", "b\n", "c\n"}) log.Add(record);
  EXPECT_EQ(FormatHash(log.roots[2]), "XJVgyeqZ3X9TFi1DypBArCfAZ7Mw9+RuHRSxcezTLPE=");
  EXPECT_EQ(log.roots[2], NodeHash(NodeHash(log.leaves[0], log.leaves[1]), log.leaves[2]));
  EXPECT_EQ(log.roots[0], log.leaves[0]);
}

TEST(TlogTest, TreeOfTheCapturedLookupHasTheSignedRoot) {
  TestLog log;
  log.Add(
      "example.com/hello v1.0.0 h1:L/nIJOxRkFmfc5xWc5zi2OY88eOj1UIHImdsCpyL6Sw=\n"
      "example.com/hello v1.0.0/go.mod h1:/e89k18/YPK2tKb/SZ+fXRKQE7ccT7r6I4hbIHESRTc=\n");
  EXPECT_EQ(FormatHash(log.roots[0]), "30OcSJWH/R8aJ5CMhTIhUYWkpfkyDgmuSL6qnQ3ia/A=");
}

TEST(TlogTest, EmptyTreeHashIsSha256OfNothing) {
  std::vector<Hash> none;
  VectorHashReader reader(none);
  Result<Hash> root = TreeHash(0, reader);
  ASSERT_TRUE(root.has_value());
  EXPECT_EQ(FormatHash(*root), "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=");
}

TEST(TlogTest, ProvesAndChecksEveryRecordAndEveryTreeUpTo100Records) {
  TestLog log;
  for (std::int64_t i = 0; i < 100; ++i) {
    log.Add("leaf " + std::to_string(i));
    const std::int64_t t = i + 1;
    ASSERT_EQ(StoredHashCount(t), static_cast<std::int64_t>(log.stored.size()));
    const Hash& th = log.roots[static_cast<std::size_t>(i)];
    OrderedReader reader(log.stored);
    for (std::int64_t n = 0; n < t; ++n) {
      const Hash& leaf = log.leaves[static_cast<std::size_t>(n)];
      Result<std::vector<Hash>> proof = ProveRecord(t, n, reader);
      ASSERT_TRUE(proof.has_value()) << proof.error().message;
      ASSERT_TRUE(CheckRecord(*proof, t, th, n, leaf).has_value()) << t << " " << n;
      for (Hash& hash : *proof) {
        hash[0] ^= 1;
        Result<void> bad = CheckRecord(*proof, t, th, n, leaf);
        ASSERT_FALSE(bad.has_value()) << t << " " << n;
        EXPECT_EQ(bad.error().code, ErrorCode::kIntegrity);
        hash[0] ^= 1;
      }
      std::vector<Hash> longer = *proof;
      longer.push_back(th);
      EXPECT_FALSE(CheckRecord(longer, t, th, n, leaf).has_value());
      if (!proof->empty()) {
        std::vector<Hash> shorter(proof->begin(), proof->end() - 1);
        EXPECT_FALSE(CheckRecord(shorter, t, th, n, leaf).has_value());
      }
      EXPECT_FALSE(CheckRecord(*proof, t, th, n, RecordHash("other")).has_value());
    }
    for (std::int64_t n = 1; n <= t; ++n) {
      const Hash& h = log.roots[static_cast<std::size_t>(n - 1)];
      Result<std::vector<Hash>> proof = ProveTree(t, n, reader);
      ASSERT_TRUE(proof.has_value()) << proof.error().message;
      ASSERT_TRUE(CheckTree(*proof, t, th, n, h).has_value()) << t << " " << n;
      for (Hash& hash : *proof) {
        hash[0] ^= 1;
        Result<void> bad = CheckTree(*proof, t, th, n, h);
        ASSERT_FALSE(bad.has_value()) << t << " " << n;
        EXPECT_EQ(bad.error().code, ErrorCode::kIntegrity);
        hash[0] ^= 1;
      }
      std::vector<Hash> longer = *proof;
      longer.push_back(h);
      EXPECT_FALSE(CheckTree(longer, t, th, n, h).has_value());
      if (n < t) {
        EXPECT_FALSE(CheckTree(*proof, t, th, n, RecordHash("other")).has_value());
      }
    }
  }
}

TEST(TlogTest, RejectsImpossibleProofCoordinates) {
  std::vector<Hash> none;
  VectorHashReader reader(none);
  EXPECT_EQ(ProveRecord(3, 3, reader).error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(ProveRecord(3, -1, reader).error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(ProveTree(3, 4, reader).error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(ProveTree(3, 0, reader).error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(CheckRecord({}, 0, Hash{}, 0, Hash{}).error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(CheckTree({}, 2, Hash{}, 3, Hash{}).error().code, ErrorCode::kInvalidArgument);
  // A reader's own failure passes through.
  EXPECT_EQ(ProveRecord(3, 0, reader).error().code, ErrorCode::kInvalidArgument);
}

TEST(TreeNoteTest, FormatsAndParsesTheReferenceTree) {
  const std::string golden =
      "go.sum database tree\n123456789012\nTszzRgjTG6xce+z2AG31kAXYKBgQVtCSCE40HmuwBb0=\n";
  const Tree tree{123456789012, RecordHash("hello world")};
  EXPECT_EQ(FormatTree(tree), golden);
  Result<Tree> parsed = ParseTree(golden);
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(*parsed, tree);
  for (const std::string& extra :
       {std::string("JOE"), std::string("JOE\n"), std::string(4000, 'x')}) {
    Result<Tree> with_extra = ParseTree(golden + extra);
    ASSERT_TRUE(with_extra.has_value()) << extra;
    EXPECT_EQ(*with_extra, tree);
  }
}

TEST(TreeNoteTest, RejectsMalformedTrees) {
  const std::string hash = "TszzRgjTG6xce+z2AG31kAXYKBgQVtCSCE40HmuwBb0=";
  for (const std::string& bad : std::vector<std::string>{
           "not-go.sum database tree\n1\n" + hash + "\n",
           "go.sum database tree\n0xabcdef\n" + hash + "\n",
           std::string("go.sum database tree\n123456789012\n") +
               "TszzRgjTG6xce+z2AG31kAXYKBgQVtCSCE40HmuwBTOOBIG=\n",
           "go.sum database tree\n01\n" + hash + "\n",
           "go.sum database tree\n-1\n" + hash + "\n",
           "go.sum database tree\n+1\n" + hash + "\n",
           "go.sum database tree\n1\n" + hash,
           "go.sum database tree\n99999999999999999999\n" + hash + "\n",
           std::string("go.sum database tree\n1\nAAAA\n"),
           "go.sum database tree\n1\n" + hash + "\n" + std::string(1'000'000, 'x'),
       }) {
    Result<Tree> tree = ParseTree(bad);
    ASSERT_FALSE(tree.has_value()) << bad.substr(0, 100);
    EXPECT_EQ(tree.error().code, ErrorCode::kInvalidArgument);
  }
}

TEST(RecordTest, FormatsRecords) {
  Result<std::string> record = FormatRecord(123456789012, "hello, world\n");
  ASSERT_TRUE(record.has_value());
  EXPECT_EQ(*record, "123456789012\nhello, world\n\n");
  for (const char* bad : {"", "hello\nworld", "hello\n\nworld\n", "hello\x01world\n"}) {
    EXPECT_FALSE(FormatRecord(1, bad).has_value()) << bad;
  }
}

TEST(RecordTest, ParsesRecordsAndKeepsTheRest) {
  Result<ParsedRecord> record = ParseRecord("123456789012\nhello, world\n\njunk on end\x01\xff");
  ASSERT_TRUE(record.has_value());
  EXPECT_EQ(record->id, 123456789012);
  EXPECT_EQ(record->text, "hello, world\n");
  EXPECT_EQ(record->rest, "junk on end\x01\xff");
  Result<ParsedRecord> bare = ParseRecord("7\nhello, world\n\n");
  ASSERT_TRUE(bare.has_value());
  EXPECT_EQ(bare->rest, "");
  for (const char* bad :
       {"not-123\nhello, world\n\n", "123\nhello\x01world\n\n", "123\nhello\xffworld\n\n",
        "123\nhello world\n", "0x123\nhello world\n\n", "-1\nhello world\n\n"}) {
    EXPECT_FALSE(ParseRecord(bad).has_value()) << bad;
  }
}

}  // namespace
}  // namespace modproxy::tlog
