#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "modproxy/protocol/goproxy_list.h"
#include "modproxy/upstream/upstream.h"

namespace modproxy::upstream {

// The --upstream list, applied with the go command's TryProxies rules
// (go-modules-reference.md §1.10): entries in order; a success stops; "not
// found" moves on; an error moves on only after '|'. A kStorage error is ours,
// not the upstream's, and stops at once. The error returned is the last one
// that was not "not found", else the last "not found".
class UpstreamChain {
 public:
  struct Link {
    protocol::UpstreamEntry entry;
    std::unique_ptr<Upstream> upstream;
  };

  explicit UpstreamChain(std::vector<Link> links);

  // Calls `attempt` on each upstream in turn as the rules say. `attempt` must
  // start from scratch each time (a fresh writer), since a failed upstream may
  // have delivered part of a body.
  Result<void> Try(const std::function<Result<void>(Upstream&)>& attempt) const;

  // The first entry that is a proxy URL (http, https or file), or nullptr:
  // where checksum-database requests go by default, like the go client does.
  Upstream* FirstProxy() const;

  const std::vector<Link>& links() const { return links_; }

 private:
  std::vector<Link> links_;
};

}  // namespace modproxy::upstream
