#pragma once

#include <memory>
#include <string>

#include "modproxy/config/config.h"
#include "modproxy/core/result.h"
#include "modproxy/upstream/upstream.h"

// Direct mode for one server, built from its configuration: the shared
// mirrors, resolver and credentials behind every `direct` entry of every
// upstream chain.
namespace modproxy::direct {

class DirectMode {
 public:
  virtual ~DirectMode() = default;
  // An Upstream for one chain entry; all of them share this DirectMode,
  // which must outlive them.
  virtual std::unique_ptr<upstream::Upstream> NewUpstream() = 0;
};

// `fetch_helper`: the executable that runs git fetches (modproxy itself,
// with the hidden subcommand kFetchSubcommand). Reads the netrc file.
Result<std::unique_ptr<DirectMode>> MakeDirectMode(const config::Config& config,
                                                   const std::string& fetch_helper);

// argv[1] of a modproxy process that is a git fetch child.
inline constexpr const char* kFetchSubcommand = "__git-fetch";

}  // namespace modproxy::direct
