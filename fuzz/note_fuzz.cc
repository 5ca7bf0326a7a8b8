// Signed notes and verifier keys (tlog/note.h). Input: a note (or any text).
// It is opened with two fixed verifiers (x/mod's documentation example and
// a test key); text that a note may carry is signed with the test key and
// must open to itself; each of the first lines is parsed as a verifier key.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_input.h"
#include "modproxy/core/check.h"
#include "modproxy/protocol/text.h"
#include "modproxy/tlog/note.h"

namespace {

using namespace modproxy::tlog;  // NOLINT(google-build-using-namespace)

// The example of x/mod's note documentation; fuzz/corpus/note holds its signed note.
constexpr std::string_view kPeterKey =
    "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";

struct Keys {
  Verifier peter;
  Signer signer;
  Verifier test;
};

const Keys& FixedKeys() {
  static const Keys keys = [] {
    Keys k;
    const modproxy::Result<Verifier> peter = ParseVerifierKey(kPeterKey);
    MODPROXY_CHECK(peter.has_value());
    k.peter = *peter;
    k.signer = MakeTestSigner("fuzz.test", "modproxy fuzz");
    const modproxy::Result<Verifier> test = ParseVerifierKey(FormatVerifierKey(k.signer));
    MODPROXY_CHECK(test.has_value());
    MODPROXY_CHECK(test->name == k.signer.name && test->key_hash == k.signer.key_hash);
    k.test = *test;
    return k;
  }();
  return keys;
}

void CheckOpen(std::string_view note, const Verifier& verifier) {
  const modproxy::Result<std::string> text = OpenNote(note, verifier);
  if (!text) {
    const modproxy::Error& e = text.error();
    MODPROXY_CHECK(
        e.code == modproxy::ErrorCode::kInvalidArgument ||
        (e.code == modproxy::ErrorCode::kIntegrity && e.message.starts_with("SECURITY ERROR")));
    MODPROXY_CHECK(e.message.find('\n') == std::string::npos);
    return;
  }
  // The text is the note up to the blank line before the signatures.
  MODPROXY_CHECK(!text->empty() && text->back() == '\n');
  MODPROXY_CHECK(note.starts_with(*text) && note.size() > text->size() + 1);
  MODPROXY_CHECK(note[text->size()] == '\n');
}

// What a note's text may be: UTF-8 with no control character but '\n',
// ending in '\n'.
bool IsNoteText(std::string_view s) {
  if (s.empty() || s.back() != '\n' || !modproxy::protocol::detail::IsValidUtf8(s)) return false;
  for (const char c : s) {
    if (static_cast<unsigned char>(c) < 0x20 && c != '\n') return false;
  }
  return true;
}

void CheckVerifierKey(std::string_view line) {
  const modproxy::Result<Verifier> v = ParseVerifierKey(line);
  if (!v) {
    MODPROXY_CHECK(v.error().code == modproxy::ErrorCode::kInvalidArgument);
    return;
  }
  MODPROXY_CHECK(!v->name.empty() && v->name.find('+') == std::string::npos);
  MODPROXY_CHECK(line.starts_with(v->name + "+") && line.size() > v->name.size() + 10);
  MODPROXY_CHECK(line[v->name.size() + 9] == '+');
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const Keys& keys = FixedKeys();
  const std::string_view input = modproxy::fuzz::AsText(data, size);
  CheckOpen(input, keys.peter);
  CheckOpen(input, keys.test);

  const auto lines = modproxy::fuzz::SplitInput(input, '\n', 4);
  for (const std::string_view line : lines) CheckVerifierKey(line);

  if (IsNoteText(input)) {
    const std::string note = SignNote(input, keys.signer);
    const modproxy::Result<std::string> opened = OpenNote(note, keys.test);
    MODPROXY_CHECK(opened.has_value() && *opened == input);
    // Signed by another key only: a security error, not a malformed note.
    const modproxy::Result<std::string> other = OpenNote(note, keys.peter);
    MODPROXY_CHECK(!other && other.error().code == modproxy::ErrorCode::kIntegrity);
    // Any change to the signed text breaks the signature.
    std::string tampered = note;
    tampered[0] = tampered[0] == 'a' ? 'b' : 'a';
    const modproxy::Result<std::string> bad = OpenNote(tampered, keys.test);
    MODPROXY_CHECK(!bad);
  }
  return 0;
}
