#include "modproxy/http/access_log.h"

#include <cstdio>
#include <ctime>
#include <mutex>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace modproxy::http {
namespace {

std::string NowRfc3339() {
  const auto now = std::chrono::system_clock::now();
  const std::time_t seconds = std::chrono::system_clock::to_time_t(now);
  const auto millis =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", utc.tm_year + 1900,
                     utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec, millis);
}

}  // namespace

void WriteAccessLog(const AccessRecord& record) {
  nlohmann::json line = {
      {"time", NowRfc3339()},
      {"remote", record.remote},
      {"method", record.method},
      {"path", record.path},
      {"status", record.status},
      {"bytes", record.bytes},
      {"duration_ms", std::chrono::duration<double, std::milli>(record.duration).count()},
      {"cache_hit", record.cache_hit},
  };
  // Request targets are attacker-chosen bytes: replace invalid UTF-8 rather than throw.
  std::string text = line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  static std::mutex mu;
  std::lock_guard lock(mu);
  std::fwrite(text.data(), 1, text.size(), stdout);
  std::fflush(stdout);
}

}  // namespace modproxy::http
