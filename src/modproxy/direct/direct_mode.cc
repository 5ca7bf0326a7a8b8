#include "modproxy/direct/direct_mode.h"

#include <fstream>
#include <sstream>

#include "modproxy/direct/direct_upstream.h"
#include "modproxy/direct/netrc.h"

namespace modproxy::direct {
namespace {

// A chain entry's handle on the one DirectUpstream.
class SharedDirect final : public upstream::Upstream {
 public:
  explicit SharedDirect(DirectUpstream& target) : target_(target) {}
  const std::string& name() const override { return target_.name(); }
  Result<void> Fetch(std::string_view path, const upstream::FetchOptions& options,
                     const upstream::ChunkSink& sink) override {
    return target_.Fetch(path, options, sink);
  }

 private:
  DirectUpstream& target_;
};

class DirectModeImpl final : public DirectMode {
 public:
  DirectModeImpl(const config::Config& config, const std::string& fetch_helper,
                 std::vector<NetrcEntry> netrc)
      : credentials_(config.credentials), netrc_(std::move(netrc)) {
    EgressPolicy egress;
    egress.allow_internal = config.direct_private_networks;
    CurlMetaFetcherOptions meta_options;
    meta_options.egress = egress;
    meta_options.timeout = config.upstream_timeout;
    meta_options.credentials = [this](const std::string& host) -> std::optional<BasicAuth> {
      std::optional<git::Credentials> c = Lookup(host);
      if (!c || c->password.empty()) return std::nullopt;
      return BasicAuth{c->username, c->password};
    };
    meta_ = MakeCurlMetaFetcher(std::move(meta_options));
    RepoResolverOptions resolver_options;
    for (const config::RewriteRule& rule : config.rewrites) {
      resolver_options.rewrites.push_back({rule.module, rule.url});
    }
    resolver_options.private_patterns = config.private_patterns;
    resolver_options.insecure = config.insecure;
    resolver_options.ttl = config.git_fresh_for;
    resolver_ = std::make_unique<RepoResolver>(std::move(resolver_options), *meta_);
    git::MirrorOptions mirror_options;
    mirror_options.root = config.cache_dir + "/.modproxy/git";
    mirror_options.fresh_for = config.git_fresh_for;
    mirror_options.max_repo_bytes = config.git_max_repo_size;
    mirror_options.fetch_timeout = config.git_fetch_timeout;
    mirror_options.fetch_helper = fetch_helper;
    mirror_options.fetch_helper_args = {kFetchSubcommand};
    mirrors_ = std::make_unique<git::MirrorStore>(std::move(mirror_options));
    DirectUpstreamOptions options;
    options.private_patterns = config.private_patterns;
    options.egress = egress;
    options.credentials = [this](const std::string& host) { return Lookup(host); };
    upstream_ = std::make_unique<DirectUpstream>(std::move(options), *resolver_, *mirrors_);
  }

  std::unique_ptr<upstream::Upstream> NewUpstream() override {
    return std::make_unique<SharedDirect>(*upstream_);
  }

 private:
  // The config's [[credentials]] for the host, else its netrc machine entry.
  std::optional<git::Credentials> Lookup(const std::string& host) const {
    for (const config::HostCredentials& c : credentials_) {
      if (c.host != host) continue;
      return git::Credentials{c.username, c.password, c.ssh_key, c.ssh_public_key,
                              c.ssh_passphrase};
    }
    if (std::optional<NetrcEntry> e = FindNetrc(netrc_, host)) {
      return git::Credentials{e->login, e->password, "", "", ""};
    }
    return std::nullopt;
  }

  std::vector<config::HostCredentials> credentials_;
  std::vector<NetrcEntry> netrc_;
  std::unique_ptr<MetaFetcher> meta_;
  std::unique_ptr<RepoResolver> resolver_;
  std::unique_ptr<git::MirrorStore> mirrors_;
  std::unique_ptr<DirectUpstream> upstream_;
};

}  // namespace

Result<std::unique_ptr<DirectMode>> MakeDirectMode(const config::Config& config,
                                                   const std::string& fetch_helper) {
  std::string path = config.netrc.empty() ? DefaultNetrcPath() : config.netrc;
  std::vector<NetrcEntry> netrc;
  if (!path.empty()) {
    std::ifstream in(path);
    if (in) {
      std::stringstream text;
      text << in.rdbuf();
      netrc = ParseNetrc(text.str());
    } else if (!config.netrc.empty()) {
      // Only a file the operator named must exist (the go command ignores a
      // missing default one).
      return MakeError(ErrorCode::kInvalidArgument, "cannot read netrc file " + path);
    }
  }
  return std::unique_ptr<DirectMode>(
      std::make_unique<DirectModeImpl>(config, fetch_helper, std::move(netrc)));
}

}  // namespace modproxy::direct
