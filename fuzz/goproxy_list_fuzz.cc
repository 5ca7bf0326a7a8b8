// GOPROXY lists (protocol/goproxy_list.h). Input: a GOPROXY value. An accepted
// list, written back out, must parse to the same entries.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_input.h"
#include "modproxy/core/check.h"
#include "modproxy/protocol/goproxy_list.h"

namespace {

using namespace modproxy::protocol;  // NOLINT(google-build-using-namespace)

bool HasScheme(std::string_view url, std::string_view scheme) {
  if (url.size() < scheme.size() + 3) return false;
  for (std::size_t i = 0; i < scheme.size(); ++i) {
    const char c = url[i];
    if ((c >= 'A' && c <= 'Z' ? char(c - 'A' + 'a') : c) != scheme[i]) return false;
  }
  return url.substr(scheme.size(), 3) == "://";
}

std::string Format(const std::vector<UpstreamEntry>& entries) {
  std::string value;
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const UpstreamEntry& e = entries[i];
    // The parser removes one trailing '/' (x/mod's TrimSuffix): give it one.
    value += e.kind == UpstreamKind::kUrl      ? e.url + "/"
             : e.kind == UpstreamKind::kDirect ? std::string("direct")
                                               : std::string("off");
    if (e.fall_back_on_error) {
      value += '|';
    } else if (i + 1 < entries.size()) {
      value += ',';
    }
  }
  return value;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view value = modproxy::fuzz::AsText(data, size);
  const modproxy::Result<std::vector<UpstreamEntry>> parsed = ParseGoproxyList(value);
  if (!parsed) {
    MODPROXY_CHECK(parsed.error().code == modproxy::ErrorCode::kInvalidArgument);
    return 0;
  }
  const std::vector<UpstreamEntry>& entries = *parsed;
  MODPROXY_CHECK(!entries.empty());
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const UpstreamEntry& e = entries[i];
    if (e.kind != UpstreamKind::kUrl) {
      // Nothing after "direct" or "off" is ever tried.
      MODPROXY_CHECK(i + 1 == entries.size() && e.url.empty() && !e.fall_back_on_error);
      continue;
    }
    MODPROXY_CHECK(HasScheme(e.url, "https") || HasScheme(e.url, "http") ||
                   HasScheme(e.url, "file"));
    MODPROXY_CHECK(e.url.find_first_of(",|?#") == std::string::npos);
    for (const char c : e.url) {
      const auto b = static_cast<unsigned char>(c);
      MODPROXY_CHECK(b > 0x20 || c == ' ');
      MODPROXY_CHECK(b != 0x7F);
    }
    MODPROXY_CHECK(!e.url.starts_with(' '));
  }

  // Written out with the same separators, the list parses to the same entries.
  const modproxy::Result<std::vector<UpstreamEntry>> again = ParseGoproxyList(Format(entries));
  MODPROXY_CHECK(again.has_value());
  MODPROXY_CHECK(*again == entries);
  return 0;
}
