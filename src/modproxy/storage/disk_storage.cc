#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <random>
#include <string>

#include "modproxy/storage/dir_syncer.h"
#include "modproxy/storage/posix_file.h"
#include "modproxy/storage/storage.h"

namespace modproxy::storage {
namespace {

namespace fs = std::filesystem;

constexpr const char* kTempDir = ".modproxy/tmp";

// Names temp files uniquely across threads and across processes sharing a cache.
std::string UniqueTempName() {
  static std::atomic<std::uint64_t> counter{0};
  static const std::uint64_t process_nonce = std::random_device{}();
  return std::to_string(::getpid()) + "-" + std::to_string(process_nonce % 1000000) + "-" +
         std::to_string(counter.fetch_add(1));
}

class DiskWriter final : public BlobWriter {
 public:
  DiskWriter(UniqueFd fd, std::string temp_path, std::string final_path, DirSyncer& syncer)
      : fd_(std::move(fd)),
        temp_path_(std::move(temp_path)),
        final_path_(std::move(final_path)),
        syncer_(syncer) {}

  ~DiskWriter() override {
    if (!committed_) ::unlink(temp_path_.c_str());
  }

  Result<void> Write(std::string_view bytes) override {
    if (Result<void> r = WriteAll(fd_.get(), bytes, temp_path_); !r) return r;
    written_ += bytes.size();
    return {};
  }

  std::uint64_t bytes_written() const override { return written_; }
  std::string staging_path() const override { return temp_path_; }

  Result<void> Commit() override {
    if (::fsync(fd_.get()) != 0) return ErrnoError("fsync", temp_path_);
    fd_.reset();
    if (Result<void> r = MakeParentDirs(final_path_); !r) return r;
    if (::rename(temp_path_.c_str(), final_path_.c_str()) != 0) {
      return ErrnoError("rename", final_path_);
    }
    committed_ = true;
    // The rename is durable only once the directory entry is on disk; that
    // happens in the background (DirSyncer says why that is safe).
    syncer_.Queue(fs::path(final_path_).parent_path().string());
    return {};
  }

 private:
  UniqueFd fd_;
  std::string temp_path_;
  std::string final_path_;
  std::uint64_t written_ = 0;
  bool committed_ = false;
  DirSyncer& syncer_;
};

class DiskStorage final : public Storage {
 public:
  explicit DiskStorage(std::string root) : root_(std::move(root)) {}

  Result<std::string> Get(std::string_view key) override { return ReadWholeFile(PathFor(key)); }

  Result<ObjectInfo> Stat(std::string_view key) override { return StatFile(PathFor(key)); }

  Result<std::unique_ptr<BlobReader>> OpenRead(std::string_view key) override {
    return OpenFileReader(PathFor(key));
  }

  Result<void> Put(std::string_view key, std::string_view bytes) override {
    Result<std::unique_ptr<BlobWriter>> writer = OpenWrite(key);
    if (!writer) return writer.error();
    if (Result<void> r = (*writer)->Write(bytes); !r) return r;
    return (*writer)->Commit();
  }

  Result<std::unique_ptr<BlobWriter>> OpenWrite(std::string_view key) override {
    std::string temp_path = root_ + "/" + kTempDir + "/" + UniqueTempName();
    int fd = ::open(temp_path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0) return ErrnoError("create", temp_path);
    return std::unique_ptr<BlobWriter>(
        std::make_unique<DiskWriter>(UniqueFd(fd), std::move(temp_path), PathFor(key), syncer_));
  }

  Result<std::vector<std::string>> ListDir(std::string_view dir_key) override {
    std::vector<std::string> names;
    std::error_code ec;
    fs::directory_iterator it(PathFor(dir_key), ec);
    if (ec) {
      if (ec == std::errc::no_such_file_or_directory) return names;
      return MakeError(ErrorCode::kStorage, "list " + PathFor(dir_key) + ": " + ec.message());
    }
    for (const fs::directory_entry& entry : it) {
      if (entry.is_regular_file(ec)) names.push_back(entry.path().filename().string());
    }
    return names;
  }

  Result<void> CheckWritable() override {
    Result<std::unique_ptr<BlobWriter>> probe = OpenWrite(".modproxy/ready-probe");
    if (!probe) return probe.error();
    return (*probe)->Write("ok");  // discarded: never committed
  }

  Result<void> Init(bool clear_temp_files) {
    std::error_code ec;
    fs::create_directories(root_ + "/" + kTempDir, ec);
    if (ec) {
      return MakeError(ErrorCode::kStorage,
                       "cannot create cache directory " + root_ + ": " + ec.message());
    }
    if (!clear_temp_files) return {};
    // Temp files left by a killed process are never valid data: clear them.
    // Only this process's own files could be in use, and it has written none yet.
    for (const fs::directory_entry& entry : fs::directory_iterator(root_ + "/" + kTempDir, ec)) {
      fs::remove(entry.path(), ec);
    }
    return {};
  }

 private:
  std::string PathFor(std::string_view key) const { return root_ + "/" + std::string(key); }

  std::string root_;
  DirSyncer syncer_;  // last: destroyed (and drained) first
};

}  // namespace

Result<std::unique_ptr<Storage>> NewDiskStorage(const DiskStorageOptions& options) {
  auto storage = std::make_unique<DiskStorage>(options.root);
  if (Result<void> r = storage->Init(options.clear_temp_files); !r) return r.error();
  return std::unique_ptr<Storage>(std::move(storage));
}

}  // namespace modproxy::storage
