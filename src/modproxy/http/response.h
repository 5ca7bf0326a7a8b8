#pragma once

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "modproxy/cache/zip_stream.h"
#include "modproxy/storage/storage.h"

namespace modproxy::http {

// What the handler decided to send. The body is in memory, read from
// storage while it is written (zips), or a zip miss still arriving.
struct Response {
  unsigned status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string cache_control;
  std::optional<bool> cache_hit;  // X-Go-Proxy-Cache-Hit, on protocol endpoints
  std::vector<std::pair<std::string, std::string>> extra_headers;
  std::shared_ptr<const std::string> body;
  std::unique_ptr<storage::BlobReader> reader;
  // A zip still downloading: sent with chunked transfer encoding, aborted if
  // it fails verification.
  std::shared_ptr<cache::ZipStream> stream;

  // For metrics and the access log.
  std::string endpoint = "other";
  std::string error_reason;  // "" on success
  std::string identity;      // who asked ("" anonymous)
  std::string client_ip;     // after X-Forwarded-For; "" when no policy ran (the peer's)
  // Kept until the response is sent (an upstream-fetch slot of a streamed zip).
  std::shared_ptr<void> hold;

  std::uint64_t body_size() const { return reader ? reader->size() : (body ? body->size() : 0); }
};

}  // namespace modproxy::http
