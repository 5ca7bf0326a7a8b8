#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "modproxy/direct/egress_policy.h"
#include "modproxy/direct/repo_resolver.h"
#include "modproxy/git/mirror_store.h"
#include "modproxy/upstream/upstream.h"

// The `direct` entry of an upstream chain (issue 5): answers GOPROXY
// requests from the module's git repository the way the go command does in
// direct mode, with no go or git binary: the repository is found
// (RepoResolver), mirrored (git::MirrorStore, libgit2), and read with the go
// command's rules (vcs::CodeRepo); zips are built by zipbuild. What it
// answers is then checked, verified and cached like any upstream's answer.
namespace modproxy::direct {

struct DirectUpstreamOptions {
  std::string private_patterns;  // --private: no egress restriction, redirects followed
  EgressPolicy egress;
  // Credentials for a repository host (config, then netrc); nullopt: none.
  std::function<std::optional<git::Credentials>(const std::string& host)> credentials;
  // A mirror is fetched again for an unknown revision at most this often.
  std::chrono::milliseconds refetch_interval{std::chrono::seconds(10)};
};

class DirectUpstream final : public upstream::Upstream {
 public:
  DirectUpstream(DirectUpstreamOptions options, RepoResolver& resolver, git::MirrorStore& mirrors);

  const std::string& name() const override { return name_; }
  Result<void> Fetch(std::string_view path, const upstream::FetchOptions& options,
                     const upstream::ChunkSink& sink) override;

 private:
  struct Opened {
    std::shared_ptr<vcs::GitRepo> repo;
    std::string root;
    std::string url;
  };
  // The mirror of the module's repository, fetched when stale (or `force`).
  Result<Opened> Open(const std::string& module, bool force);
  // Runs `answer` on the mirror; when it says "not found", fetches the
  // mirror again (rate-limited) and retries once: a tag or branch may be new.
  Result<void> WithRepo(const std::string& module,
                        const std::function<Result<void>(const Opened&)>& answer);
  bool MayRefetch(const std::string& url);

  const std::string name_ = "direct";
  DirectUpstreamOptions options_;
  RepoResolver& resolver_;
  git::MirrorStore& mirrors_;
  std::mutex mu_;
  std::map<std::string, std::chrono::steady_clock::time_point> last_refetch_;  // guarded by mu_
};

}  // namespace modproxy::direct
