#include "modproxy/loadgen/fd_limit.h"

#include <sys/resource.h>
#include <unistd.h>

#include <string>

#include <fmt/format.h>

namespace modproxy::loadgen {

Result<void> EnsureFileLimit(std::uint64_t needed) {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return {};  // nothing we can do; let connects fail
  if (limit.rlim_cur != RLIM_INFINITY && limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);
    getrlimit(RLIMIT_NOFILE, &limit);
  }
  if (limit.rlim_cur != RLIM_INFINITY && limit.rlim_cur < needed && geteuid() == 0) {
    // Root may raise the hard limit up to fs.nr_open.
    rlimit raised{static_cast<rlim_t>(needed), static_cast<rlim_t>(needed)};
    if (setrlimit(RLIMIT_NOFILE, &raised) == 0) limit = raised;
  }
  if (limit.rlim_cur == RLIM_INFINITY || limit.rlim_cur >= needed) return {};
  return MakeError(
      ErrorCode::kInvalidArgument,
      fmt::format("--concurrency and --idle need {} file descriptors but the limit is {} "
                  "(raise it with `ulimit -n {}` or in /etc/security/limits.conf, or use fewer "
                  "connections)",
                  needed, static_cast<std::uint64_t>(limit.rlim_cur), needed));
}

}  // namespace modproxy::loadgen
