#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

// The standard proxy variables, read as the go command reads them
// (x/net/http/httpproxy): HTTP_PROXY or http_proxy for http URLs,
// HTTPS_PROXY or https_proxy for https URLs (upper case first), NO_PROXY or
// no_proxy exemptions (hosts with their subdomains, ".domain", "*.domain",
// IPs, CIDRs, optional ports, "*"), and never a proxy for localhost or a
// loopback address. libgit2 reads the same variables for git traffic.
namespace modproxy::direct {

using EnvGetter = std::function<std::optional<std::string>(const std::string& name)>;

class ProxyEnvironment {
 public:
  explicit ProxyEnvironment(const EnvGetter& env);
  static ProxyEnvironment FromProcess();

  // The proxy URL for a request to scheme://host:port, or nullopt for a
  // direct connection. `port` is "" for the scheme's default.
  std::optional<std::string> ProxyFor(std::string_view scheme, std::string_view host,
                                      std::string_view port) const;

 private:
  bool Exempt(std::string_view host, std::string_view port) const;

  std::string http_proxy_;
  std::string https_proxy_;
  std::string no_proxy_;
};

}  // namespace modproxy::direct
