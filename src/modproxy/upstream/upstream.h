#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "modproxy/core/result.h"
#include "modproxy/protocol/goproxy_list.h"

// Fetching from the upstream chain. An Upstream is one GOPROXY entry; it
// fetches relative paths of a GOPROXY tree ("golang.org/x/text/@v/list",
// "sumdb/sum.golang.org/latest"), already case-escaped. Calls block: run them
// on the fetch workers, never on an I/O thread.
namespace modproxy::upstream {

struct FetchOptions {
  std::uint64_t max_bytes = 16 << 20;  // larger bodies fail with kUpstreamInvalid
  std::chrono::milliseconds connect_timeout{30000};
  // No byte received for this long: kTimeout.
  std::chrono::milliseconds stall_timeout{30000};
  // Whole exchange; 0 = none (zips may legitimately take long).
  std::chrono::milliseconds total_timeout{0};
};

// Receives the body of a 200 answer in order. An error stops the transfer and
// is returned from Fetch unchanged (a full disk stays kStorage).
using ChunkSink = std::function<Result<void>(std::string_view chunk)>;

class Upstream {
 public:
  virtual ~Upstream() = default;
  // How logs and error messages name it: the URL, or "off" / "direct".
  virtual const std::string& name() const = 0;
  // kNotFound or kGone: the upstream does not have it (HTTP 404/410, missing
  // file, or "off"). kTimeout, kUnavailable (any other status, a transport
  // error, a truncated body, an unreadable file): it
  // failed. kUpstreamInvalid: the body is over max_bytes. Errors returned by
  // `sink` pass through.
  virtual Result<void> Fetch(std::string_view path, const FetchOptions& options,
                             const ChunkSink& sink) = 0;
};

// Builds the Upstream for one parsed GOPROXY entry. User-Agent, connection
// reuse and redirects are handled inside.
std::unique_ptr<Upstream> MakeUpstream(const protocol::UpstreamEntry& entry);

// Convenience: fetch into memory.
Result<std::string> FetchToString(Upstream& upstream, std::string_view path,
                                  const FetchOptions& options);

// Must be called once at start-up, before any thread fetches.
void GlobalInit();

}  // namespace modproxy::upstream
