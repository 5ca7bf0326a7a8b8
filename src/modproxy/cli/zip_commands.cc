// `modproxy hash zip|mod FILE` and `modproxy check-zip FILE MODULE VERSION`:
// the go command's h1 hashes and module-zip checks, for files on disk.
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <memory>
#include <string>

#include "modproxy/cli/subcommand.h"
#include "modproxy/modzip/inspect_zip.h"
#include "modproxy/protocol/dirhash.h"
#include "modproxy/protocol/zip_reader.h"

namespace modproxy::cli {
namespace {

constexpr int kExitOk = 0;
constexpr int kExitFailed = 1;

struct ZipArgs {
  std::string file;
  std::string module;
  std::string version;
};

int Fail(const std::string& command, const std::string& message) {
  std::fprintf(stderr, "modproxy %s: %s\n", command.c_str(), message.c_str());
  return kExitFailed;
}

void PrintLine(const std::string& line) {
  std::fwrite(line.data(), 1, line.size(), stdout);
  std::fputc('\n', stdout);
}

// Messages about the zip's contents may not name the file; I/O errors do.
std::string About(const std::string& file, const Error& error) {
  return error.code == ErrorCode::kStorage ? error.message : file + ": " + error.message;
}

int HashZipFile(const ZipArgs& args) {
  Result<std::unique_ptr<protocol::ZipSource>> source = modzip::OpenZipFile(args.file);
  if (!source) return Fail("hash zip", source.error().message);
  Result<std::string> h1 = modzip::HashZip(**source);
  if (!h1) return Fail("hash zip", About(args.file, h1.error()));
  PrintLine(*h1);
  return kExitOk;
}

// The go.mod h1, streamed: any file size, bounded memory.
int HashModFile(const ZipArgs& args) {
  const int fd = ::open(args.file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Fail("hash mod", args.file + ": open: " + std::strerror(errno));
  protocol::Sha256 sha;
  char buf[64 * 1024];
  while (true) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int err = errno;
      ::close(fd);
      return Fail("hash mod", args.file + ": read: " + std::strerror(err));
    }
    if (n == 0) break;
    sha.Update(std::string_view(buf, static_cast<std::size_t>(n)));
  }
  ::close(fd);
  Result<std::string> h1 = protocol::Hash1({protocol::HashedFile{"go.mod", sha.Finish()}});
  PrintLine(*h1);
  return kExitOk;
}

int CheckZipFile(const ZipArgs& args) {
  Result<std::unique_ptr<protocol::ZipSource>> source = modzip::OpenZipFile(args.file);
  if (!source) return Fail("check-zip", source.error().message);
  Result<modzip::ZipInspection> inspection =
      modzip::InspectZip(**source, args.module, args.version);
  if (!inspection) return Fail("check-zip", About(args.file, inspection.error()));
  for (const std::string& violation : inspection->violations) PrintLine(violation);
  if (!inspection->violations.empty()) return kExitFailed;
  PrintLine("ok: " + args.module + "@" + args.version + ", " + std::to_string(inspection->files) +
            " files, " + inspection->h1);
  return kExitOk;
}

}  // namespace

RunSubcommand AddHashCommand(CLI::App& app) {
  CLI::App* command = app.add_subcommand("hash", "print the h1: hash the go command computes");
  command->require_subcommand(1);
  auto args = std::make_shared<ZipArgs>();
  CLI::App* zip = command->add_subcommand("zip", "h1 of a module zip (go.sum's \"M V h1:\")");
  zip->add_option("file", args->file, "zip file")->required();
  CLI::App* mod = command->add_subcommand("mod", "h1 of a go.mod (go.sum's \"M V/go.mod h1:\")");
  mod->add_option("file", args->file, "go.mod file")->required();
  command->footer("Exit status: 0 hash printed, 1 unreadable or malformed file, 2 usage error.");
  return [args, zip] { return zip->parsed() ? HashZipFile(*args) : HashModFile(*args); };
}

RunSubcommand AddCheckZipCommand(CLI::App& app) {
  CLI::App* command = app.add_subcommand(
      "check-zip", "check a module zip as the go command does before using it, and hash it");
  auto args = std::make_shared<ZipArgs>();
  command->add_option("file", args->file, "zip file")->required();
  command->add_option("module", args->module, "module path, e.g. golang.org/x/text")->required();
  command->add_option("version", args->version, "canonical version, e.g. v0.14.0")->required();
  command->footer(
      "Prints every violation of the go command's module zip rules (go-modules-reference.md\n"
      "§5.5: names, case-fold collisions, go.mod placement, sizes) and of the entries' bytes\n"
      "against their headers, one per line; symlink entries are refused too. A valid zip\n"
      "prints \"ok: MODULE@VERSION, N files, h1:...\".\n"
      "Exit status: 0 valid, 1 violations or unreadable file, 2 usage error.");
  return [args] { return CheckZipFile(*args); };
}

}  // namespace modproxy::cli
