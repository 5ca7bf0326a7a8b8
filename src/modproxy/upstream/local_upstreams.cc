#include <fcntl.h>

#include <algorithm>
#include <cctype>
#include <string>
#include <string_view>

#include "modproxy/protocol/goproxy_list.h"
#include "modproxy/storage/posix_file.h"
#include "modproxy/upstream/curl_upstream.h"
#include "modproxy/upstream/upstream.h"

namespace modproxy::upstream {
namespace {

// A file:// GOPROXY tree. A missing file is "not found"; an unreadable one is
// an error, as the go command's synthetic 403 (go-modules-reference.md §1.7).
class FileUpstream final : public Upstream {
 public:
  FileUpstream(std::string url, std::string root) : url_(std::move(url)), root_(std::move(root)) {}

  const std::string& name() const override { return url_; }

  Result<void> Fetch(std::string_view path, const FetchOptions& options,
                     const ChunkSink& sink) override {
    const std::string file = root_ + "/" + std::string(path);
    Result<std::unique_ptr<storage::BlobReader>> reader = storage::OpenFileReader(file);
    if (!reader) {
      if (reader.error().code == ErrorCode::kNotFound) {
        return MakeError(ErrorCode::kNotFound, "not found: " + url_ + "/" + std::string(path));
      }
      // Unreadable is the upstream's failure (the go command's synthetic 403):
      // an error, never "not found".
      return MakeError(ErrorCode::kUnavailable, "upstream " + reader.error().message);
    }
    if ((*reader)->size() > options.max_bytes) {
      return MakeError(
          ErrorCode::kUpstreamInvalid,
          "upstream file " + file + " larger than " + std::to_string(options.max_bytes) + " bytes");
    }
    std::string buffer(256 * 1024, '\0');
    for (;;) {
      Result<std::size_t> n = (*reader)->Read(buffer.data(), buffer.size());
      if (!n) return MakeError(ErrorCode::kUnavailable, "upstream " + n.error().message);
      if (*n == 0) return {};
      if (Result<void> r = sink(std::string_view(buffer.data(), *n)); !r) return r;
    }
  }

 private:
  std::string url_;
  std::string root_;
};

// A keyword entry that never has anything: "off", and "direct" until direct
// mode exists. Both are "not found", as the go command treats "off".
class NothingUpstream final : public Upstream {
 public:
  NothingUpstream(std::string name, std::string reason)
      : name_(std::move(name)), reason_(std::move(reason)) {}
  const std::string& name() const override { return name_; }
  Result<void> Fetch(std::string_view path, const FetchOptions&, const ChunkSink&) override {
    return MakeError(ErrorCode::kNotFound, "not found: " + std::string(path) + ": " + reason_);
  }

 private:
  std::string name_;
  std::string reason_;
};

}  // namespace

std::unique_ptr<Upstream> MakeUpstream(const protocol::UpstreamEntry& entry) {
  switch (entry.kind) {
    case protocol::UpstreamKind::kOff:
      return std::make_unique<NothingUpstream>("off", "module lookup disabled by upstream=off");
    case protocol::UpstreamKind::kDirect:
      return std::make_unique<NothingUpstream>("direct",
                                               "direct mode is not supported yet by modproxy");
    case protocol::UpstreamKind::kUrl:
      break;
  }
  // URL schemes are case-insensitive: ParseGoproxyList accepts FILE:///srv as Go does.
  const std::string_view scheme = std::string_view(entry.url).substr(0, 7);
  if (scheme.size() == 7 && std::equal(scheme.begin(), scheme.end(), "file://", [](char a, char b) {
        return std::tolower(static_cast<unsigned char>(a)) == b;
      })) {
    return std::make_unique<FileUpstream>(entry.url,
                                          entry.url.substr(std::string("file://").size()));
  }
  return NewCurlUpstream(entry.url);
}

Result<std::string> FetchToString(Upstream& upstream, std::string_view path,
                                  const FetchOptions& options) {
  std::string body;
  Result<void> r = upstream.Fetch(path, options, [&body](std::string_view chunk) -> Result<void> {
    body.append(chunk);
    return {};
  });
  if (!r) return r.error();
  return body;
}

}  // namespace modproxy::upstream
