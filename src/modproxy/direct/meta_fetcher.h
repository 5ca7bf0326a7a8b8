#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "modproxy/core/result.h"
#include "modproxy/direct/egress_policy.h"

// The HTTP side of go-import discovery: GET https://<path>?go-get=1, as the
// go command's web.Get does it.
namespace modproxy::direct {

struct MetaPage {
  long status = 0;
  std::string url;   // the URL that answered, after redirects
  std::string body;  // at most kMaxMetaPageBytes
};

struct BasicAuth {
  std::string username;
  std::string password;
};

class MetaFetcher {
 public:
  virtual ~MetaFetcher() = default;
  // `target` is the page URL without its scheme ("git.example.com/lib?go-get=1",
  // vcs::GoGetUrlWithoutScheme). https only, unless `insecure`: then plain
  // http after https fails (GOINSECURE).
  // `restrict_egress`: the path is public, so every hop passes the egress
  // policy. kUnavailable / kTimeout / kForbidden with a one-line reason.
  virtual Result<MetaPage> Fetch(const std::string& target, bool insecure,
                                 bool restrict_egress) = 0;
};

struct CurlMetaFetcherOptions {
  EgressPolicy egress;
  std::chrono::milliseconds timeout{30000};
  // Credentials for a host (from the config or netrc), sent over https only.
  std::function<std::optional<BasicAuth>(const std::string& host)> credentials;
};

inline constexpr std::size_t kMaxMetaPageBytes = 1 << 20;

std::unique_ptr<MetaFetcher> MakeCurlMetaFetcher(CurlMetaFetcherOptions options);

}  // namespace modproxy::direct
