#pragma once

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "modproxy/storage/storage.h"

namespace modproxy::http {

// What the handler decided to send. The body is either in memory or read
// from storage while it is written (zips).
struct Response {
  unsigned status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string cache_control;
  std::optional<bool> cache_hit;  // X-Go-Proxy-Cache-Hit, on protocol endpoints
  std::vector<std::pair<std::string, std::string>> extra_headers;
  std::shared_ptr<const std::string> body;
  std::unique_ptr<storage::BlobReader> reader;

  // For metrics and the access log.
  std::string endpoint = "other";
  std::string error_reason;  // "" on success

  std::uint64_t body_size() const { return reader ? reader->size() : (body ? body->size() : 0); }
};

}  // namespace modproxy::http
