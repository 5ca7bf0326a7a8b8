#pragma once

namespace modproxy {

inline constexpr const char* kVersion = "0.1.0";

}  // namespace modproxy
