#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "modproxy/protocol/zip_reader.h"

// The rules the go command applies to a downloaded module zip before it
// trusts it (go-modules-reference.md §5.5; x/mod zip.CheckZip). Pure.
namespace modproxy::protocol {

// Every violation, one line each, in entry order, each naming the zip entry
// as the go command does ("<entry name>: <reason>", with Go's reasons), e.g.
//   example.com/m@v1.0.0/../x: file path is not clean
//   example.com/m@v1.0.0/M.GO: case-insensitive file name collision: "m.go" and "M.GO"
// Zip-wide problems (an invalid module@version, which stops the check; a zip
// or a total uncompressed size over kMaxZipBytes) have no entry name. Names
// that are not printable UTF-8 are shown quoted and escaped, so every
// violation stays on one line. Empty: the zip passes every rule.
//
// Rules: module@version canonical and valid (CheckModuleVersion); zip_size
// within kMaxZipBytes; each name starts with "module@version/" (an entry
// equal to that prefix is skipped, as Go does; a trailing '/' marks a
// directory); the rest is path.Clean and passes CheckFilePath (which refuses absolute paths); no
// two entries equal under Unicode simple case folding (strings.EqualFold),
// including a file and a directory, exact duplicates, and every parent
// directory of every entry; a go.mod in any letter case is allowed only as
// exactly the root "go.mod"; declared uncompressed sizes total at most
// kMaxZipBytes; root go.mod and root LICENSE at most kMaxGoModBytes and
// kMaxLicenseBytes.
//
// Stricter than the go command: symlink entries (ZipEntry::IsSymlink) are
// refused. The go command never writes one into a zip it creates (it omits
// symlinks), and extracts every entry as a regular file, so a symlink entry
// means the zip was not made by the go command.
std::vector<std::string> CheckModuleZip(std::string_view module, std::string_view version,
                                        std::uint64_t zip_size,
                                        const std::vector<ZipEntry>& entries);

// Go's path.Clean for slash-separated paths (exposed for tests).
std::string CleanPath(std::string_view path);

}  // namespace modproxy::protocol
