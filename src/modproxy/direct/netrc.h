#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

// .netrc credentials, read as the go command reads them (cmd/go/internal/auth):
// "machine" entries with both login and password; "macdef" bodies skipped;
// parsing stops at "default" (the go command never uses a default entry).
namespace modproxy::direct {

struct NetrcEntry {
  std::string machine;
  std::string login;
  std::string password;
};

std::vector<NetrcEntry> ParseNetrc(std::string_view text);

// The first entry for `host`, if any.
std::optional<NetrcEntry> FindNetrc(const std::vector<NetrcEntry>& entries, std::string_view host);

// Where the go command looks: $NETRC, else $HOME/.netrc. "" when neither is set.
std::string DefaultNetrcPath();

}  // namespace modproxy::direct
