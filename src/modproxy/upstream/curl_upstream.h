#pragma once

#include <memory>
#include <string>

#include "modproxy/upstream/upstream.h"

namespace modproxy::upstream {

// An http:// or https:// GOPROXY entry, fetched with libcurl.
std::unique_ptr<Upstream> NewCurlUpstream(std::string base_url);

}  // namespace modproxy::upstream
