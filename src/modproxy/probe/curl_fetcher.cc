// The libcurl adapter of probe::Fetcher: the only file of the probe that
// includes curl, and where CURLcode is mapped to TransportFailure.
#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include <curl/curl.h>

#include "modproxy/core/version.h"
#include "modproxy/probe/fetcher.h"

namespace modproxy::probe {
namespace {

struct EasyDeleter {
  void operator()(CURL* handle) const { curl_easy_cleanup(handle); }
};
using EasyHandle = std::unique_ptr<CURL, EasyDeleter>;

struct Transfer {
  const FetchRequest* request = nullptr;
  FetchResult* result = nullptr;
};

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() &&
         (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n')) {
    s.remove_suffix(1);
  }
  return s;
}

size_t OnHeader(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  std::string_view line(data, size * count);
  // Each hop of a redirect starts with its own status line: keep only the
  // headers of the last answer.
  if (line.starts_with("HTTP/")) {
    t->result->headers.clear();
    return line.size();
  }
  const std::size_t colon = line.find(':');
  if (colon == std::string_view::npos || colon == 0) return line.size();
  std::string name(Trim(line.substr(0, colon)));
  std::transform(name.begin(), name.end(), name.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  t->result->headers[name] = std::string(Trim(line.substr(colon + 1)));
  return line.size();
}

size_t OnBody(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const std::size_t n = size * count;
  FetchResult& r = *t->result;
  r.body_bytes += n;
  if (r.body.size() < t->request->keep_bytes) {
    r.body.append(data, std::min(n, t->request->keep_bytes - r.body.size()));
  }
  return n;
}

TransportFailure Classify(CURLcode code) {
  switch (code) {
    case CURLE_OK:
      return TransportFailure::kNone;
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
      return TransportFailure::kDns;
    case CURLE_COULDNT_CONNECT:
      return TransportFailure::kConnect;
    case CURLE_OPERATION_TIMEDOUT:
      return TransportFailure::kTimeout;
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
    case CURLE_SSL_ENGINE_NOTFOUND:
    case CURLE_SSL_ENGINE_SETFAILED:
    case CURLE_SSL_ENGINE_INITFAILED:
    case CURLE_SSL_SHUTDOWN_FAILED:
      return TransportFailure::kTls;
    default:
      return TransportFailure::kBroken;
  }
}

const char* Getenv(const char* name) {
  const char* value = std::getenv(name);
  return value != nullptr && *value != '\0' ? value : nullptr;
}

std::int64_t TimeInfo(CURL* h, CURLINFO info) {
  curl_off_t value = 0;
  if (curl_easy_getinfo(h, info, &value) != CURLE_OK) return 0;
  return static_cast<std::int64_t>(value);
}

class CurlFetcher final : public Fetcher {
 public:
  CurlFetcher() : user_agent_(std::string("modproxy/") + kVersion + " (probe)") {
    static std::once_flag init;
    std::call_once(init, [] { curl_global_init(CURL_GLOBAL_ALL); });
  }

  FetchResult Fetch(const FetchRequest& request) override {
    FetchResult result;
    // A new handle per request: no connection, TLS session or DNS cache
    // carries over, so every phase of every request is measured.
    EasyHandle handle(curl_easy_init());
    CURL* h = handle.get();
    if (h == nullptr) {
      result.failure = TransportFailure::kBroken;
      result.error = "curl_easy_init failed";
      return result;
    }
    Transfer t{&request, &result};
    char curl_error[CURL_ERROR_SIZE] = {0};
    const bool https = request.url.starts_with("https://");
    curl_easy_setopt(h, CURLOPT_URL, request.url.c_str());
    curl_easy_setopt(h, CURLOPT_USERAGENT, user_agent_.c_str());
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, curl_error);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_FRESH_CONNECT, 1L);
    curl_easy_setopt(h, CURLOPT_FORBID_REUSE, 1L);
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(h, CURLOPT_MAXREDIRS, 10L);
    // Like the go command: never follow a redirect from https to plain http.
    curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, https ? "https" : "http,https");
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(request.timeout.count()));
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(request.timeout.count()));
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, &OnHeader);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, &t);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, &OnBody);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &t);
    // libcurl itself reads no CA variables; the curl tool does, and so do we,
    // so that a private or test CA can be trusted without touching the system.
    if (const char* file =
            Getenv("CURL_CA_BUNDLE") ? Getenv("CURL_CA_BUNDLE") : Getenv("SSL_CERT_FILE")) {
      curl_easy_setopt(h, CURLOPT_CAINFO, file);
    }
    if (const char* dir = Getenv("SSL_CERT_DIR")) curl_easy_setopt(h, CURLOPT_CAPATH, dir);

    const CURLcode code = curl_easy_perform(h);
    result.failure = Classify(code);
    if (result.failure != TransportFailure::kNone) {
      result.error = curl_error[0] != '\0' ? curl_error : curl_easy_strerror(code);
    }
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &result.status);
    curl_easy_getinfo(h, CURLINFO_REDIRECT_COUNT, &result.redirects);
    result.times.namelookup_us = TimeInfo(h, CURLINFO_NAMELOOKUP_TIME_T);
    result.times.connect_us = TimeInfo(h, CURLINFO_CONNECT_TIME_T);
    result.times.appconnect_us = TimeInfo(h, CURLINFO_APPCONNECT_TIME_T);
    result.times.pretransfer_us = TimeInfo(h, CURLINFO_PRETRANSFER_TIME_T);
    result.times.starttransfer_us = TimeInfo(h, CURLINFO_STARTTRANSFER_TIME_T);
    result.times.total_us = TimeInfo(h, CURLINFO_TOTAL_TIME_T);
    return result;
  }

 private:
  std::string user_agent_;
};

}  // namespace

std::unique_ptr<Fetcher> NewCurlFetcher() { return std::make_unique<CurlFetcher>(); }

}  // namespace modproxy::probe
