// zip.CreateFromDir's walk (x/mod listFilesInDir over filepath.Walk).
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "modproxy/zipbuild/zip_names.h"
#include "modproxy/zipbuild/zipbuild.h"

namespace modproxy::zipbuild {
namespace {

Error IoError(const std::string& what, const std::string& path, int err) {
  return MakeError(err == ENOENT ? ErrorCode::kNotFound : ErrorCode::kStorage,
                   what + " " + path + ": " + std::strerror(err));
}

// Entry names of a directory, sorted byte-wise as Go's os.ReadDir sorts them.
Result<std::vector<std::string>> SortedNames(const std::string& dir) {
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return IoError("open", dir, errno);
  std::vector<std::string> names;
  errno = 0;
  while (const dirent* entry = ::readdir(d)) {
    const std::string_view name = entry->d_name;
    if (name != "." && name != "..") names.emplace_back(name);
    errno = 0;
  }
  const int err = errno;
  ::closedir(d);
  if (err != 0) return IoError("read", dir, err);
  std::sort(names.begin(), names.end());
  return names;
}

class Walker {
 public:
  // One path (rel "" is the root) with its lstat result, as Walk's callback
  // sees it: directories recurse unless skipped, regular files are listed.
  Result<void> Visit(const std::string& full, const std::string& rel, const struct stat& st) {
    // Vendored paths are dropped whatever they are; a vendored directory is
    // still walked, but everything below it is vendored too.
    if (!rel.empty() && detail::IsVendoredPackage(rel)) return {};
    if (S_ISDIR(st.st_mode)) {
      if (!rel.empty() && SkipDirectory(full)) return {};
      return VisitChildren(full, rel);
    }
    if (!S_ISREG(st.st_mode)) return {};  // symlinks (never followed), devices, FIFOs...
    // A root that is a file is listed as ".", as filepath.Rel names it.
    files_.push_back(SourceFile{rel.empty() ? "." : rel, FileKind::kRegular,
                                static_cast<std::uint64_t>(st.st_size),
                                [full] { return ReadWholeFile(full); }});
    return {};
  }

  std::vector<SourceFile> Take() { return std::move(files_); }

 private:
  // VCS metadata, and modules nested below the root (a non-directory
  // "go.mod" in them, symlinks included, as x/mod's Lstat sees it).
  static bool SkipDirectory(const std::string& full) {
    const std::string_view base = std::string_view(full).substr(full.rfind('/') + 1);
    if (base == ".bzr" || base == ".git" || base == ".hg" || base == ".svn") return true;
    struct stat go_mod;
    return ::lstat((full + "/go.mod").c_str(), &go_mod) == 0 && !S_ISDIR(go_mod.st_mode);
  }

  Result<void> VisitChildren(const std::string& full, const std::string& rel) {
    Result<std::vector<std::string>> names = SortedNames(full);
    if (!names) return names.error();
    for (const std::string& name : *names) {
      const std::string child = full + "/" + name;
      struct stat st;
      if (::lstat(child.c_str(), &st) != 0) {
        // Gone since the listing: Walk reports lstat errors to its
        // callback, which x/mod returns as the walk's error.
        return IoError("lstat", child, errno);
      }
      if (Result<void> ok = Visit(child, rel.empty() ? name : rel + "/" + name, st); !ok) return ok;
    }
    return {};
  }

  std::vector<SourceFile> files_;
};

}  // namespace

Result<std::vector<SourceFile>> ListDirectory(const std::string& dir) {
  struct stat st;
  if (::lstat(dir.c_str(), &st) != 0) return IoError("lstat", dir, errno);
  Walker walker;
  if (Result<void> ok = walker.Visit(dir, "", st); !ok) return ok.error();
  return walker.Take();
}

Result<std::string> ReadWholeFile(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return IoError("open", path, errno);
  std::string bytes;
  char buffer[64 * 1024];
  while (true) {
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int err = errno;
      ::close(fd);
      return IoError("read", path, err);
    }
    if (n == 0) break;
    bytes.append(buffer, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return bytes;
}

}  // namespace modproxy::zipbuild
