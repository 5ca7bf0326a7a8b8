#pragma once

#include <string>

// libgit2 process setup shared by the mirror reader (in the server) and the
// fetch child. Include only from git/ sources.
namespace modproxy::git {

// Initializes libgit2 once per process and cuts it off from the host's git
// configuration: the global, XDG, system and ProgramData config search paths
// are emptied, so a developer's ~/.gitconfig (url.insteadOf, credential
// helpers, core.autocrlf) cannot change what the proxy fetches or serves.
// Proxy environment variables still apply (GIT_PROXY_AUTO reads them).
// Thread-safe; aborts if libgit2 cannot be initialized (a broken install).
void EnsureLibgit2();

// libgit2's last error message on this thread, or `fallback` when none.
std::string LastGitErrorMessage(const char* fallback);

}  // namespace modproxy::git
