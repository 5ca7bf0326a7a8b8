#include <sys/socket.h>

#include <cstdlib>
#include <cstring>
#include <memory>

#include <curl/curl.h>
#include <netinet/in.h>

#include "modproxy/core/version.h"
#include "modproxy/direct/meta_fetcher.h"

namespace modproxy::direct {
namespace {

struct CurlDeleter {
  void operator()(CURL* h) const { curl_easy_cleanup(h); }
};

struct Exchange {
  const EgressPolicy* egress = nullptr;
  bool check_addresses = false;  // no proxy in between: check where we connect
  std::string host;
  std::string body;
  std::optional<Error> refused;
};

std::size_t OnBody(char* data, std::size_t size, std::size_t count, void* user) {
  auto* x = static_cast<Exchange*>(user);
  std::size_t n = size * count;
  std::size_t room = kMaxMetaPageBytes - std::min(kMaxMetaPageBytes, x->body.size());
  x->body.append(data, std::min(n, room));
  return n;  // the rest is ignored, as the go command stops reading at <body>
}

// Checks the address curl is about to connect to: a name that resolved to an
// internal address between our check and curl's own lookup is still refused.
curl_socket_t OnOpenSocket(void* user, curlsocktype purpose, curl_sockaddr* address) {
  auto* x = static_cast<Exchange*>(user);
  if (x->check_addresses && purpose == CURLSOCKTYPE_IPCXN) {
    IpAddress ip;
    if (address->family == AF_INET) {
      const auto* in = reinterpret_cast<const sockaddr_in*>(&address->addr);
      ip.bytes[10] = ip.bytes[11] = 0xff;
      std::memcpy(ip.bytes.data() + 12, &in->sin_addr, 4);
      ip.v4 = true;
    } else if (address->family == AF_INET6) {
      const auto* in6 = reinterpret_cast<const sockaddr_in6*>(&address->addr);
      std::memcpy(ip.bytes.data(), &in6->sin6_addr, 16);
      ip.v4 = ParseIp(FormatIp(ip)).value_or(ip).v4;
    }
    if (Result<void> ok = CheckAddress(*x->egress, ip, x->host); !ok) {
      x->refused = ok.error();
      return CURL_SOCKET_BAD;
    }
  }
  return socket(address->family, address->socktype, address->protocol);
}

class CurlMetaFetcher final : public MetaFetcher {
 public:
  explicit CurlMetaFetcher(CurlMetaFetcherOptions options) : options_(std::move(options)) {}

  Result<MetaPage> Fetch(const std::string& target, bool insecure, bool restrict_egress) override {
    Result<MetaPage> secure = FetchUrl("https://" + target, insecure, restrict_egress);
    if (secure || !insecure || secure.error().code == ErrorCode::kForbidden) return secure;
    Result<MetaPage> plain = FetchUrl("http://" + target, insecure, restrict_egress);
    if (plain) return plain;
    return MakeError(plain.error().code,
                     secure.error().message + "; over http: " + plain.error().message);
  }

 private:
  // One GET, following up to 10 redirects by hand so that each hop passes the
  // egress policy and https never turns into http unless insecure.
  Result<MetaPage> FetchUrl(std::string url, bool insecure, bool restrict_egress) {
    std::unique_ptr<CURL, CurlDeleter> handle(curl_easy_init());
    CURL* h = handle.get();
    for (int hop = 0; hop <= 10; ++hop) {
      Result<UrlParts> parts = ParseUrl(url);
      if (!parts) return parts.error();
      if (parts->scheme != "https" && !(insecure && parts->scheme == "http")) {
        return MakeError(ErrorCode::kForbidden,
                         "refused redirect to " + parts->scheme + "://" + parts->host +
                             " (only paths matching --insecure may use plain http)");
      }
      std::optional<std::string> proxy =
          options_.egress.proxies.ProxyFor(parts->scheme, parts->host, parts->port);
      if (restrict_egress) {
        if (Result<void> ok = CheckEgress(options_.egress, url); !ok) return ok.error();
      }
      Exchange x;
      x.egress = &options_.egress;
      x.check_addresses = restrict_egress && !proxy && !options_.egress.allow_internal;
      x.host = parts->host;
      curl_easy_reset(h);
      char error_text[CURL_ERROR_SIZE] = {};
      const std::string user_agent = std::string("modproxy/") + kVersion;
      curl_easy_setopt(h, CURLOPT_URL, url.c_str());
      curl_easy_setopt(h, CURLOPT_USERAGENT, user_agent.c_str());
      curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
      curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
      curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
      curl_easy_setopt(h, CURLOPT_ERRORBUFFER, error_text);
      curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(options_.timeout.count()));
      curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, &OnBody);
      curl_easy_setopt(h, CURLOPT_WRITEDATA, &x);
      curl_easy_setopt(h, CURLOPT_OPENSOCKETFUNCTION, &OnOpenSocket);
      curl_easy_setopt(h, CURLOPT_OPENSOCKETDATA, &x);
      // The CA the go command trusts: SSL_CERT_FILE / SSL_CERT_DIR win over
      // curl's built-in bundle.
      if (const char* file = std::getenv("SSL_CERT_FILE"); file != nullptr && *file != '\0') {
        curl_easy_setopt(h, CURLOPT_CAINFO, file);
      }
      if (const char* dir = std::getenv("SSL_CERT_DIR"); dir != nullptr && *dir != '\0') {
        curl_easy_setopt(h, CURLOPT_CAPATH, dir);
      }
      // The proxy variables as the go command reads them, not as curl does.
      curl_easy_setopt(h, CURLOPT_PROXY, proxy ? proxy->c_str() : "");
      std::optional<BasicAuth> auth;
      if (parts->scheme == "https" && options_.credentials) {
        auth = options_.credentials(parts->host);
      }
      if (auth) {
        curl_easy_setopt(h, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
        curl_easy_setopt(h, CURLOPT_USERNAME, auth->username.c_str());
        curl_easy_setopt(h, CURLOPT_PASSWORD, auth->password.c_str());
      }
      CURLcode rc = curl_easy_perform(h);
      if (x.refused) return *x.refused;
      if (rc != CURLE_OK) {
        std::string why = error_text[0] != '\0' ? error_text : curl_easy_strerror(rc);
        // A host that does not exist: neither does the module path (the go
        // command's "unrecognized import path"; 404, so a ','-chain moves on).
        ErrorCode code = rc == CURLE_OPERATION_TIMEDOUT     ? ErrorCode::kTimeout
                         : rc == CURLE_COULDNT_RESOLVE_HOST ? ErrorCode::kNotFound
                                                            : ErrorCode::kUnavailable;
        return MakeError(code,
                         "GET " + parts->scheme + "://" + parts->host + parts->path + ": " + why);
      }
      long status = 0;
      curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
      char* location = nullptr;
      curl_easy_getinfo(h, CURLINFO_REDIRECT_URL, &location);
      if (status >= 300 && status < 400 && location != nullptr) {
        url = location;
        continue;
      }
      return MetaPage{status, url, std::move(x.body)};
    }
    return MakeError(ErrorCode::kUnavailable, "too many redirects for " + url);
  }

  CurlMetaFetcherOptions options_;
};

}  // namespace

std::unique_ptr<MetaFetcher> MakeCurlMetaFetcher(CurlMetaFetcherOptions options) {
  return std::make_unique<CurlMetaFetcher>(std::move(options));
}

}  // namespace modproxy::direct
