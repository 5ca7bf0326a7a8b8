#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

// Helpers shared by the fuzz targets: turning libFuzzer's bytes into inputs.
namespace modproxy::fuzz {

inline std::string_view AsText(const std::uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

// The input cut at `sep` into at most `max_parts` parts (the last part keeps
// any further separators). Seeds are then readable: one part per line.
inline std::vector<std::string_view> SplitInput(std::string_view input, char sep,
                                                std::size_t max_parts) {
  std::vector<std::string_view> parts;
  while (parts.size() + 1 < max_parts) {
    const std::size_t at = input.find(sep);
    if (at == std::string_view::npos) break;
    parts.push_back(input.substr(0, at));
    input.remove_prefix(at + 1);
  }
  parts.push_back(input);
  return parts;
}

}  // namespace modproxy::fuzz
