#include "modproxy/storage/posix_file.h"

#include <fcntl.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

namespace modproxy::storage {
namespace {

class FileReader final : public BlobReader {
 public:
  FileReader(UniqueFd fd, ObjectInfo info, std::string path)
      : fd_(std::move(fd)), info_(info), path_(std::move(path)) {}

  std::uint64_t size() const override { return info_.size; }
  std::chrono::system_clock::time_point modified() const override { return info_.modified; }

  Result<std::size_t> Read(char* buffer, std::size_t n) override {
    for (;;) {
      ssize_t got = ::read(fd_.get(), buffer, n);
      if (got >= 0) return static_cast<std::size_t>(got);
      if (errno != EINTR) return ErrnoError("read", path_);
    }
  }

  int file_descriptor() const override { return fd_.get(); }

 private:
  UniqueFd fd_;
  ObjectInfo info_;
  std::string path_;
};

ObjectInfo InfoFromStat(const struct stat& st) {
  ObjectInfo info;
  info.size = static_cast<std::uint64_t>(st.st_size);
  info.modified = std::chrono::system_clock::time_point(
      std::chrono::seconds(st.st_mtim.tv_sec) + std::chrono::nanoseconds(st.st_mtim.tv_nsec));
  return info;
}

}  // namespace

Error ErrnoError(std::string_view operation, std::string_view path) {
  int err = errno;
  ErrorCode code = ErrorCode::kStorage;
  if (err == ENOENT || err == ENOTDIR) code = ErrorCode::kNotFound;
  if (err == EACCES || err == EPERM) code = ErrorCode::kForbidden;
  return MakeError(code,
                   std::string(operation) + " " + std::string(path) + ": " + std::strerror(err));
}

Result<void> WriteAll(int fd, std::string_view bytes, std::string_view path) {
  while (!bytes.empty()) {
    ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoError("write", path);
    }
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return {};
}

Result<ObjectInfo> StatFile(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return ErrnoError("stat", path);
  // A directory under a file's key (a module path that is a prefix of
  // another) is not an object.
  if (!S_ISREG(st.st_mode)) return MakeError(ErrorCode::kNotFound, "not a file: " + path);
  return InfoFromStat(st);
}

Result<std::unique_ptr<BlobReader>> OpenFileReader(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) return ErrnoError("open", path);
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return ErrnoError("stat", path);
  if (!S_ISREG(st.st_mode)) return MakeError(ErrorCode::kNotFound, "not a file: " + path);
  return std::unique_ptr<BlobReader>(
      std::make_unique<FileReader>(std::move(fd), InfoFromStat(st), path));
}

Result<std::string> ReadWholeFile(const std::string& path) {
  Result<std::unique_ptr<BlobReader>> reader = OpenFileReader(path);
  if (!reader) return reader.error();
  std::string data;
  data.resize((*reader)->size());
  std::size_t filled = 0;
  while (filled < data.size()) {
    Result<std::size_t> n = (*reader)->Read(data.data() + filled, data.size() - filled);
    if (!n) return n.error();
    if (*n == 0) break;
    filled += *n;
  }
  data.resize(filled);
  return data;
}

Result<void> MakeParentDirs(const std::string& path) {
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(path).parent_path(), ec);
  if (ec) {
    return MakeError(ErrorCode::kStorage, "create directory for " + path + ": " + ec.message());
  }
  return {};
}

Result<void> FsyncDir(const std::string& dir) {
  UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (fd.get() < 0) return ErrnoError("open", dir);
  if (::fsync(fd.get()) != 0) return ErrnoError("fsync", dir);
  return {};
}

}  // namespace modproxy::storage
