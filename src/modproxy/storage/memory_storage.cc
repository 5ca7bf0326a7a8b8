#include <stdlib.h>
#include <unistd.h>

#include <map>
#include <mutex>

#include "modproxy/storage/posix_file.h"
#include "modproxy/storage/storage.h"

namespace modproxy::storage {
namespace {

struct Object {
  std::string bytes;
  std::chrono::system_clock::time_point modified;
};

class MemoryReader final : public BlobReader {
 public:
  MemoryReader(std::string bytes, std::chrono::system_clock::time_point modified)
      : bytes_(std::move(bytes)), modified_(modified) {}
  std::uint64_t size() const override { return bytes_.size(); }
  std::chrono::system_clock::time_point modified() const override { return modified_; }
  Result<std::size_t> Read(char* buffer, std::size_t n) override {
    std::size_t count = std::min(n, bytes_.size() - offset_);
    bytes_.copy(buffer, count, offset_);
    offset_ += count;
    return count;
  }

 private:
  std::string bytes_;
  std::chrono::system_clock::time_point modified_;
  std::size_t offset_ = 0;
};

class MemoryStorage;

// Stages in a real temp file so that validators see the same staging_path()
// contract as with the disk backend.
class MemoryWriter final : public BlobWriter {
 public:
  MemoryWriter(MemoryStorage& storage, std::string key, UniqueFd fd, std::string path)
      : storage_(storage), key_(std::move(key)), fd_(std::move(fd)), path_(std::move(path)) {}
  ~MemoryWriter() override { ::unlink(path_.c_str()); }

  Result<void> Write(std::string_view bytes) override {
    if (Result<void> r = WriteAll(fd_.get(), bytes, path_); !r) return r;
    written_ += bytes.size();
    return {};
  }
  std::uint64_t bytes_written() const override { return written_; }
  std::string staging_path() const override { return path_; }
  Result<void> Commit() override;

 private:
  MemoryStorage& storage_;
  std::string key_;
  UniqueFd fd_;
  std::string path_;
  std::uint64_t written_ = 0;
};

class MemoryStorage final : public Storage {
 public:
  Result<std::string> Get(std::string_view key) override {
    std::lock_guard lock(mu_);
    auto it = objects_.find(std::string(key));
    if (it == objects_.end()) return NotFound(key);
    return it->second.bytes;
  }

  Result<ObjectInfo> Stat(std::string_view key) override {
    std::lock_guard lock(mu_);
    auto it = objects_.find(std::string(key));
    if (it == objects_.end()) return NotFound(key);
    return ObjectInfo{it->second.bytes.size(), it->second.modified};
  }

  Result<std::unique_ptr<BlobReader>> OpenRead(std::string_view key) override {
    std::lock_guard lock(mu_);
    auto it = objects_.find(std::string(key));
    if (it == objects_.end()) return NotFound(key);
    return std::unique_ptr<BlobReader>(
        std::make_unique<MemoryReader>(it->second.bytes, it->second.modified));
  }

  Result<void> Put(std::string_view key, std::string_view bytes) override {
    std::lock_guard lock(mu_);
    objects_[std::string(key)] = Object{std::string(bytes), std::chrono::system_clock::now()};
    return {};
  }

  Result<std::unique_ptr<BlobWriter>> OpenWrite(std::string_view key) override {
    std::string path = "/tmp/modproxy-memory-XXXXXX";
    int fd = ::mkstemp(path.data());
    if (fd < 0) return ErrnoError("mkstemp", path);
    return std::unique_ptr<BlobWriter>(
        std::make_unique<MemoryWriter>(*this, std::string(key), UniqueFd(fd), path));
  }

  Result<std::vector<std::string>> ListDir(std::string_view dir_key) override {
    std::lock_guard lock(mu_);
    std::string prefix = std::string(dir_key) + "/";
    std::vector<std::string> names;
    for (auto it = objects_.lower_bound(prefix); it != objects_.end(); ++it) {
      if (it->first.compare(0, prefix.size(), prefix) != 0) break;
      std::string rest = it->first.substr(prefix.size());
      if (rest.find('/') == std::string::npos) names.push_back(rest);
    }
    return names;
  }

  Result<void> CheckWritable() override { return {}; }

 private:
  static Error NotFound(std::string_view key) {
    return MakeError(ErrorCode::kNotFound, "not found: " + std::string(key));
  }

  std::mutex mu_;
  std::map<std::string, Object> objects_;  // guarded by mu_
};

Result<void> MemoryWriter::Commit() {
  Result<std::string> bytes = ReadWholeFile(path_);
  if (!bytes) return bytes.error();
  return storage_.Put(key_, *bytes);
}

}  // namespace

std::unique_ptr<Storage> NewMemoryStorage() { return std::make_unique<MemoryStorage>(); }

}  // namespace modproxy::storage
