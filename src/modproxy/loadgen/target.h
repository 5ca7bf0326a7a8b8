#pragma once

#include <string>
#include <string_view>

#include "modproxy/core/result.h"

// The server under test, from the URL given to `modproxy bench`.
namespace modproxy::loadgen {

struct Target {
  std::string url;          // as given, without a trailing '/'
  std::string host;         // "127.0.0.1", "::1", "proxy.example.com"
  std::string port;         // "80" when absent
  std::string host_header;  // the Host header value: "[::1]:8080", or the host alone on port 80
  std::string prefix;       // "" or "/prefix" (no trailing '/'); request paths are appended
};

// Parses "http://host[:port][/prefix]". kInvalidArgument for anything else;
// https:// gets "https is not supported by bench yet; use probe", since TLS
// would put the handshake cost into a tool meant to measure the server.
Result<Target> ParseTarget(std::string_view url);

}  // namespace modproxy::loadgen
