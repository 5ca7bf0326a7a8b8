#pragma once

#include <string>
#include <string_view>

#include "modproxy/core/result.h"

// A proxy URL given to `modproxy probe`. Credentials in it ("user:pass@") are
// used for the requests but never shown: every name that reaches the output
// comes from `shown` or goes through Redact(). Pure, no I/O.
namespace modproxy::probe {

struct ProxyUrl {
  std::string url;       // "https://user:pass@proxy.example/prefix", no trailing '/'
  std::string shown;     // "https://***@proxy.example/prefix"
  std::string userinfo;  // "user:pass", empty when none

  // `text` with every "<userinfo>@" replaced by "***@" (curl's messages may
  // quote the URL).
  std::string Redact(std::string_view text) const;
};

// Accepts http:// and https:// URLs with a host, an optional port and path,
// and no query or fragment (GOPROXY entries have none). Trailing slashes are
// dropped. kInvalidArgument with a reason naming the redacted URL otherwise.
Result<ProxyUrl> ParseProxyUrl(std::string_view text);

}  // namespace modproxy::probe
