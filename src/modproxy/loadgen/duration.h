#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "modproxy/core/result.h"

// Duration flags of `modproxy bench` (--duration, --timeout). The syntax is the
// one every modproxy duration uses (config::ParseDuration: Go-style "500ms",
// "10s", "1m30s"; a bare number is seconds), so the two can never disagree; on
// top of it a load run needs a positive, bounded length and an error line that
// names the flag.
namespace modproxy::loadgen {

// The longest run or timeout bench accepts: longer is a typo, not a benchmark.
inline constexpr std::chrono::hours kMaxBenchDuration{24};

// kInvalidArgument, with a message like `--duration "10x": unknown unit "x"
// (use ms, s, m or h)`, for syntax errors, zero, and more than a day.
Result<std::chrono::milliseconds> ParseBenchDuration(std::string_view flag, std::string_view text);

// "1.50s", "250ms", "2m05s": a duration as the human report shows it.
std::string FormatDuration(std::chrono::nanoseconds duration);

}  // namespace modproxy::loadgen
