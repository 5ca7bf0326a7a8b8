#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace modproxy::http {

struct AccessRecord {
  std::string remote;
  std::string method;
  std::string path;
  unsigned status = 0;
  std::uint64_t bytes = 0;
  std::chrono::duration<double> duration{};
  bool has_cache_hit = false;
  bool cache_hit = false;
};

// One JSON object per line on stdout (logs go to stderr): machine-readable
// for any log shipper.
void WriteAccessLog(const AccessRecord& record);

}  // namespace modproxy::http
