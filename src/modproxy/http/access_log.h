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
  bool cache_hit = false;  // false for endpoints that have no cache
};

// One JSON object per line on stdout (logs go to stderr): machine-readable
// for any log shipper.
void WriteAccessLog(const AccessRecord& record);

}  // namespace modproxy::http
