#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "modproxy/core/result.h"

// What MirrorStore (the parent) and RunFetchChild (the child) say to each
// other. The child's command line is
//   <fetch_helper> [<fetch_helper_args>...] <mirror-dir> <url>
// and its stdin carries one JSON object (EncodeFetchInput): the limits and the
// credentials, which must never appear in argv or the environment (both are
// visible to other users through /proc). The child exits with one of the
// kFetchExit* codes and writes a one-line error message, credentials removed,
// as the last line of stderr.
namespace modproxy::git {

// How to authenticate to a repository. Unused fields are empty. With HTTP(S)
// the password (or access token) is sent as Basic authentication; an empty
// username then becomes the URL's username or "git". With SSH the key pair
// (paths on this machine) is used, with the URL's user or "git".
struct Credentials {
  std::string username;
  std::string password;  // or a token
  std::string ssh_private_key;
  std::string ssh_public_key;
  std::string ssh_passphrase;
};

struct FetchInput {
  std::uint64_t max_repo_bytes{0};
  bool follow_redirects{true};
  std::optional<Credentials> credentials;
};

inline constexpr int kFetchExitOk = 0;
inline constexpr int kFetchExitUnavailable = 1;
inline constexpr int kFetchExitNotFound = 2;
inline constexpr int kFetchExitTooLarge = 3;
inline constexpr int kFetchExitUsage = 64;

std::string EncodeFetchInput(const FetchInput& input);
// kInvalidArgument when the text is not what EncodeFetchInput writes.
Result<FetchInput> DecodeFetchInput(std::string_view text);

// `url` with the password of its userinfo replaced, as Go's URL.Redacted
// does: "https://user:xxxxx@host/repo".
std::string RedactUrl(std::string_view url);

// `text` with every secret removed: the credentials' password and passphrase
// and the password in `url`'s userinfo (as written and percent-decoded).
std::string RedactSecrets(std::string text, const std::optional<Credentials>& credentials,
                          std::string_view url);

}  // namespace modproxy::git
