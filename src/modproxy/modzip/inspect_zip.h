#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "modproxy/core/result.h"
#include "modproxy/protocol/zip_reader.h"

// Module zips on disk: the go command's download checks (zip.CheckZip plus
// every entry's bytes against its header) and its h1 hash (dirhash.HashZip),
// in one streaming pass with bounded memory whatever the zip declares. Used by
// the cache before it serves a zip, and by `modproxy check-zip` / `hash zip`.
// Blocking (reads the file): call from a worker thread, never an I/O thread.
namespace modproxy::modzip {

// A ZipSource over a local file (pread), for the cache and the CLI. The size
// is taken when the file is opened. kStorage when the file cannot be opened or
// is not a regular file; reads that fail or come up short later are kStorage.
Result<std::unique_ptr<protocol::ZipSource>> OpenZipFile(const std::string& path);

struct ZipInspection {
  std::vector<std::string> violations;  // empty: the zip passes every rule
  std::string h1;                       // set only when violations is empty
  std::uint64_t files = 0;              // entries that are not directories
};

// Reads the directory, applies protocol::CheckModuleZip, and when that passes
// streams every entry through SHA-256 (protocol::ReadZipEntry) to compute the
// h1 exactly as the go command's dirhash.HashZip does (names with the
// module@version/ prefix, directory entries hashed as empty files). A
// directory that cannot be read, or an entry whose bytes disagree with its
// header, is a violation, not an error (every bad entry is listed); errors
// are only for I/O (kStorage) on the file itself. A zip over
// protocol::kMaxZipBytes is refused from its size alone, as the go command does.
Result<ZipInspection> InspectZip(protocol::ZipSource& source, std::string_view module,
                                 std::string_view version);

// h1 of any zip, without the module rules (what `modproxy hash zip` prints):
// every entry by its full name, directories included; for a name used twice,
// both summary lines use the last such entry's bytes, as dirhash.HashZip does.
// kInvalidArgument for a malformed zip or entry, or a name containing '\n'.
Result<std::string> HashZip(protocol::ZipSource& source);

}  // namespace modproxy::modzip
