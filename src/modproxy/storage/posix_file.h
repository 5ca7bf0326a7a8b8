#pragma once

#include <unistd.h>

#include <memory>
#include <string>
#include <string_view>

#include "modproxy/core/result.h"
#include "modproxy/storage/storage.h"

// Small POSIX file helpers shared by the disk backend and the file:// upstream.
// Every error is mapped here, once, to ErrorCode: ENOENT -> kNotFound,
// EACCES -> kForbidden, anything else (ENOSPC, EIO, ...) -> kStorage.
namespace modproxy::storage {

class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(UniqueFd&& other) noexcept : fd_(other.release()) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept {
    reset(other.release());
    return *this;
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd() { reset(); }

  int get() const { return fd_; }
  int release() {
    int fd = fd_;
    fd_ = -1;
    return fd;
  }
  void reset(int fd = -1) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
  }

 private:
  int fd_ = -1;
};

Error ErrnoError(std::string_view operation, std::string_view path);
Result<void> WriteAll(int fd, std::string_view bytes, std::string_view path);
Result<std::string> ReadWholeFile(const std::string& path);
Result<ObjectInfo> StatFile(const std::string& path);
Result<std::unique_ptr<BlobReader>> OpenFileReader(const std::string& path);
// Creates the missing parent directories of `path`.
Result<void> MakeParentDirs(const std::string& path);
Result<void> FsyncDir(const std::string& dir);

}  // namespace modproxy::storage
