#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <memory>
#include <string>

#include "modproxy/modzip/inspect_zip.h"

namespace modproxy::modzip {
namespace {

Error StorageError(const std::string& path, const std::string& what, int err) {
  return MakeError(ErrorCode::kStorage, path + ": " + what + ": " + std::strerror(err));
}

class FileZipSource final : public protocol::ZipSource {
 public:
  FileZipSource(std::string path, int fd, std::uint64_t size)
      : path_(std::move(path)), fd_(fd), size_(size) {}
  ~FileZipSource() override { ::close(fd_); }
  FileZipSource(const FileZipSource&) = delete;
  FileZipSource& operator=(const FileZipSource&) = delete;

  std::uint64_t size() const override { return size_; }

  Result<void> ReadAt(std::uint64_t offset, char* out, std::size_t n) override {
    if (offset > size_ || n > size_ - offset) {
      return MakeError(ErrorCode::kInvalidArgument,
                       path_ + ": read past the end (" + std::to_string(n) + " bytes at offset " +
                           std::to_string(offset) + ", size " + std::to_string(size_) + ")");
    }
    while (n > 0) {
      const ssize_t got = ::pread(fd_, out, n, static_cast<off_t>(offset));
      if (got < 0 && errno == EINTR) continue;
      if (got < 0) return StorageError(path_, "read", errno);
      if (got == 0) {
        return MakeError(ErrorCode::kStorage, path_ + ": file shrank while being read");
      }
      out += got;
      offset += static_cast<std::uint64_t>(got);
      n -= static_cast<std::size_t>(got);
    }
    return {};
  }

 private:
  std::string path_;
  int fd_;
  std::uint64_t size_;
};

}  // namespace

Result<std::unique_ptr<protocol::ZipSource>> OpenZipFile(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return StorageError(path, "open", errno);
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    const int err = errno;
    ::close(fd);
    return StorageError(path, "stat", err);
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    return MakeError(ErrorCode::kStorage, path + ": not a regular file");
  }
  return std::unique_ptr<protocol::ZipSource>(
      std::make_unique<FileZipSource>(path, fd, static_cast<std::uint64_t>(st.st_size)));
}

}  // namespace modproxy::modzip
