#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "modproxy/core/result.h"

namespace modproxy::git {

struct ChildOutcome {
  bool timed_out{false};
  int exit_code{-1};  // -1 when killed by a signal (or by the timeout)
  int signal{0};
  std::string stderr_tail;  // the last kMaxStderrBytes of its stderr
};

inline constexpr size_t kMaxStderrBytes = 64 * 1024;

// Runs argv[0] (a path, not searched in PATH) with `stdin_bytes` as its whole
// stdin, stdout discarded, stderr collected, the environment inherited. The
// child gets its own process group; when it has not exited after `timeout`
// the whole group is sent SIGKILL (a stalled libgit2 fetch has no timeout of
// its own), and the child is always reaped before returning.
// kInternal when it cannot be started; stdin_bytes must fit a pipe (< 60 KiB).
Result<ChildOutcome> RunChild(const std::vector<std::string>& argv, std::string_view stdin_bytes,
                              std::chrono::milliseconds timeout);

}  // namespace modproxy::git
