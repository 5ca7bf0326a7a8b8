#pragma once

#include <cstdint>

#include "modproxy/core/result.h"

// File descriptors for `modproxy bench`: each connection (load and idle) is
// one, and the default soft limit (1024) is far below --idle 10000.
namespace modproxy::loadgen {

// Raises the soft RLIMIT_NOFILE to the hard limit, and as root the hard limit
// too when that is still below `needed`. kInvalidArgument with a message
// saying how many are needed and how to allow them when it stays too low.
Result<void> EnsureFileLimit(std::uint64_t needed);

}  // namespace modproxy::loadgen
