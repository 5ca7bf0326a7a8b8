#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "modproxy/core/result.h"
#include "modproxy/git/fetch_protocol.h"
#include "modproxy/vcs/git_repo.h"

namespace modproxy::git {

struct MirrorOptions {
  std::string root;  // <cache>/.modproxy/git; created when missing
  // A mirror fetched less than this long ago is served without fetching.
  std::chrono::milliseconds fresh_for{std::chrono::minutes(1)};
  // The most a clone or fetch may transfer; 0 means no limit.
  std::uint64_t max_repo_bytes{0};
  // The longest a fetch child may run before it is killed.
  std::chrono::milliseconds fetch_timeout{std::chrono::minutes(5)};
  // An executable that runs RunFetchChild, and the arguments that come before
  // <mirror-dir> <url> on its command line (e.g. a hidden subcommand's name).
  std::string fetch_helper;
  std::vector<std::string> fetch_helper_args;
};

struct FetchRequest {
  std::string url;
  std::optional<Credentials> credentials;
  bool force = false;  // fetch even when the mirror is fresh
  // Follow the initial request's redirects (GIT_REMOTE_REDIRECT_INITIAL), or none.
  bool follow_redirects = true;
};

// One bare mirror per repository URL under options.root, fetched on demand
// in a child process (see fetch_protocol.h). Layout:
//   <root>/<sha256(url)>/            the bare mirror, with
//       modproxy-fetched             the start time of its last successful fetch
//   <root>/<sha256(url)>.lock        flock'ed during fetches, by every process
//   <root>/.tmp-<sha256(url)>-XXXXXX a first clone in progress; renamed into
//                                    place only when complete
// Credentials never reach a path, argv, the environment or a message.
// Thread-safe; concurrent Opens of one URL wait for each other and fetch once.
class MirrorStore {
 public:
  explicit MirrorStore(MirrorOptions options);

  // Fetches the mirror when it is missing, older than fresh_for, or
  // request.force (unless a fetch that started after this call already
  // finished), then opens it. A failed fetch leaves an existing mirror as it
  // was and no new one behind. Errors (one line, credentials removed):
  // kNotFound when the repository does not exist; kTimeout when the fetch
  // took longer than fetch_timeout; kUpstreamInvalid when it is larger than
  // max_repo_bytes; kUnavailable for other fetch failures; kStorage when the
  // mirror cannot be written.
  Result<std::shared_ptr<vcs::GitRepo>> Open(const FetchRequest& request);

  // Where the mirror of `url` lives (tests, diagnostics).
  std::string MirrorDir(std::string_view url) const;

 private:
  std::shared_ptr<std::mutex> UrlMutex(const std::string& key);
  Result<void> FetchLocked(const FetchRequest& request, const std::string& key);
  Result<void> RunFetch(const FetchRequest& request, const std::string& dir);

  const MirrorOptions options_;
  std::mutex mu_;
  std::map<std::string, std::weak_ptr<std::mutex>> url_mutexes_;  // guarded by mu_
};

}  // namespace modproxy::git
