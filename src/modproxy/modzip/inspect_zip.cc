#include "modproxy/modzip/inspect_zip.h"

#include <string>
#include <unordered_map>
#include <vector>

#include "modproxy/protocol/dirhash.h"
#include "modproxy/protocol/zip_rules.h"

namespace modproxy::modzip {
namespace {

using protocol::HashedFile;
using protocol::ZipEntry;

// SHA-256 of one entry's decompressed bytes, streamed.
Result<std::array<unsigned char, 32>> HashEntry(protocol::ZipSource& source,
                                                const ZipEntry& entry) {
  protocol::Sha256 sha;
  Result<void> read =
      protocol::ReadZipEntry(source, entry, [&sha](std::string_view chunk) -> Result<void> {
        sha.Update(chunk);
        return {};
      });
  if (!read) return read.error();
  return sha.Finish();
}

// What the zip's own contents caused (kInvalidArgument) becomes a violation;
// anything else is the file failing us.
bool IsContentProblem(const Error& error) { return error.code == ErrorCode::kInvalidArgument; }

// dirhash.HashZip's file list: every entry by name, the bytes read by name,
// which finds the last entry of a name, so both summary lines of a repeated
// name carry the last entry's digest and earlier ones are never read. With
// `violations`, an entry whose bytes disagree with its header is listed there
// (and no list is returned); without, that is the error.
Result<std::vector<HashedFile>> HashByName(protocol::ZipSource& source,
                                           const std::vector<ZipEntry>& entries,
                                           std::vector<std::string>* violations) {
  std::unordered_map<std::string_view, std::size_t> last;
  for (std::size_t i = 0; i < entries.size(); ++i) last[entries[i].name] = i;
  std::unordered_map<std::string_view, std::array<unsigned char, 32>> digests;
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const ZipEntry& entry = entries[i];
    if (last.at(entry.name) != i) continue;
    Result<std::array<unsigned char, 32>> digest = HashEntry(source, entry);
    if (!digest) {
      if (violations == nullptr || !IsContentProblem(digest.error())) return digest.error();
      violations->push_back(digest.error().message);
      continue;
    }
    digests.emplace(entry.name, *digest);
  }
  std::vector<HashedFile> hashed;
  if (violations != nullptr && !violations->empty()) return hashed;
  hashed.reserve(entries.size());
  for (const ZipEntry& entry : entries) hashed.push_back({entry.name, digests.at(entry.name)});
  return hashed;
}

}  // namespace

Result<ZipInspection> InspectZip(protocol::ZipSource& source, std::string_view module,
                                 std::string_view version) {
  ZipInspection inspection;
  // Module, version and file size first, as the go command does: a zip over
  // the limit is refused without reading its directory.
  inspection.violations = protocol::CheckModuleZip(module, version, source.size(), {});
  if (!inspection.violations.empty()) return inspection;

  Result<std::vector<ZipEntry>> entries = protocol::ReadZipDirectory(source);
  if (!entries) {
    if (!IsContentProblem(entries.error())) return entries.error();
    inspection.violations.push_back(entries.error().message);
    return inspection;
  }
  inspection.violations = protocol::CheckModuleZip(module, version, source.size(), *entries);
  if (!inspection.violations.empty()) return inspection;

  // Only directories may repeat after the rules; the go command reads no
  // directory when it unzips, and only the last of a name when it hashes.
  Result<std::vector<HashedFile>> hashed = HashByName(source, *entries, &inspection.violations);
  if (!hashed) return hashed.error();
  if (!inspection.violations.empty()) return inspection;
  for (const ZipEntry& entry : *entries) inspection.files += entry.IsDirectory() ? 0 : 1;
  Result<std::string> h1 = protocol::Hash1(std::move(*hashed));
  if (!h1) {
    // CheckFilePath refuses control characters, so this cannot happen.
    inspection.violations.push_back(h1.error().message);
    return inspection;
  }
  inspection.h1 = std::move(*h1);
  return inspection;
}

Result<std::string> HashZip(protocol::ZipSource& source) {
  Result<std::vector<ZipEntry>> entries = protocol::ReadZipDirectory(source);
  if (!entries) return entries.error();
  Result<std::vector<HashedFile>> hashed = HashByName(source, *entries, nullptr);
  if (!hashed) return hashed.error();
  return protocol::Hash1(std::move(*hashed));
}

}  // namespace modproxy::modzip
