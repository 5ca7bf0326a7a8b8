#pragma once

// Test-only helpers: temporary directories, the git CLI (a test dependency)
// to build repositories, and a loopback HTTP listener with canned answers.
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <netinet/in.h>

namespace modproxy::git::testing {

// The git CLI must not see the host's configuration either.
inline void IsolateGitCli() {
  setenv("GIT_CONFIG_NOSYSTEM", "1", 1);
  setenv("GIT_CONFIG_GLOBAL", "/dev/null", 1);
  setenv("GIT_AUTHOR_NAME", "Test", 1);
  setenv("GIT_AUTHOR_EMAIL", "test@example.com", 1);
  setenv("GIT_COMMITTER_NAME", "Test", 1);
  setenv("GIT_COMMITTER_EMAIL", "test@example.com", 1);
  for (const char* name : {"http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY"}) {
    unsetenv(name);
  }
}

class TempDir {
 public:
  TempDir() {
    std::string templ = std::filesystem::temp_directory_path().string() + "/modproxy-git-XXXXXX";
    path_ = mkdtemp(templ.data());
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

inline std::string ShellQuote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

// Runs `script` with /bin/sh in `dir`; fails the test when it exits non-zero.
// Returns stdout with trailing newlines removed.
inline std::string Sh(const std::string& dir, const std::string& script) {
  std::string command = "cd " + ShellQuote(dir) + " && { " + script + "\n}";
  FILE* pipe = popen(command.c_str(), "r");
  std::string out;
  std::array<char, 4096> buf;
  size_t n = 0;
  while ((n = fread(buf.data(), 1, buf.size(), pipe)) > 0) out.append(buf.data(), n);
  int status = pclose(pipe);
  EXPECT_EQ(status, 0) << "command failed: " << script;
  while (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

inline void WriteFile(const std::string& path, const std::string& bytes) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
}

// A non-bare repository built with the git CLI, served as file://<dir>.
class SourceRepo {
 public:
  explicit SourceRepo(std::string dir) : dir_(std::move(dir)) {
    IsolateGitCli();
    std::filesystem::create_directories(dir_);
    Git("init -q -b main .");
  }
  const std::string& dir() const { return dir_; }
  std::string url() const { return "file://" + dir_; }
  std::string Git(const std::string& args) const { return Sh(dir_, "git " + args); }
  void Write(const std::string& path, const std::string& bytes) const {
    WriteFile(dir_ + "/" + path, bytes);
  }
  // Commits everything; returns the new commit's hash.
  std::string CommitAll(const std::string& message) const {
    Git("add -A && git commit -q --allow-empty -m " + ShellQuote(message));
    return Git("rev-parse HEAD");
  }

 private:
  std::string dir_;
};

// Answers every HTTP request on 127.0.0.1 with `response` (or never answers
// when it is empty), until destroyed.
class CannedHttpServer {
 public:
  explicit CannedHttpServer(std::string response) : response_(std::move(response)) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    listen(fd_, 16);
    socklen_t len = sizeof addr;
    getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { Serve(); });
  }
  ~CannedHttpServer() {
    stop_ = true;
    shutdown(fd_, SHUT_RDWR);
    close(fd_);
    thread_.join();
    for (int conn : held_) close(conn);
  }
  CannedHttpServer(const CannedHttpServer&) = delete;
  CannedHttpServer& operator=(const CannedHttpServer&) = delete;

  std::string url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }
  int requests() const { return requests_; }
  // Every request received so far, concatenated (headers included).
  std::string received() const {
    std::lock_guard<std::mutex> lock(mu_);
    return received_;
  }

 private:
  void Serve() {
    while (!stop_) {
      int conn = accept(fd_, nullptr, nullptr);
      if (conn < 0) return;
      std::string request;
      char buf[4096];
      while (request.find("\r\n\r\n") == std::string::npos) {
        ssize_t n = read(conn, buf, sizeof buf);
        if (n <= 0) break;
        request.append(buf, static_cast<size_t>(n));
      }
      ++requests_;
      {
        std::lock_guard<std::mutex> lock(mu_);
        received_ += request;
      }
      if (response_.empty()) {
        held_.push_back(conn);  // never answered; closed at the end
        continue;
      }
      ssize_t unused = write(conn, response_.data(), response_.size());
      (void)unused;
      close(conn);
    }
  }

  std::string response_;
  int fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> requests_{0};
  mutable std::mutex mu_;
  std::string received_;
  std::vector<int> held_;
  std::thread thread_;
};

}  // namespace modproxy::git::testing
