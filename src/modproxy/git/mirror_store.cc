#include "modproxy/git/mirror_store.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <utility>

#include <openssl/evp.h>

#include "modproxy/git/child_process.h"
#include "modproxy/git/mirror_repo.h"

namespace modproxy::git {
namespace {

namespace fs = std::filesystem;
using std::chrono::system_clock;

constexpr const char* kFetchedFile = "modproxy-fetched";

std::string Sha256Hex(std::string_view text) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  EVP_Digest(text.data(), text.size(), digest, &size, EVP_sha256(), nullptr);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  for (unsigned int i = 0; i < size; ++i) {
    hex.push_back(kHex[digest[i] >> 4]);
    hex.push_back(kHex[digest[i] & 15]);
  }
  return hex;
}

Error StorageError(const std::string& what, int err) {
  return MakeError(ErrorCode::kStorage, what + ": " + std::strerror(err));
}

// An exclusive flock held for the object's lifetime: another process sharing
// the cache (or this one through another descriptor) waits for it.
class FileLock {
 public:
  ~FileLock() {
    if (fd_ >= 0) close(fd_);
  }
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;
  FileLock(FileLock&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}

  static Result<FileLock> Acquire(const std::string& path) {
    FileLock lock(open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644));
    if (lock.fd_ < 0) return StorageError("cannot open " + path, errno);
    while (flock(lock.fd_, LOCK_EX) != 0) {
      if (errno != EINTR) return StorageError("cannot lock " + path, errno);
    }
    return lock;
  }

 private:
  explicit FileLock(int fd) : fd_(fd) {}
  int fd_;
};

std::int64_t ToMillis(system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

std::optional<system_clock::time_point> ReadFetchedAt(const std::string& dir) {
  std::ifstream in(dir + "/" + kFetchedFile);
  std::int64_t millis = 0;
  if (!(in >> millis)) return std::nullopt;
  return system_clock::time_point(std::chrono::milliseconds(millis));
}

Result<void> WriteFetchedAt(const std::string& dir, system_clock::time_point t) {
  const std::string path = dir + "/" + kFetchedFile;
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << ToMillis(t) << "\n";
    if (!out.flush()) return StorageError("cannot write " + tmp, errno);
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    return StorageError("cannot write " + path, errno);
  }
  return {};
}

std::string FormatDuration(std::chrono::milliseconds d) {
  if (d.count() % 1000 == 0) return std::to_string(d.count() / 1000) + "s";
  return std::to_string(d.count()) + "ms";
}

// The last non-empty line the child wrote to stderr.
std::string LastLine(const std::string& text) {
  std::istringstream in(text);
  std::string line, last;
  while (std::getline(in, line)) {
    if (!line.empty()) last = line;
  }
  return last;
}

// Clones killed before they were renamed into place (this process or another
// died); only the holder of the URL's lock may touch them.
void RemoveAbandonedClones(const std::string& root, const std::string& key) {
  std::error_code ec;
  const std::string prefix = ".tmp-" + key + "-";
  for (const fs::directory_entry& e : fs::directory_iterator(root, ec)) {
    if (e.path().filename().string().starts_with(prefix)) fs::remove_all(e.path(), ec);
  }
}

}  // namespace

MirrorStore::MirrorStore(MirrorOptions options) : options_(std::move(options)) {}

std::string MirrorStore::MirrorDir(std::string_view url) const {
  return options_.root + "/" + Sha256Hex(url);
}

std::shared_ptr<std::mutex> MirrorStore::UrlMutex(const std::string& key) {
  std::lock_guard<std::mutex> lock(mu_);
  std::shared_ptr<std::mutex> m = url_mutexes_[key].lock();
  if (!m) {
    m = std::make_shared<std::mutex>();
    url_mutexes_[key] = m;
  }
  // Drop entries nobody holds, so the map stays as small as the set of
  // repositories in use.
  for (auto it = url_mutexes_.begin(); it != url_mutexes_.end();) {
    it = it->second.expired() ? url_mutexes_.erase(it) : std::next(it);
  }
  return m;
}

Result<std::shared_ptr<vcs::GitRepo>> MirrorStore::Open(const FetchRequest& request) {
  const system_clock::time_point started = system_clock::now();
  const std::string key = Sha256Hex(request.url);
  std::shared_ptr<std::mutex> url_mutex = UrlMutex(key);
  std::lock_guard<std::mutex> url_lock(*url_mutex);

  std::error_code ec;
  fs::create_directories(options_.root, ec);
  if (ec)
    return MakeError(ErrorCode::kStorage, "cannot create " + options_.root + ": " + ec.message());
  Result<FileLock> file_lock = FileLock::Acquire(options_.root + "/" + key + ".lock");
  if (!file_lock) return file_lock.error();

  const std::string dir = options_.root + "/" + key;
  std::optional<system_clock::time_point> fetched_at;
  if (fs::is_directory(dir, ec)) fetched_at = ReadFetchedAt(dir);
  bool fetch = !fetched_at.has_value();
  if (!fetch && request.force) {
    fetch = *fetched_at < started;  // no fetch began after this call did
  } else if (!fetch) {
    fetch = system_clock::now() - *fetched_at >= options_.fresh_for;
  }
  if (fetch) {
    Result<void> fetched = FetchLocked(request, key);
    if (!fetched) return fetched.error();
  }
  Result<std::unique_ptr<vcs::GitRepo>> repo = OpenMirrorRepo(dir);
  if (!repo) return repo.error();
  return std::shared_ptr<vcs::GitRepo>(std::move(*repo));
}

Result<void> MirrorStore::FetchLocked(const FetchRequest& request, const std::string& key) {
  const std::string dir = options_.root + "/" + key;
  const system_clock::time_point fetch_start = system_clock::now();
  std::error_code ec;
  if (fs::is_directory(dir, ec)) {
    Result<void> fetched = RunFetch(request, dir);
    if (!fetched) return fetched;
    return WriteFetchedAt(dir, fetch_start);
  }

  RemoveAbandonedClones(options_.root, key);
  std::string tmp = options_.root + "/.tmp-" + key + "-XXXXXX";
  if (mkdtemp(tmp.data()) == nullptr) return StorageError("cannot create " + tmp, errno);
  Result<void> done = RunFetch(request, tmp);
  if (done) done = WriteFetchedAt(tmp, fetch_start);
  if (done && std::rename(tmp.c_str(), dir.c_str()) != 0) {
    done = StorageError("cannot rename " + tmp + " to " + dir, errno);
  }
  if (!done) fs::remove_all(tmp, ec);
  return done;
}

Result<void> MirrorStore::RunFetch(const FetchRequest& request, const std::string& dir) {
  std::vector<std::string> argv = {options_.fetch_helper};
  argv.insert(argv.end(), options_.fetch_helper_args.begin(), options_.fetch_helper_args.end());
  argv.push_back(dir);
  argv.push_back(request.url);
  FetchInput input{options_.max_repo_bytes, request.follow_redirects, request.credentials};

  Result<ChildOutcome> child = RunChild(argv, EncodeFetchInput(input), options_.fetch_timeout);
  const std::string url = RedactUrl(request.url);
  if (!child) return child.error();
  if (child->timed_out) {
    return MakeError(ErrorCode::kTimeout, "git fetch of " + url + " took longer than " +
                                              FormatDuration(options_.fetch_timeout));
  }
  if (child->exit_code == kFetchExitOk) return {};
  std::string message =
      RedactSecrets(LastLine(child->stderr_tail), request.credentials, request.url);
  switch (child->exit_code) {
    case kFetchExitNotFound:
      return MakeError(ErrorCode::kNotFound, message);
    case kFetchExitTooLarge:
      return MakeError(ErrorCode::kUpstreamInvalid, message);
    case kFetchExitUnavailable:
      return MakeError(ErrorCode::kUnavailable, message);
    default:
      break;
  }
  std::string status = child->exit_code >= 0 ? "exit status " + std::to_string(child->exit_code)
                                             : "killed by signal " + std::to_string(child->signal);
  return MakeError(ErrorCode::kUnavailable, "git fetch of " + url + " failed (" + status + ")" +
                                                (message.empty() ? "" : ": " + message));
}

}  // namespace modproxy::git
