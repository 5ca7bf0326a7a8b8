#include "modproxy/http/access_log.h"

#include <unistd.h>

#include <cerrno>
#include <ctime>
#include <mutex>

#include <boost/asio/post.hpp>
#include <fmt/format.h>

#include "modproxy/protocol/text.h"

namespace modproxy::http {
namespace {

constexpr std::size_t kFlushBytes = 64 * 1024;

void AppendJsonString(std::string& out, std::string_view s) {
  out.push_back('"');
  for (std::size_t i = 0; i < s.size();) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c >= 0x80) {
      const protocol::detail::DecodedRune rune = protocol::detail::DecodeRune(s.substr(i));
      if (rune.rune == protocol::detail::kRuneError && rune.size == 1) {
        out += "\\ufffd";  // not UTF-8
      } else {
        out.append(s.substr(i, rune.size));
      }
      i += rune.size;
      continue;
    }
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(static_cast<char>(c));
    } else if (c < 0x20) {
      fmt::format_to(std::back_inserter(out), "\\u{:04x}", c);
    } else {
      out.push_back(static_cast<char>(c));
    }
    ++i;
  }
  out.push_back('"');
}

void WriteAll(std::string_view text) {
  while (!text.empty()) {
    const ssize_t n = ::write(STDOUT_FILENO, text.data(), text.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // stdout closed or full disk: access logging is best effort
    text.remove_prefix(static_cast<std::size_t>(n));
  }
}

struct ThreadBuffer {
  std::string text;
  bool flush_posted = false;
};

ThreadBuffer& Buffer() {
  thread_local ThreadBuffer buffer;
  return buffer;
}

std::mutex& StdoutMutex() {
  static std::mutex mu;
  return mu;
}

}  // namespace

void AppendAccessLine(std::string& out, const AccessRecord& record, std::string_view time) {
  out += "{\"time\":";
  AppendJsonString(out, time);
  out += ",\"remote\":";
  AppendJsonString(out, record.remote);
  out += ",\"method\":";
  AppendJsonString(out, record.method);
  out += ",\"path\":";
  AppendJsonString(out, record.path);
  fmt::format_to(std::back_inserter(out),
                 ",\"status\":{},\"bytes\":{},\"duration_ms\":{},\"cache_hit\":{}", record.status,
                 record.bytes, std::chrono::duration<double, std::milli>(record.duration).count(),
                 record.cache_hit);
  out += ",\"identity\":";
  AppendJsonString(out, record.identity);
  out += ",\"client\":";
  AppendJsonString(out, record.client_ip);
  out += "}\n";
}

std::string_view AccessLogTime() {
  thread_local std::time_t cached_second = -1;
  thread_local char text[32];
  const auto now = std::chrono::system_clock::now();
  const std::time_t second = std::chrono::system_clock::to_time_t(now);
  if (second != cached_second) {
    std::tm utc{};
    gmtime_r(&second, &utc);
    std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S", &utc);
    cached_second = second;
  }
  const auto millis =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  // "YYYY-MM-DDTHH:MM:SS" is 19 characters; the milliseconds follow.
  fmt::format_to(text + 19, ".{:03}Z", millis);
  return std::string_view(text, 24);
}

void WriteAccessLog(const AccessRecord& record, boost::asio::io_context& loop) {
  ThreadBuffer& buffer = Buffer();
  AppendAccessLine(buffer.text, record, AccessLogTime());
  if (buffer.text.size() >= kFlushBytes) {
    FlushAccessLog();
    return;
  }
  if (!buffer.flush_posted) {
    buffer.flush_posted = true;
    // Runs after the handlers already queued on this loop: one write per batch.
    boost::asio::post(loop, [] {
      Buffer().flush_posted = false;
      FlushAccessLog();
    });
  }
}

void FlushAccessLog() {
  ThreadBuffer& buffer = Buffer();
  if (buffer.text.empty()) return;
  {
    std::lock_guard lock(StdoutMutex());
    WriteAll(buffer.text);
  }
  buffer.text.clear();
}

}  // namespace modproxy::http
