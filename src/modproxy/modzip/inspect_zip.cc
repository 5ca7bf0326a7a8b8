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

  // The rules leave no duplicate names, so each entry is hashed once.
  std::vector<HashedFile> hashed;
  hashed.reserve(entries->size());
  for (const ZipEntry& entry : *entries) {
    Result<std::array<unsigned char, 32>> digest = HashEntry(source, entry);
    if (!digest) {
      if (!IsContentProblem(digest.error())) return digest.error();
      inspection.violations.push_back(digest.error().message);
      continue;
    }
    hashed.push_back(HashedFile{entry.name, *digest});
    if (!entry.IsDirectory()) ++inspection.files;
  }
  if (!inspection.violations.empty()) {
    inspection.files = 0;
    return inspection;
  }
  Result<std::string> h1 = protocol::Hash1(std::move(hashed));
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
  // dirhash.HashZip opens entries by name, which finds the last entry of a
  // name: earlier duplicates are never read.
  std::unordered_map<std::string_view, std::size_t> last;
  for (std::size_t i = 0; i < entries->size(); ++i) last[(*entries)[i].name] = i;
  std::unordered_map<std::string_view, std::array<unsigned char, 32>> digests;
  for (std::size_t i = 0; i < entries->size(); ++i) {
    const ZipEntry& entry = (*entries)[i];
    if (last.at(entry.name) != i) continue;
    Result<std::array<unsigned char, 32>> digest = HashEntry(source, entry);
    if (!digest) return digest.error();
    digests.emplace(entry.name, *digest);
  }
  std::vector<HashedFile> hashed;
  hashed.reserve(entries->size());
  for (const ZipEntry& entry : *entries) hashed.push_back({entry.name, digests.at(entry.name)});
  return protocol::Hash1(std::move(hashed));
}

}  // namespace modproxy::modzip
