#include "modproxy/direct/proxy_env.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>

#include "modproxy/direct/ip_address.h"

namespace modproxy::direct {
namespace {

std::string FirstSet(const EnvGetter& env, const std::string& upper, const std::string& lower) {
  if (std::optional<std::string> v = env(upper); v && !v->empty()) return *v;
  if (std::optional<std::string> v = env(lower); v && !v->empty()) return *v;
  return "";
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

// "host:port", "[v6]:port" -> (host, port); otherwise (text, "").
std::pair<std::string, std::string> SplitHostPort(std::string_view text) {
  if (!text.empty() && text.front() == '[') {
    std::size_t close = text.find(']');
    if (close != std::string_view::npos && close + 1 < text.size() && text[close + 1] == ':') {
      return {std::string(text.substr(1, close - 1)), std::string(text.substr(close + 2))};
    }
    return {std::string(text), ""};
  }
  std::size_t colon = text.rfind(':');
  if (colon != std::string_view::npos && text.find(':') == colon) {
    return {std::string(text.substr(0, colon)), std::string(text.substr(colon + 1))};
  }
  return {std::string(text), ""};
}

std::string DefaultPort(std::string_view scheme) {
  if (scheme == "https") return "443";
  if (scheme == "http") return "80";
  return "";
}

}  // namespace

ProxyEnvironment::ProxyEnvironment(const EnvGetter& env) {
  // As net/http: under CGI (REQUEST_METHOD set) HTTP_PROXY may come from a
  // request header ("httpoxy"), so only the lower-case form counts.
  bool cgi = env("REQUEST_METHOD").has_value();
  http_proxy_ = cgi ? env("http_proxy").value_or("") : FirstSet(env, "HTTP_PROXY", "http_proxy");
  https_proxy_ = FirstSet(env, "HTTPS_PROXY", "https_proxy");
  no_proxy_ = FirstSet(env, "NO_PROXY", "no_proxy");
}

ProxyEnvironment ProxyEnvironment::FromProcess() {
  return ProxyEnvironment([](const std::string& name) -> std::optional<std::string> {
    const char* v = std::getenv(name.c_str());
    if (v == nullptr) return std::nullopt;
    return std::string(v);
  });
}

bool ProxyEnvironment::Exempt(std::string_view raw_host, std::string_view port) const {
  std::string host = Lower(Trim(raw_host));
  if (host == "localhost") return true;
  std::optional<IpAddress> ip = ParseIp(host);
  if (ip && IsLoopback(*ip)) return true;
  std::string_view rest = no_proxy_;
  while (!rest.empty()) {
    std::size_t comma = rest.find(',');
    std::string entry = Lower(Trim(rest.substr(0, comma)));
    rest = comma == std::string_view::npos ? "" : rest.substr(comma + 1);
    if (entry.empty()) continue;
    if (entry == "*") return true;
    if (std::optional<Cidr> cidr = ParseCidr(entry)) {
      if (ip && Contains(*cidr, *ip)) return true;
      continue;
    }
    auto [phost, pport] = SplitHostPort(entry);
    if (phost.size() >= 2 && phost.front() == '[' && phost.back() == ']') {
      phost = phost.substr(1, phost.size() - 2);
    }
    if (phost.empty()) continue;
    bool port_ok = pport.empty() || pport == port;
    if (std::optional<IpAddress> pip = ParseIp(phost)) {
      if (ip && pip->bytes == ip->bytes && port_ok) return true;
      continue;
    }
    if (phost.rfind("*.", 0) == 0) phost.erase(0, 1);
    bool match_host = phost.front() != '.';
    if (match_host) phost = "." + phost;
    bool suffix = host.size() >= phost.size() &&
                  host.compare(host.size() - phost.size(), phost.size(), phost) == 0;
    if ((suffix || (match_host && host == phost.substr(1))) && port_ok) return true;
  }
  return false;
}

std::optional<std::string> ProxyEnvironment::ProxyFor(std::string_view scheme,
                                                      std::string_view host,
                                                      std::string_view port) const {
  const std::string& proxy = scheme == "https" ? https_proxy_ : http_proxy_;
  if (proxy.empty() || (scheme != "http" && scheme != "https")) return std::nullopt;
  if (Exempt(host, port.empty() ? DefaultPort(scheme) : std::string(port))) return std::nullopt;
  // A bare "host:port" is an http proxy, as in Go.
  if (proxy.find("://") == std::string::npos) return "http://" + proxy;
  return proxy;
}

}  // namespace modproxy::direct
