#include "modproxy/tlog/note.h"

#include <string>
#include <string_view>

#include <gtest/gtest.h>

namespace modproxy::tlog {
namespace {

// The example of x/mod's note package documentation (go-modules-reference.md §7.4).
constexpr std::string_view kPeterVerifierKey =
    "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
constexpr std::string_view kPeterSignerKey =
    "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
constexpr std::string_view kEnochVerifierKey =
    "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop";
constexpr std::string_view kText =
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n";
constexpr std::string_view kPeterSig =
    "\xE2\x80\x94 PeterNeumann "
    "x08go/ZJkuBS9UG/"
    "SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";
constexpr std::string_view kEnochSig =
    "\xE2\x80\x94 EnochRoot "
    "rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/"
    "5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n";

Verifier Peter() {
  Result<Verifier> v = ParseVerifierKey(kPeterVerifierKey);
  EXPECT_TRUE(v.has_value()) << v.error().message;
  return *v;
}

std::string Note(std::string_view sigs) { return std::string(kText) + "\n" + std::string(sigs); }

TEST(VerifierKeyTest, ParsesSumGolangOrgKey) {
  Result<Verifier> v =
      ParseVerifierKey("sum.golang.org+033de0ae+Ac4zctda0e5eza+HJyk9SxEdh+s3Ux18htTTAD8OuAn8");
  ASSERT_TRUE(v.has_value()) << v.error().message;
  EXPECT_EQ(v->name, "sum.golang.org");
  EXPECT_EQ(v->key_hash, 0x033de0aeu);
  EXPECT_EQ(v->public_key[0], 0xce);  // "Ac4z" = 0x01 0xce 0x33
  EXPECT_EQ(v->public_key[1], 0x33);
}

TEST(VerifierKeyTest, ParsesDocumentationKey) {
  const Verifier v = Peter();
  EXPECT_EQ(v.name, "PeterNeumann");
  EXPECT_EQ(v.key_hash, 0xc74f20a3u);
}

TEST(VerifierKeyTest, RejectsEverySubstringAndEveryChangedByte) {
  std::string key(kPeterVerifierKey);
  for (std::size_t i = 0; i <= key.size(); ++i) {
    for (std::size_t j = i + 1; j <= key.size(); ++j) {
      if (i == 0 && j == key.size()) continue;
      EXPECT_FALSE(ParseVerifierKey(key.substr(i, j - i)).has_value()) << key.substr(i, j - i);
    }
  }
  for (char& c : key) {
    ++c;
    EXPECT_FALSE(ParseVerifierKey(key).has_value()) << key;
    --c;
  }
}

TEST(VerifierKeyTest, SaysWhatIsWrong) {
  // x/mod's vectors: a 36-byte key and algorithm 0x65, each with a matching hash.
  Result<Verifier> long_key = ParseVerifierKey(
      "PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY==");
  ASSERT_FALSE(long_key.has_value());
  EXPECT_EQ(long_key.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(long_key.error().message.find("want 32"), std::string::npos)
      << long_key.error().message;
  Result<Verifier> algorithm =
      ParseVerifierKey("PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW");
  ASSERT_FALSE(algorithm.has_value());
  EXPECT_NE(algorithm.error().message.find("algorithm"), std::string::npos);
  Result<Verifier> hash =
      ParseVerifierKey("PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW");
  ASSERT_FALSE(hash.has_value());
  EXPECT_NE(hash.error().message.find("does not match"), std::string::npos);
  Result<Verifier> name =
      ParseVerifierKey("Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW");
  ASSERT_FALSE(name.has_value());
  EXPECT_NE(name.error().message.find("invalid name"), std::string::npos);
  EXPECT_EQ(name.error().message.find('\n'), std::string::npos);
  Result<Verifier> base64 = ParseVerifierKey("PeterNeumann+c74f20a3+ARpc2QcUPD!");
  ASSERT_FALSE(base64.has_value());
  EXPECT_NE(base64.error().message.find("base64"), std::string::npos);
}

TEST(SignerKeyTest, SignsTheDocumentationNoteExactly) {
  Result<Signer> signer = ParseSignerKey(kPeterSignerKey);
  ASSERT_TRUE(signer.has_value()) << signer.error().message;
  EXPECT_EQ(signer->name, "PeterNeumann");
  EXPECT_EQ(signer->key_hash, 0xc74f20a3u);
  EXPECT_EQ(FormatVerifierKey(*signer), kPeterVerifierKey);
  EXPECT_EQ(SignNote(kText, *signer), Note(kPeterSig));  // Ed25519 is deterministic
}

TEST(SignerKeyTest, RejectsEverySubstringAndEveryChangedByte) {
  std::string key(kPeterSignerKey);
  for (std::size_t i = 0; i <= key.size(); ++i) {
    for (std::size_t j = i + 1; j <= key.size(); ++j) {
      if (i == 0 && j == key.size()) continue;
      EXPECT_FALSE(ParseSignerKey(key.substr(i, j - i)).has_value()) << key.substr(i, j - i);
    }
  }
  for (char& c : key) {
    ++c;
    EXPECT_FALSE(ParseSignerKey(key).has_value()) << key;
    --c;
  }
}

TEST(SignerKeyTest, TestSignersAreReproducibleAndVerify) {
  const Signer a = MakeTestSigner("sum.test", "seed");
  const Signer b = MakeTestSigner("sum.test", "seed");
  const Signer c = MakeTestSigner("sum.test", "other seed");
  EXPECT_EQ(FormatVerifierKey(a), FormatVerifierKey(b));
  EXPECT_NE(FormatVerifierKey(a), FormatVerifierKey(c));
  Result<Verifier> v = ParseVerifierKey(FormatVerifierKey(a));
  ASSERT_TRUE(v.has_value()) << v.error().message;
  Result<std::string> text = OpenNote(SignNote("hello\n", a), *v);
  ASSERT_TRUE(text.has_value()) << text.error().message;
  EXPECT_EQ(*text, "hello\n");
  EXPECT_FALSE(OpenNote(SignNote("hello\n", c), *v).has_value());
}

TEST(OpenNoteTest, ReturnsTheTextOfTheDocumentationNote) {
  Result<std::string> text = OpenNote(Note(kPeterSig), Peter());
  ASSERT_TRUE(text.has_value()) << text.error().message;
  EXPECT_EQ(*text, kText);
}

TEST(OpenNoteTest, IgnoresOtherKeysAndRepeatedSignatures) {
  std::string enoch_bad(kEnochSig);
  enoch_bad.insert(60, "ABCD");
  const std::string note =
      Note(std::string(kPeterSig) + std::string(kPeterSig) + std::string(kEnochSig) + enoch_bad);
  Result<std::string> text = OpenNote(note, Peter());
  ASSERT_TRUE(text.has_value()) << text.error().message;
  EXPECT_EQ(*text, kText);

  Result<Verifier> enoch = ParseVerifierKey(kEnochVerifierKey);
  ASSERT_TRUE(enoch.has_value());
  EXPECT_TRUE(OpenNote(Note(std::string(kPeterSig) + std::string(kEnochSig)), *enoch).has_value());
}

TEST(OpenNoteTest, AnInvalidSignatureByTheVerifierIsASecurityError) {
  std::string bad(kPeterSig);
  bad.insert(60, "ABCD");
  Result<std::string> text = OpenNote(Note(bad), Peter());
  ASSERT_FALSE(text.has_value());
  EXPECT_EQ(text.error().code, ErrorCode::kIntegrity);
  EXPECT_EQ(text.error().message.rfind("SECURITY ERROR", 0), 0u) << text.error().message;
  EXPECT_NE(text.error().message.find("PeterNeumann+c74f20a3"), std::string::npos);

  std::string changed = Note(kPeterSig);
  changed[0] = 'i';
  EXPECT_EQ(OpenNote(changed, Peter()).error().code, ErrorCode::kIntegrity);
}

TEST(OpenNoteTest, ANoteWithoutTheVerifiersSignatureIsASecurityError) {
  Result<std::string> text = OpenNote(Note(kEnochSig), Peter());
  ASSERT_FALSE(text.has_value());
  EXPECT_EQ(text.error().code, ErrorCode::kIntegrity);
  EXPECT_EQ(text.error().message.rfind("SECURITY ERROR", 0), 0u);
  EXPECT_NE(text.error().message.find("EnochRoot+af0cfe78"), std::string::npos)
      << text.error().message;
  EXPECT_EQ(text.error().message.find('\n'), std::string::npos);

  // Same name, another key hash: not this verifier's signature either.
  std::string other_hash(kPeterSig);
  other_hash.replace(other_hash.find("x08g"), 4, "xxxx");
  EXPECT_EQ(OpenNote(Note(other_hash), Peter()).error().code, ErrorCode::kIntegrity);
}

TEST(OpenNoteTest, RejectsMalformedNotes) {
  std::string peter_sig(kPeterSig);
  std::string too_many;
  for (int i = 0; i < 101; ++i) too_many += peter_sig;
  const std::string bad[] = {
      std::string(kText),
      std::string(kText) + "\n",
      Note(peter_sig.substr(0, peter_sig.size() - 1)),
      "\x01" + Note(peter_sig),
      "\xff" + Note(peter_sig),
      Note("\xE2\x80\x94 Bad Name "
           "x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6Ryy"
           "BwJnAM=\n"),
      Note(peter_sig + "Unexpected line.\n"),
      Note("\xE2\x80\x94 PeterNeumann x08go/Z\n"),
      Note("\xE2\x80\x94 PeterNeumann AAAA\n"),
      Note("\xE2\x80\x94 PeterNeumann \n"),
      Note(too_many),
  };
  for (const std::string& note : bad) {
    Result<std::string> text = OpenNote(note, Peter());
    ASSERT_FALSE(text.has_value()) << note;
    EXPECT_EQ(text.error().code, ErrorCode::kInvalidArgument) << note;
  }
}

}  // namespace
}  // namespace modproxy::tlog
