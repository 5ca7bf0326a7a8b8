#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "modproxy/core/result.h"

// The GOPROXY list syntax (go-modules-reference.md §1.10), used for
// --upstream. Pure.
namespace modproxy::protocol {

enum class UpstreamKind { kUrl, kDirect, kOff };

struct UpstreamEntry {
  UpstreamKind kind;
  std::string url;  // for kUrl: scheme + host + path, trailing '/' removed
  // True when the separator after this entry was '|': fall through to the next
  // entry on any error, not only on "not found".
  bool fall_back_on_error = false;

  bool operator==(const UpstreamEntry&) const = default;
};

// Parses a GOPROXY value exactly as the go command does: entries cut at ',' or
// '|', spaces trimmed, empty entries skipped, nothing after "direct" or "off"
// kept, bare hosts ("proxy.example.com", "localhost:8080") get "https://",
// schemes limited to http, https and file (file URLs: no host, query or
// fragment). An empty value means "https://proxy.golang.org,direct"; a value
// with no entries, or a bad entry, is kInvalidArgument naming the entry.
Result<std::vector<UpstreamEntry>> ParseGoproxyList(std::string_view value);

enum class AttemptOutcome { kSuccess, kNotFound, kError };

// TryProxies: after `outcome` from `entry`, may the next entry be tried?
// Success stops; not found always goes on; an error goes on only after '|'.
bool ShouldTryNext(const UpstreamEntry& entry, AttemptOutcome outcome);

}  // namespace modproxy::protocol
