// `modproxy pack DIR MODULE VERSION`: a module version built from a directory
// as the go command would build it (zip.CreateFromDir's walk and rules), as
// the .info/.mod/.zip files a GOPROXY serves, either side by side or into a
// modproxy cache.
#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <memory>
#include <string>
#include <vector>

#include "modproxy/cache/keys.h"
#include "modproxy/cli/subcommand.h"
#include "modproxy/modzip/inspect_zip.h"
#include "modproxy/protocol/dirhash.h"
#include "modproxy/protocol/module_path.h"
#include "modproxy/protocol/semver.h"
#include "modproxy/protocol/version_list.h"
#include "modproxy/storage/storage.h"
#include "modproxy/vcs/gomod.h"
#include "modproxy/zipbuild/zipbuild.h"

namespace modproxy::cli {
namespace {

constexpr int kExitOk = 0;
constexpr int kExitFailed = 1;
constexpr int kExitUsage = 2;

struct PackArgs {
  std::string dir;
  std::string module;
  std::string version;
  std::string into;  // a modproxy cache directory
  std::string out;   // a plain directory for V.info, V.mod, V.zip
  std::string time;  // the .info Time; now when empty
};

// One packed version before anything is published.
struct Packed {
  std::string info;
  std::string mod;
  std::string zip_h1;
  std::string mod_h1;
};

int Fail(int code, const std::string& message) {
  std::fprintf(stderr, "modproxy pack: %s\n", message.c_str());
  return code;
}

std::string Errno(const std::string& what, const std::string& path) {
  return what + " " + path + ": " + std::strerror(errno);
}

// RFC 3339 as Go's time.Time JSON decoding reads .info files:
// YYYY-MM-DDTHH:MM:SS[.fraction](Z|+hh:mm|-hh:mm).
bool IsRfc3339(const std::string& t) {
  const auto digits = [&](std::size_t at, std::size_t n, int max) {
    if (at + n > t.size()) return false;
    int value = 0;
    for (std::size_t i = at; i < at + n; ++i) {
      if (!std::isdigit(static_cast<unsigned char>(t[i]))) return false;
      value = value * 10 + (t[i] - '0');
    }
    return value <= max;
  };
  if (t.size() < 20 || !digits(0, 4, 9999) || t[4] != '-' || !digits(5, 2, 12) || t[7] != '-' ||
      !digits(8, 2, 31) || t[10] != 'T' || !digits(11, 2, 23) || t[13] != ':' ||
      !digits(14, 2, 59) || t[16] != ':' || !digits(17, 2, 59)) {
    return false;
  }
  if (t.substr(5, 2) == "00" || t.substr(8, 2) == "00") return false;
  std::size_t i = 19;
  if (t[i] == '.') {
    const std::size_t start = ++i;
    while (i < t.size() && std::isdigit(static_cast<unsigned char>(t[i]))) ++i;
    if (i == start) return false;
  }
  if (i + 1 == t.size() && t[i] == 'Z') return true;
  return i + 6 == t.size() && (t[i] == '+' || t[i] == '-') && digits(i + 1, 2, 23) &&
         t[i + 3] == ':' && digits(i + 4, 2, 59);
}

std::string NowRfc3339() {
  const std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm utc{};
  ::gmtime_r(&now, &utc);
  char buffer[32];
  std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return buffer;
}

// The .mod: DIR/go.mod byte for byte, whose module directive must name the
// module; without one, the go.mod the go command synthesizes ("module M\n").
// The go command refuses +incompatible for a tree with a go.mod
// (coderepo.go), since such a tree opted in to semantic import versioning.
Result<std::string> GoModFor(const PackArgs& args) {
  const std::string path = args.dir + "/go.mod";
  struct stat st;
  if (::lstat(path.c_str(), &st) != 0) {
    if (errno != ENOENT) return MakeError(ErrorCode::kStorage, Errno("lstat", path));
    return vcs::LegacyGoMod(args.module);
  }
  if (!S_ISREG(st.st_mode)) {
    return MakeError(ErrorCode::kInvalidArgument,
                     path + " is not a regular file (the zip would leave it out)");
  }
  Result<std::string> mod = zipbuild::ReadWholeFile(path);
  if (!mod) return mod;
  const std::string declared = vcs::ModulePathFromGoMod(*mod);
  if (declared.empty()) {
    return MakeError(ErrorCode::kInvalidArgument, path + " has no module directive");
  }
  if (declared != args.module) {
    return MakeError(ErrorCode::kInvalidArgument,
                     path + " declares module \"" + declared + "\", not \"" + args.module + "\"");
  }
  if (protocol::semver::Build(args.version) == "+incompatible") {
    return MakeError(ErrorCode::kInvalidArgument,
                     args.module + "@" + args.version +
                         ": invalid version: module contains a go.mod file, so module path "
                         "must match major version (\"" +
                         args.module + "/" + protocol::semver::Major(args.version) + "\")");
  }
  return mod;
}

// Lists, selects and writes the zip to `sink`, as zip.CreateFromDir would.
Result<void> BuildZip(const PackArgs& args,
                      const std::function<Result<void>(std::string_view)>& sink) {
  Result<std::vector<zipbuild::SourceFile>> listed = zipbuild::ListDirectory(args.dir);
  if (!listed) return listed.error();
  Result<std::vector<zipbuild::SourceFile>> selected =
      zipbuild::SelectModuleFiles(args.module, args.version, std::move(*listed));
  if (!selected) return selected.error();
  return zipbuild::WriteModuleZip(args.module, args.version, *selected, sink);
}

// The written zip read back as the go command reads a download: every rule,
// every entry's bytes, and the h1.
Result<std::string> CheckWrittenZip(const std::string& path, const PackArgs& args) {
  Result<std::unique_ptr<protocol::ZipSource>> source = modzip::OpenZipFile(path);
  if (!source) return source.error();
  Result<modzip::ZipInspection> inspection =
      modzip::InspectZip(**source, args.module, args.version);
  if (!inspection) return inspection.error();
  if (!inspection->violations.empty()) {
    return MakeError(ErrorCode::kInternal,
                     "the written zip breaks a module zip rule (a bug in modproxy): " +
                         inspection->violations.front());
  }
  return inspection->h1;
}

void PrintSums(const PackArgs& args, const Packed& packed) {
  const std::string lines = cache::SumLine(args.module, args.version, false, packed.zip_h1) +
                            cache::SumLine(args.module, args.version, true, packed.mod_h1);
  std::fwrite(lines.data(), 1, lines.size(), stdout);
}

Result<void> WriteWholeFile(int fd, std::string_view bytes, const std::string& path) {
  while (!bytes.empty()) {
    const ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return MakeError(ErrorCode::kStorage, Errno("write", path));
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return {};
}

// A file in `dir` that appears under its name only on Publish().
class TempFile {
 public:
  static Result<TempFile> Create(const std::string& dir, const std::string& name) {
    TempFile file;
    file.final_ = dir + "/" + name;
    file.temp_ = dir + "/." + name + ".tmp-XXXXXX";
    file.fd_ = ::mkstemp(file.temp_.data());
    if (file.fd_ < 0) return MakeError(ErrorCode::kStorage, Errno("create", file.temp_));
    return file;
  }
  TempFile() = default;
  TempFile(TempFile&& other) noexcept { *this = std::move(other); }
  TempFile& operator=(TempFile&& other) noexcept {
    std::swap(fd_, other.fd_);
    std::swap(temp_, other.temp_);
    std::swap(final_, other.final_);
    return *this;
  }
  ~TempFile() {
    if (fd_ >= 0) ::close(fd_);
    if (!temp_.empty()) ::unlink(temp_.c_str());
  }

  Result<void> Write(std::string_view bytes) { return WriteWholeFile(fd_, bytes, temp_); }
  const std::string& path() const { return temp_; }

  Result<void> Publish() {
    if (::fchmod(fd_, 0644) != 0 || ::fsync(fd_) != 0) {
      return MakeError(ErrorCode::kStorage, Errno("sync", temp_));
    }
    ::close(fd_);
    fd_ = -1;
    if (::rename(temp_.c_str(), final_.c_str()) != 0) {
      return MakeError(ErrorCode::kStorage, Errno("rename", final_));
    }
    temp_.clear();
    return {};
  }

 private:
  int fd_ = -1;
  std::string temp_;
  std::string final_;
};

int PackIntoDirectory(const PackArgs& args, Packed& packed) {
  const std::string dir = args.out.empty() ? "." : args.out;
  Result<TempFile> zip = TempFile::Create(dir, args.version + ".zip");
  if (!zip) return Fail(kExitFailed, zip.error().message);
  if (Result<void> ok = BuildZip(args, [&](std::string_view b) { return zip->Write(b); }); !ok) {
    return Fail(kExitFailed, ok.error().message);
  }
  Result<std::string> h1 = CheckWrittenZip(zip->path(), args);
  if (!h1) return Fail(kExitFailed, h1.error().message);
  packed.zip_h1 = *h1;
  for (const auto& [suffix, bytes] :
       {std::pair<std::string, std::string*>{".info", &packed.info}, {".mod", &packed.mod}}) {
    Result<TempFile> file = TempFile::Create(dir, args.version + suffix);
    if (!file) return Fail(kExitFailed, file.error().message);
    if (Result<void> ok = file->Write(*bytes); !ok) return Fail(kExitFailed, ok.error().message);
    if (Result<void> ok = file->Publish(); !ok) return Fail(kExitFailed, ok.error().message);
  }
  if (Result<void> ok = zip->Publish(); !ok) return Fail(kExitFailed, ok.error().message);
  PrintSums(args, packed);
  return kExitOk;
}

// What the cache already holds for the version: each of .mod and .zip either
// absent or equal (bytes for .mod, h1 for .zip) to what was packed.
struct Existing {
  bool info = false;
  bool mod = false;
  bool zip = false;
};

Result<Existing> CompareWithCache(storage::Storage& cache, const std::string& root,
                                  const std::string& base_key, const PackArgs& args,
                                  const Packed& packed) {
  Existing existing;
  const auto present = [&](const std::string& key) -> Result<bool> {
    Result<storage::ObjectInfo> info = cache.Stat(key);
    if (info) return true;
    if (info.error().code == ErrorCode::kNotFound) return false;
    return info.error();
  };
  const std::string refuse =
      args.module + "@" + args.version + " is already in " + root + " with different content: ";
  Result<bool> info = present(base_key + ".info");
  if (!info) return info.error();
  existing.info = *info;
  Result<std::string> mod = cache.Get(base_key + ".mod");
  if (mod) {
    if (*mod != packed.mod) {
      return MakeError(ErrorCode::kForbidden, refuse + "its go.mod differs (" +
                                                  protocol::HashGoMod(*mod) + ", packed " +
                                                  packed.mod_h1 + ")");
    }
    existing.mod = true;
  } else if (mod.error().code != ErrorCode::kNotFound) {
    return mod.error();
  }
  Result<bool> zip = present(base_key + ".zip");
  if (!zip) return zip.error();
  if (*zip) {
    Result<std::unique_ptr<protocol::ZipSource>> source =
        modzip::OpenZipFile(root + "/" + base_key + ".zip");
    if (!source) return source.error();
    Result<std::string> h1 = modzip::HashZip(**source);
    if (!h1 || *h1 != packed.zip_h1) {
      return MakeError(ErrorCode::kForbidden, refuse + "its zip differs (" +
                                                  (h1 ? *h1 : h1.error().message) + ", packed " +
                                                  packed.zip_h1 + ")");
    }
    existing.zip = true;
  }
  return existing;
}

Result<void> AddToList(storage::Storage& cache, const std::string& key,
                       const std::string& version) {
  std::vector<std::string> versions;
  Result<std::string> list = cache.Get(key);
  if (list) {
    Result<std::vector<std::string>> parsed = protocol::ParseVersionList(*list);
    if (parsed) versions = std::move(*parsed);
  } else if (list.error().code != ErrorCode::kNotFound) {
    return list.error();
  }
  // A pseudo-version is served but never listed (go-modules-reference.md §1.4).
  const std::vector<std::string> merged = protocol::MergeVersionLists(versions, {version});
  if (merged == versions && (list || merged.empty())) return {};
  return cache.Put(key, protocol::FormatVersionList(merged));
}

int PackIntoCache(const PackArgs& args, Packed& packed) {
  Result<std::string> escaped_module = protocol::EscapePath(args.module);
  Result<std::string> escaped_version = protocol::EscapeVersion(args.version);
  if (!escaped_module || !escaped_version) {
    return Fail(kExitUsage, (escaped_module ? escaped_version : escaped_module).error().message);
  }
  // A server may be using this cache: leave its temp files alone.
  Result<std::unique_ptr<storage::Storage>> cache =
      storage::NewDiskStorage({args.into, /*clear_temp_files=*/false});
  if (!cache) return Fail(kExitFailed, cache.error().message);
  const std::string base_key = *escaped_module + "/@v/" + *escaped_version;
  Result<std::unique_ptr<storage::BlobWriter>> zip = (*cache)->OpenWrite(base_key + ".zip");
  if (!zip) return Fail(kExitFailed, zip.error().message);
  if (Result<void> ok = BuildZip(args, [&](std::string_view b) { return (*zip)->Write(b); }); !ok) {
    return Fail(kExitFailed, ok.error().message);
  }
  Result<std::string> h1 = CheckWrittenZip((*zip)->staging_path(), args);
  if (!h1) return Fail(kExitFailed, h1.error().message);
  packed.zip_h1 = *h1;
  Result<Existing> existing = CompareWithCache(**cache, args.into, base_key, args, packed);
  if (!existing) return Fail(kExitFailed, existing.error().message + "; refusing to overwrite it");
  if (existing->info && existing->mod && existing->zip) {
    std::fprintf(stderr, "modproxy pack: %s@%s is already in %s with the same content\n",
                 args.module.c_str(), args.version.c_str(), args.into.c_str());
    PrintSums(args, packed);
    return kExitOk;
  }
  // As the cache does: a file's go.sum line is recorded before the file, and
  // the list names the version only once its files are in place.
  storage::Storage& store = **cache;
  const std::string& m = *escaped_module;
  const std::string& v = *escaped_version;
  std::vector<std::pair<std::string, std::string>> puts = {
      {cache::SumKeyFor(m, v, false), cache::SumLine(args.module, args.version, false, *h1)},
      {cache::SumKeyFor(m, v, true),
       cache::SumLine(args.module, args.version, true, packed.mod_h1)}};
  if (!existing->mod) puts.emplace_back(base_key + ".mod", packed.mod);
  if (!existing->info) puts.emplace_back(base_key + ".info", packed.info);
  for (const auto& [key, bytes] : puts) {
    if (Result<void> ok = store.Put(key, bytes); !ok) return Fail(kExitFailed, ok.error().message);
  }
  if (!existing->zip) {
    if (Result<void> ok = (*zip)->Commit(); !ok) return Fail(kExitFailed, ok.error().message);
  }
  if (Result<void> ok = AddToList(store, m + "/@v/list", args.version); !ok) {
    return Fail(kExitFailed, ok.error().message);
  }
  PrintSums(args, packed);
  return kExitOk;
}

int PackResolved(const PackArgs& args);

int Pack(const PackArgs& args) {
  if (Result<void> ok = zipbuild::CheckModuleVersionForZip(args.module, args.version); !ok) {
    return Fail(kExitUsage, ok.error().message);
  }
  if (!args.time.empty() && !IsRfc3339(args.time)) {
    return Fail(kExitUsage,
                "--time " + args.time + ": not an RFC 3339 time such as 2024-01-02T15:04:05Z");
  }
  struct stat st;
  if (::stat(args.dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    return Fail(kExitUsage, args.dir + ": not a directory");
  }
  // CreateFromDir would not follow a DIR that is a symlink (its walk starts
  // with lstat) and pack an empty module: walk what it points to instead.
  PackArgs resolved = args;
  if (char* real = ::realpath(args.dir.c_str(), nullptr); real != nullptr) {
    resolved.dir = real;
    std::free(real);
  }
  return PackResolved(resolved);
}

int PackResolved(const PackArgs& args) {
  Packed packed;
  Result<std::string> mod = GoModFor(args);
  if (!mod) return Fail(kExitFailed, mod.error().message);
  packed.mod = std::move(*mod);
  packed.mod_h1 = protocol::HashGoMod(packed.mod);
  packed.info = "{\"Version\":\"" + args.version + "\",\"Time\":\"" +
                (args.time.empty() ? NowRfc3339() : args.time) + "\"}";
  return args.into.empty() ? PackIntoDirectory(args, packed) : PackIntoCache(args, packed);
}

}  // namespace

RunSubcommand AddPackCommand(CLI::App& app) {
  CLI::App* command = app.add_subcommand(
      "pack",
      "build a module version (.info, .mod, .zip) from a directory as the go command would");
  auto args = std::make_shared<PackArgs>();
  command->add_option("dir", args->dir, "the module's root directory")->required();
  command->add_option("module", args->module, "module path, e.g. example.com/hello")->required();
  command->add_option("version", args->version, "canonical version, e.g. v1.2.3")->required();
  CLI::Option* into =
      command->add_option("--into", args->into, "put the version into this modproxy cache");
  command->add_option("--out", args->out, "write VERSION.info/.mod/.zip here (default: .)")
      ->excludes(into);
  command->add_option("--time", args->time, "the .info Time, RFC 3339 (default: now, UTC)");
  command->footer(
      "The zip holds what zip.CreateFromDir would put in it (go-modules-reference.md §5):\n"
      "no VCS directories, nested modules, vendored packages or symlinks; a file the go\n"
      "command would refuse (bad name, case collision, oversized go.mod or LICENSE, over\n"
      "500 MiB in all) refuses the whole version. The .mod is DIR/go.mod as it is (its\n"
      "module directive must name MODULE), or \"module MODULE\\n\" when there is none.\n"
      "Prints the two go.sum lines. With --into, the files go into the cache layout\n"
      "atomically, the version is added to @v/list and the sums are recorded; a version\n"
      "already cached with other content is never overwritten.\n"
      "Exit status: 0 packed (or already cached identically), 1 refused or failed,\n"
      "2 usage error.");
  return [args] { return Pack(*args); };
}

}  // namespace modproxy::cli
