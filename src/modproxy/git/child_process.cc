#include "modproxy/git/child_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>
#include <thread>

extern char** environ;

namespace modproxy::git {
namespace {

class Fd {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() { Close(); }
  int get() const { return fd_; }
  void Close() { Reset(-1); }
  void Reset(int fd) {
    if (fd_ >= 0) close(fd_);
    fd_ = fd;
  }

 private:
  int fd_;
};

Error SystemError(const char* what) {
  return MakeError(ErrorCode::kInternal, std::string(what) + ": " + std::strerror(errno));
}

bool MakePipe(Fd& read_end, Fd& write_end) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return false;
  read_end.Reset(fds[0]);
  write_end.Reset(fds[1]);
  return true;
}

// Fills the pipe before the child exists: the payload is small, so the write
// never blocks and can never raise SIGPIPE (the read end is still ours).
bool WriteAll(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    ssize_t n = write(fd, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

Result<pid_t> Spawn(const std::vector<std::string>& argv, int stdin_fd, int stderr_fd) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, stdin_fd, STDIN_FILENO);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, stderr_fd, STDERR_FILENO);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none;
  sigemptyset(&none);
  sigset_t defaults;
  sigemptyset(&defaults);
  sigaddset(&defaults, SIGPIPE);
  sigaddset(&defaults, SIGTERM);
  sigaddset(&defaults, SIGINT);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &defaults);
  posix_spawnattr_setpgroup(&attr, 0);
  posix_spawnattr_setflags(&attr,
                           POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = -1;
  int rc = posix_spawn(&pid, argv[0].c_str(), &actions, &attr, args.data(), environ);
  posix_spawnattr_destroy(&attr);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    errno = rc;
    return SystemError(("cannot start " + argv[0]).c_str());
  }
  return pid;
}

void Reap(pid_t pid, ChildOutcome& outcome) {
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status)) {
    outcome.exit_code = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    outcome.signal = WTERMSIG(status);
  }
}

void AppendTail(std::string& tail, const char* data, size_t n) {
  tail.append(data, n);
  if (tail.size() > kMaxStderrBytes) tail.erase(0, tail.size() - kMaxStderrBytes);
}

}  // namespace

Result<ChildOutcome> RunChild(const std::vector<std::string>& argv, std::string_view stdin_bytes,
                              std::chrono::milliseconds timeout) {
  if (argv.empty() || stdin_bytes.size() >= 60 * 1024) {
    return MakeError(ErrorCode::kInternal, "RunChild: bad arguments");
  }
  Fd in_read, in_write, err_read, err_write;
  if (!MakePipe(in_read, in_write) || !MakePipe(err_read, err_write)) {
    return SystemError("pipe");
  }
  if (!WriteAll(in_write.get(), stdin_bytes)) return SystemError("writing to a pipe");
  in_write.Close();
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  Result<pid_t> pid = Spawn(argv, in_read.get(), err_write.get());
  if (!pid) return pid.error();
  in_read.Close();
  err_write.Close();

  ChildOutcome outcome;
  // Read stderr until every writer has closed it; the deadline covers the
  // whole run, including a grandchild that keeps the pipe open.
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      outcome.timed_out = true;
      break;
    }
    pollfd p{err_read.get(), POLLIN, 0};
    int rc = poll(&p, 1, static_cast<int>(std::min<long long>(left.count() + 1, 1 << 30)));
    if (rc < 0 && errno == EINTR) continue;
    if (rc <= 0) continue;  // timeout: re-checked at the top
    char buf[4096];
    ssize_t n = read(err_read.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    AppendTail(outcome.stderr_tail, buf, static_cast<size_t>(n));
  }
  // stderr is closed; the child is exiting. Give it until the deadline.
  while (!outcome.timed_out) {
    int status = 0;
    pid_t done = waitpid(*pid, &status, WNOHANG);
    if (done == *pid) {
      if (WIFEXITED(status)) outcome.exit_code = WEXITSTATUS(status);
      if (WIFSIGNALED(status)) outcome.signal = WTERMSIG(status);
      return outcome;
    }
    if (done < 0 && errno != EINTR) return SystemError("waitpid");
    if (std::chrono::steady_clock::now() >= deadline) {
      outcome.timed_out = true;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  kill(-*pid, SIGKILL);
  kill(*pid, SIGKILL);
  Reap(*pid, outcome);
  outcome.exit_code = -1;
  return outcome;
}

}  // namespace modproxy::git
