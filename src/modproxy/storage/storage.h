#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "modproxy/core/result.h"

// Where cached module artifacts live. Keys are relative, '/'-separated paths
// of a GOPROXY tree ("golang.org/x/text/@v/v0.3.8.zip", "sumdb/sum.golang.org/
// tile/8/0/000"), built only from validated, escaped module paths and
// versions; they never contain "..". Calls are blocking and thread-safe: call
// them from worker threads, or from I/O threads only for cheap operations
// (Stat, opening a reader).
namespace modproxy::storage {

struct ObjectInfo {
  std::uint64_t size = 0;
  std::chrono::system_clock::time_point modified;
};

// Sequential reader of one stored object.
class BlobReader {
 public:
  virtual ~BlobReader() = default;
  virtual std::uint64_t size() const = 0;
  // When the object was stored (its TTL counts from here).
  virtual std::chrono::system_clock::time_point modified() const = 0;
  // Reads up to `n` bytes; 0 at the end. kStorage on an I/O error.
  virtual Result<std::size_t> Read(char* buffer, std::size_t n) = 0;
  // An open file holding exactly the object, for zero-copy sending
  // (sendfile); -1 when the object is not a local file. Valid while the
  // reader lives; callers that use it do not call Read.
  virtual int file_descriptor() const { return -1; }
};

// Writer of one object that becomes visible only on Commit(). Destroying it
// without Commit() discards everything written (no partial object appears).
class BlobWriter {
 public:
  virtual ~BlobWriter() = default;
  // kStorage (e.g. "no space left on device") on failure.
  virtual Result<void> Write(std::string_view bytes) = 0;
  virtual std::uint64_t bytes_written() const = 0;
  // Path of a local file holding the data written so far, for validators that
  // need random access (a zip's central directory). Every backend stages
  // locally: a remote one uploads on Commit().
  virtual std::string staging_path() const = 0;
  // Durably publishes the object under its key, atomically replacing any
  // older one: readers see the old object or the new one, never a mix.
  virtual Result<void> Commit() = 0;
};

class Storage {
 public:
  virtual ~Storage() = default;

  // kNotFound when absent. Never returns a partially written value.
  virtual Result<std::string> Get(std::string_view key) = 0;
  virtual Result<ObjectInfo> Stat(std::string_view key) = 0;
  virtual Result<std::unique_ptr<BlobReader>> OpenRead(std::string_view key) = 0;
  // Atomic, durable (fsync before the rename).
  virtual Result<void> Put(std::string_view key, std::string_view bytes) = 0;
  virtual Result<std::unique_ptr<BlobWriter>> OpenWrite(std::string_view key) = 0;
  // Names (not keys) of the objects directly under `dir_key`; empty when the
  // directory does not exist.
  virtual Result<std::vector<std::string>> ListDir(std::string_view dir_key) = 0;
  // Storage usable for writes (the /readyz probe).
  virtual Result<void> CheckWritable() = 0;
};

struct DiskStorageOptions {
  std::string root;  // the cache directory; created if missing
  // Remove temp files left by a killed process. Only the server owning the
  // cache may: a tool opening a cache that a running server uses (modproxy
  // verify) would delete that server's downloads in progress.
  bool clear_temp_files = true;
};

// The GOPROXY-tree disk cache of design.md. Bookkeeping lives in
// <root>/.modproxy/; leftover temp files of a killed process are removed at
// start-up.
Result<std::unique_ptr<Storage>> NewDiskStorage(const DiskStorageOptions& options);

// An in-memory backend for tests.
std::unique_ptr<Storage> NewMemoryStorage();

}  // namespace modproxy::storage
