#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "modproxy/core/result.h"

// Module zips built from files, as the go command builds them
// (go-modules-reference.md §5.1-§5.4; x/mod zip.Create, zip.CreateFromDir and
// the go command's coderepo Zip, Go 1.19.8). The zip's h1 then equals the one
// the go command computes for the same files, so the versions modproxy builds
// (direct mode, `modproxy pack`) verify against go.sum and the checksum
// database.
//
// Failures are Go's own texts, prefixed "create zip: " as zip.Create prefixes
// them. When several files are invalid, Go reports all of them, one per line:
// those messages are the only ones here with '\n' in them.
namespace modproxy::zipbuild {

enum class FileKind { kRegular, kSymlink, kOther };

struct SourceFile {
  std::string path;  // slash-separated, relative to the module root
  FileKind kind = FileKind::kRegular;
  // The size the selection rules and limits use (x/mod takes it from Lstat).
  // Direct mode passes git blob sizes; WriteModuleZip re-checks the limits
  // on the bytes read() returns (see there).
  std::uint64_t size = 0;
  // The bytes that go into the zip. Called only by WriteModuleZip, once per
  // selected file, in order; never for omitted files.
  std::function<Result<std::string>()> read;
};

// zip.Create's checks before writing: the version is canonical ("version
// \"v1.0\" is not canonical (should be \"v1.0.0\")"), the module path is
// valid, and the version fits its major-version suffix ("M@V: invalid
// version: should be v2, not v1"; like the go command, also no
// +incompatible on a version that needs none). kInvalidArgument.
Result<void> CheckModuleVersionForZip(std::string_view module, std::string_view version);

// zip.Create's file selection (x/mod checkFiles) in its order: the files
// that go into the zip, in the given order, or the error that makes the
// whole version unbuildable.
//
// Omitted (left out silently): files under a directory that holds a regular
// file whose name case-folds to "go.mod" (nested modules, that go.mod
// included); files in vendored packages (the historic rule of x/mod v0.7.0,
// which Go 1.19.8 vendors: no dependence on the go directive); the root
// ".hg_archival.txt"; symlinks; other non-regular files. The omissions for
// vendored packages and nested modules come before any check, the others
// after the name checks: a symlink named "a:b" is fatal although a
// well-named one is just left out.
//
// Invalid (the version cannot be built, kNotFound as proxy.golang.org
// answers such versions with "not found"): a path that is not clean or not
// relative, fails CheckFilePath, is a root "go.mod" in another letter case,
// collides under Unicode case folding with an earlier file or directory, is
// used as both file and directory, or repeats; a root go.mod or LICENSE over
// 16 MiB; files totalling over 500 MiB (that one error alone is reported,
// as Go does). Module and version are checked first
// (CheckModuleVersionForZip).
Result<std::vector<SourceFile>> SelectModuleFiles(std::string_view module, std::string_view version,
                                                  std::vector<SourceFile> files);

// Writes a module zip with one entry "module@version/path" per file, in the
// given order (deflate, data descriptors, no directory entries, zero
// timestamps, as Go's archive/zip writes them; zip64 records when there are
// 65535 entries or more, or offsets and sizes reach 4 GiB), streaming it to
// `sink` one entry at a time. `files` is normally SelectModuleFiles' result.
//
// Where x/mod refuses a file whose bytes outnumber its declared size, this
// checks the limits again on the bytes read() actually returns (total
// 500 MiB, root go.mod and LICENSE 16 MiB, with Go's messages): direct mode
// declares git blob sizes, while the bytes are git archive's, after
// .gitattributes conversions. Errors from read() and sink pass through; on
// any error the bytes already sent to the sink are not a usable zip.
Result<void> WriteModuleZip(std::string_view module, std::string_view version,
                            const std::vector<SourceFile>& files,
                            const std::function<Result<void>(std::string_view)>& sink);

// zip.CreateFromDir's walk of a directory on disk: every regular file in
// filepath.Walk order (names sorted byte-wise within each directory,
// depth-first), as kRegular with its lstat size, read() reading it. Left out
// as x/mod leaves them out: directories named .bzr, .git, .hg or .svn (below
// the root), directories below the root holding a non-directory "go.mod",
// vendored packages, symlinks (never followed) and other non-regular files.
// SelectModuleFiles then applies the rest. kStorage when a directory cannot
// be read (as Walk fails); kNotFound when `dir` does not exist.
Result<std::vector<SourceFile>> ListDirectory(const std::string& dir);

// The bytes of the file at `path`, as the SourceFile::read of ListDirectory
// reads them (also what `modproxy pack` reads DIR/go.mod with). kNotFound
// when it does not exist, kStorage for other errors; the message is
// "open <path>: <reason>" or "read <path>: <reason>".
Result<std::string> ReadWholeFile(const std::string& path);

}  // namespace modproxy::zipbuild
