#include "modproxy/git/libgit2_init.h"

#include <git2.h>

#include <cstdlib>
#include <mutex>

#include "modproxy/core/check.h"

namespace modproxy::git {

void EnsureLibgit2() {
  static std::once_flag once;
  std::call_once(once, [] {
    MODPROXY_CHECK(git_libgit2_init() >= 0);
    for (git_config_level_t level : {GIT_CONFIG_LEVEL_PROGRAMDATA, GIT_CONFIG_LEVEL_SYSTEM,
                                     GIT_CONFIG_LEVEL_XDG, GIT_CONFIG_LEVEL_GLOBAL}) {
      MODPROXY_CHECK(git_libgit2_opts(GIT_OPT_SET_SEARCH_PATH, level, "") == 0);
    }
    // Trust what the go command and git trust: SSL_CERT_FILE / SSL_CERT_DIR
    // name a company's CA for its own git servers (libgit2 links mbedTLS,
    // which reads neither variable itself).
    const char* file = std::getenv("SSL_CERT_FILE");
    const char* dir = std::getenv("SSL_CERT_DIR");
    if ((file != nullptr && *file != '\0') || (dir != nullptr && *dir != '\0')) {
      // A bad location shows later as a certificate error on the fetch.
      (void)git_libgit2_opts(GIT_OPT_SET_SSL_CERT_LOCATIONS,
                             file != nullptr && *file != '\0' ? file : nullptr,
                             dir != nullptr && *dir != '\0' ? dir : nullptr);
    }
  });
}

std::string LastGitErrorMessage(const char* fallback) {
  const git_error* error = git_error_last();
  if (error == nullptr || error->message == nullptr || error->message[0] == '\0') {
    return fallback;
  }
  return error->message;
}

}  // namespace modproxy::git
