#pragma once

#include <map>
#include <string>

namespace modproxy::testkit {

// The bytes of a zip holding `files` (name -> content), written with libzip.
std::string MakeZip(const std::map<std::string, std::string>& files);

}  // namespace modproxy::testkit
