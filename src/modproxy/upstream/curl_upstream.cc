#include "modproxy/upstream/curl_upstream.h"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include <curl/curl.h>

#include "modproxy/core/version.h"
#include "modproxy/protocol/text.h"

namespace modproxy::upstream {
namespace {

// One easy handle per worker thread: curl keeps its connection cache (and TLS
// sessions, DNS) in the handle, so reusing it across requests reuses
// keep-alive connections to the upstream. curl_easy_reset keeps that cache.
struct EasyHandleDeleter {
  void operator()(CURL* handle) const { curl_easy_cleanup(handle); }
};

CURL* ThreadEasyHandle() {
  thread_local std::unique_ptr<CURL, EasyHandleDeleter> handle(curl_easy_init());
  curl_easy_reset(handle.get());
  return handle.get();
}

// Go's url.PathEscape per segment, keeping '/': escaped module paths only hold
// safe bytes, but non-canonical .info queries may hold any file-path byte.
std::string EscapeUrlPath(std::string_view path) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : path) {
    bool keep = std::isalnum(c) || std::string_view("-._~$&+,/:;=@!").find(static_cast<char>(c)) !=
                                       std::string_view::npos;
    if (keep) {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

struct Transfer {
  CURL* handle = nullptr;
  const ChunkSink* sink = nullptr;
  std::uint64_t max_bytes = 0;
  std::uint64_t received = 0;
  long status = 0;
  // Stall detection: curl's own low-speed check averages over several seconds,
  // so a 1 s stall limit fired after ~7 s; this one fires within ~1 s of it.
  std::chrono::milliseconds stall_timeout{0};
  curl_off_t last_bytes = -1;
  std::chrono::steady_clock::time_point last_progress;
  bool stalled = false;
  std::string error_body;            // first bytes of a non-200 answer
  std::optional<Error> abort_error;  // why we stopped the transfer ourselves
};

size_t OnBody(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  std::string_view chunk(data, size * count);
  if (t->status == 0) curl_easy_getinfo(t->handle, CURLINFO_RESPONSE_CODE, &t->status);
  if (t->status != 200) {
    if (t->error_body.size() < 512) t->error_body.append(chunk.substr(0, 512));
    return chunk.size();
  }
  t->received += chunk.size();
  if (t->received > t->max_bytes) {
    t->abort_error =
        MakeError(ErrorCode::kUpstreamInvalid,
                  "upstream response larger than " + std::to_string(t->max_bytes) + " bytes");
    return 0;
  }
  if (Result<void> r = (*t->sink)(chunk); !r) {
    t->abort_error = r.error();
    return 0;
  }
  return chunk.size();
}

int OnProgress(void* user, curl_off_t /*dltotal*/, curl_off_t dlnow, curl_off_t /*ultotal*/,
               curl_off_t /*ulnow*/) {
  auto* t = static_cast<Transfer*>(user);
  const auto now = std::chrono::steady_clock::now();
  if (dlnow != t->last_bytes) {
    t->last_bytes = dlnow;
    t->last_progress = now;
    return 0;
  }
  if (now - t->last_progress > t->stall_timeout) {
    t->stalled = true;
    return 1;  // aborts the transfer with CURLE_ABORTED_BY_CALLBACK
  }
  return 0;
}

// The URL with any "user:password@" replaced by "***@": names that reach logs
// and clients' error messages must not carry upstream credentials.
std::string RedactUserinfo(const std::string& url) {
  std::size_t scheme_end = url.find("://");
  if (scheme_end == std::string::npos) return url;
  std::size_t host_start = scheme_end + 3;
  std::size_t at = url.find('@', host_start);
  if (at == std::string::npos || at > url.find('/', host_start)) return url;
  return url.substr(0, host_start) + "***" + url.substr(at);
}

class CurlUpstream final : public Upstream {
 public:
  explicit CurlUpstream(std::string base_url)
      : base_url_(std::move(base_url)),
        display_url_(RedactUserinfo(base_url_)),
        https_(base_url_.rfind("https://", 0) == 0),
        user_agent_(std::string("modproxy/") + kVersion) {}

  const std::string& name() const override { return display_url_; }

  Result<void> Fetch(std::string_view path, const FetchOptions& options,
                     const ChunkSink& sink) override {
    const std::string escaped_path = EscapeUrlPath(path);
    const std::string url = base_url_ + "/" + escaped_path;
    const std::string shown = display_url_ + "/" + escaped_path;  // for messages
    Transfer t;
    t.handle = ThreadEasyHandle();
    t.sink = &sink;
    t.max_bytes = options.max_bytes;
    char curl_error[CURL_ERROR_SIZE] = {0};
    CURL* h = t.handle;
    curl_easy_setopt(h, CURLOPT_URL, url.c_str());
    curl_easy_setopt(h, CURLOPT_USERAGENT, user_agent_.c_str());
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, &OnBody);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &t);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, curl_error);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(h, CURLOPT_MAXREDIRS, 10L);
    // Like the go command: never follow a redirect from https to plain http.
    curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, https_ ? "https" : "http,https");
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "");
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS,
                     static_cast<long>(options.connect_timeout.count()));
    t.stall_timeout = options.stall_timeout;
    t.last_progress = std::chrono::steady_clock::now();
    curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, &OnProgress);
    curl_easy_setopt(h, CURLOPT_XFERINFODATA, &t);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(options.total_timeout.count()));
    // Fails at once when a Content-Length already says too large; the write
    // callback enforces the cap for bodies without one.
    curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE, static_cast<curl_off_t>(options.max_bytes));

    CURLcode code = curl_easy_perform(h);
    if (t.abort_error) return *t.abort_error;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &t.status);
    if (code == CURLE_OPERATION_TIMEDOUT || t.stalled) {
      return MakeError(ErrorCode::kTimeout, "upstream " + shown + " timed out");
    }
    if (code == CURLE_FILESIZE_EXCEEDED) {
      return MakeError(ErrorCode::kUpstreamInvalid, "upstream " + shown + " response larger than " +
                                                        std::to_string(options.max_bytes) +
                                                        " bytes");
    }
    if (code != CURLE_OK) {
      return MakeError(ErrorCode::kUnavailable,
                       "upstream " + shown + ": " +
                           (curl_error[0] ? std::string(curl_error) : curl_easy_strerror(code)));
    }
    return StatusToResult(shown, t);
  }

 private:
  static Result<void> StatusToResult(const std::string& url, const Transfer& t) {
    if (t.status == 200) return {};
    std::string detail = protocol::detail::PrintableExcerpt(t.error_body);
    std::string message = "upstream " + url + " answered " + std::to_string(t.status) +
                          (detail.empty() ? "" : ": " + detail);
    if (t.status == 404) return MakeError(ErrorCode::kNotFound, message);
    if (t.status == 410) return MakeError(ErrorCode::kGone, message);
    return MakeError(ErrorCode::kUnavailable, message);
  }

  std::string base_url_;
  std::string display_url_;
  bool https_;
  std::string user_agent_;
};

}  // namespace

std::unique_ptr<Upstream> NewCurlUpstream(std::string base_url) {
  return std::make_unique<CurlUpstream>(std::move(base_url));
}

void GlobalInit() { curl_global_init(CURL_GLOBAL_ALL); }

}  // namespace modproxy::upstream
