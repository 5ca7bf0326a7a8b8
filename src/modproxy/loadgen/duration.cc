#include "modproxy/loadgen/duration.h"

#include <string>

#include <fmt/format.h>

#include "modproxy/config/config.h"

namespace modproxy::loadgen {

Result<std::chrono::milliseconds> ParseBenchDuration(std::string_view flag, std::string_view text) {
  const std::string prefix = fmt::format("{} \"{}\": ", flag, text);
  Result<std::chrono::milliseconds> parsed = config::ParseDuration(text);
  if (!parsed) return MakeError(ErrorCode::kInvalidArgument, prefix + parsed.error().message);
  if (parsed->count() <= 0) {
    return MakeError(ErrorCode::kInvalidArgument, prefix + "must be at least 1ms");
  }
  if (*parsed > kMaxBenchDuration) {
    return MakeError(ErrorCode::kInvalidArgument, prefix + "must be at most 24h");
  }
  return parsed;
}

std::string FormatDuration(std::chrono::nanoseconds duration) {
  const double seconds = std::chrono::duration<double>(duration).count();
  if (seconds < 1) return fmt::format("{:.0f}ms", seconds * 1000);
  if (seconds < 60) return fmt::format("{:.2f}s", seconds);
  const auto minutes = static_cast<long long>(seconds / 60);
  return fmt::format("{}m{:05.2f}s", minutes, seconds - static_cast<double>(minutes) * 60);
}

}  // namespace modproxy::loadgen
