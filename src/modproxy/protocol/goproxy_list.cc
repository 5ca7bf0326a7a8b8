#include "modproxy/protocol/goproxy_list.h"

#include <string>
#include <string_view>
#include <vector>

#include "modproxy/protocol/text.h"

namespace modproxy::protocol {
namespace {

using detail::Quote;

constexpr std::string_view kDefaultGoproxy = "https://proxy.golang.org,direct";

bool IsAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
int HexValue(char c) {
  if (IsDigit(c)) return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = (c >= 'A' && c <= 'Z') ? char(c - 'A' + 'a') : c;
  return out;
}

// RFC 3986 scheme, as url.Parse finds it: "" when the URL has none.
std::string_view SchemeOf(std::string_view url) {
  if (url.empty() || !IsAlpha(url[0])) return {};
  for (std::size_t i = 1; i < url.size(); ++i) {
    const char c = url[i];
    if (c == ':') return url.substr(0, i);
    if (!IsAlpha(c) && !IsDigit(c) && c != '+' && c != '-' && c != '.') return {};
  }
  return {};
}

bool IsHostChar(char c) {
  return IsAlpha(c) || IsDigit(c) ||
         std::string_view("-_.~!$&'()*+,;=:[]<>\"").find(c) != std::string_view::npos ||
         static_cast<unsigned char>(c) >= 0x80;
}

// url.Parse's host rules: an optional ":digits" port after the last ':' (or
// after "]"), unreserved and sub-delim characters, and %-escapes only for
// non-ASCII bytes (or "%25").
bool IsValidHost(std::string_view host) {
  const std::size_t port_colon = host.starts_with('[') ? host.rfind(']') : host.rfind(':');
  if (host.starts_with('[') && port_colon == std::string_view::npos) return false;
  if (port_colon != std::string_view::npos) {
    std::string_view port = host.substr(port_colon);
    if (host.starts_with('[')) port.remove_prefix(1);
    if (!port.empty() &&
        (port[0] != ':' || port.find_first_not_of("0123456789", 1) != std::string_view::npos)) {
      return false;
    }
  }
  for (std::size_t i = 0; i < host.size(); ++i) {
    if (host[i] == '%') {
      if (HexValue(host[i + 1]) < 8 && host.substr(i, 3) != "%25") return false;
      i += 2;
    } else if (!IsHostChar(host[i])) {
      return false;
    }
  }
  return true;
}

bool IsValidUserinfo(std::string_view userinfo) {
  return userinfo.find_first_not_of(
             "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._:~!$&'()*+,;=%@") ==
         std::string_view::npos;
}

// Why the go command (url.Parse, then newProxyRepo) would refuse `url`, or ""
// if it accepts it. Stricter than Go for URLs that could never work as
// upstreams: http(s) URLs need a host, file URLs a path, and no URL may carry
// a query or fragment (entries are used as plain prefixes: base + "/" + path).
std::string UrlProblem(std::string_view url) {
  for (std::size_t i = 0; i < url.size(); ++i) {
    const auto b = static_cast<unsigned char>(url[i]);
    if (b < 0x20 || b == 0x7F) return "invalid control character in URL";
    if (url[i] == '%' &&
        (i + 2 >= url.size() || HexValue(url[i + 1]) < 0 || HexValue(url[i + 2]) < 0)) {
      return "invalid URL escape";
    }
  }
  const std::string_view raw_scheme = SchemeOf(url);
  if (raw_scheme.empty()) return "missing scheme (want https://, http:// or file://)";
  const std::string scheme = Lower(raw_scheme);
  if (scheme != "https" && scheme != "http" && scheme != "file") {
    return "invalid proxy URL scheme (must be https, http, file)";
  }
  if (url.find_first_of("?#") != std::string_view::npos) return "query or fragment not allowed";
  std::string_view rest = url.substr(raw_scheme.size() + 1);
  if (!rest.starts_with("//")) {
    return scheme == "file" ? "file proxy URL must look like file:///absolute/path"
                            : "missing host";
  }
  rest.remove_prefix(2);
  const std::string_view authority = rest.substr(0, rest.find('/'));
  const std::string_view path = rest.substr(authority.size());
  if (scheme == "file") {
    // Only scheme and path, as in file:///srv/goproxy (§1.10).
    if (!authority.empty() || path.empty()) {
      return "file proxy URL must look like file:///absolute/path";
    }
    return "";
  }
  const std::size_t at = authority.rfind('@');
  if (at != std::string_view::npos && !IsValidUserinfo(authority.substr(0, at))) {
    return "invalid userinfo";
  }
  const std::string_view host = authority.substr(at == std::string_view::npos ? 0 : at + 1);
  if (host.empty()) return "missing host";
  if (!IsValidHost(host)) return "invalid host " + Quote(host);
  return "";
}

Error BadEntry(std::string_view entry, std::string_view problem) {
  return MakeError(ErrorCode::kInvalidArgument,
                   "invalid GOPROXY entry " + Quote(entry) + ": " + std::string(problem));
}

}  // namespace

Result<std::vector<UpstreamEntry>> ParseGoproxyList(std::string_view value) {
  if (value.empty()) value = kDefaultGoproxy;
  std::vector<UpstreamEntry> entries;
  while (!value.empty()) {
    // The separator after an entry decides how that entry fails (§1.10).
    const std::size_t sep = value.find_first_of(",|");
    std::string_view token = value.substr(0, sep);
    const bool fall_back_on_error = sep != std::string_view::npos && value[sep] == '|';
    value.remove_prefix(sep == std::string_view::npos ? value.size() : sep + 1);

    token = detail::TrimSpace(token);
    if (token.empty()) continue;
    // The go command never looks past "off" or "direct".
    if (token == "off" || token == "direct") {
      entries.push_back({token == "off" ? UpstreamKind::kOff : UpstreamKind::kDirect, "", false});
      break;
    }
    // Single words are reserved keywords; anything with ".:/" that is not a
    // URL or an absolute path is a host name that gets "https://".
    std::string url(token);
    if (token.find_first_of(".:/") != std::string_view::npos &&
        token.find(":/") == std::string_view::npos && !token.starts_with('/')) {
      url = "https://" + url;
    }
    if (std::string problem = UrlProblem(url); !problem.empty()) return BadEntry(token, problem);
    if (url.ends_with('/')) url.pop_back();
    entries.push_back({UpstreamKind::kUrl, std::move(url), fall_back_on_error});
  }
  if (entries.empty()) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "GOPROXY list is not the empty string, but contains no entries");
  }
  return entries;
}

bool ShouldTryNext(const UpstreamEntry& entry, AttemptOutcome outcome) {
  switch (outcome) {
    case AttemptOutcome::kSuccess:
      return false;
    case AttemptOutcome::kNotFound:
      return true;
    case AttemptOutcome::kError:
      return entry.fall_back_on_error;
  }
  return false;
}

}  // namespace modproxy::protocol
