#include "modproxy/direct/netrc.h"

#include <cstdlib>

namespace modproxy::direct {
namespace {

std::vector<std::string_view> Fields(std::string_view line) {
  std::vector<std::string_view> fields;
  std::size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r')) ++i;
    std::size_t start = i;
    while (i < line.size() && line[i] != ' ' && line[i] != '\t' && line[i] != '\r') ++i;
    if (i > start) fields.push_back(line.substr(start, i - start));
  }
  return fields;
}

}  // namespace

std::vector<NetrcEntry> ParseNetrc(std::string_view text) {
  std::vector<NetrcEntry> entries;
  NetrcEntry current;
  bool in_macro = false;
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t end = text.find('\n', start);
    std::string_view line =
        text.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
    start = end == std::string_view::npos ? text.size() + 1 : end + 1;
    if (in_macro) {
      // A macro body runs to the next empty line.
      if (line.empty()) in_macro = false;
      continue;
    }
    std::vector<std::string_view> f = Fields(line);
    std::size_t i = 0;
    for (; i + 1 < f.size(); i += 2) {
      if (f[i] == "default") break;
      if (f[i] == "machine") current = NetrcEntry{std::string(f[i + 1]), "", ""};
      if (f[i] == "login") current.login = f[i + 1];
      if (f[i] == "password") current.password = f[i + 1];
      if (f[i] == "macdef") in_macro = true;
      if (!current.machine.empty() && !current.login.empty() && !current.password.empty()) {
        entries.push_back(std::move(current));
        current = NetrcEntry{};
      }
    }
    if (i < f.size() && f[i] == "default") break;
  }
  return entries;
}

std::optional<NetrcEntry> FindNetrc(const std::vector<NetrcEntry>& entries, std::string_view host) {
  for (const NetrcEntry& e : entries) {
    if (e.machine == host) return e;
  }
  return std::nullopt;
}

std::string DefaultNetrcPath() {
  if (const char* netrc = std::getenv("NETRC"); netrc != nullptr && *netrc != '\0') return netrc;
  if (const char* home = std::getenv("HOME"); home != nullptr && *home != '\0') {
    return std::string(home) + "/.netrc";
  }
  return "";
}

}  // namespace modproxy::direct
