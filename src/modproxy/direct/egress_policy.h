#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "modproxy/core/result.h"
#include "modproxy/direct/ip_address.h"
#include "modproxy/direct/proxy_env.h"

// Where direct mode may connect for a module path anyone may request (SSRF):
// never to loopback, link-local or private addresses, unless the operator
// allowed it. Paths under --private are the operator's own and skip this.
namespace modproxy::direct {

struct UrlParts {
  std::string scheme;  // lower case
  std::string host;    // without brackets
  std::string port;    // "" for the default
  std::string path;    // from the first '/' after the authority, query included
};

// scheme://[user[:pass]@]host[:port][/path]; kInvalidArgument otherwise.
Result<UrlParts> ParseUrl(std::string_view url);

using Resolver = std::function<Result<std::vector<IpAddress>>(const std::string& host)>;
Resolver SystemResolver();  // getaddrinfo

struct EgressPolicy {
  bool allow_internal = false;
  ProxyEnvironment proxies = ProxyEnvironment::FromProcess();
  Resolver resolve = SystemResolver();
};

// kForbidden when `url` names, or resolves to, an internal address. A host
// that does not resolve here is allowed when a proxy carries the request
// (the proxy resolves it); literal addresses are checked even then.
Result<void> CheckEgress(const EgressPolicy& policy, std::string_view url);

// The check for one address a connection is about to use.
Result<void> CheckAddress(const EgressPolicy& policy, const IpAddress& ip, std::string_view host);

}  // namespace modproxy::direct
