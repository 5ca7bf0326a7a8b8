#include "modproxy/upstream/upstream_chain.h"

#include <optional>

namespace modproxy::upstream {

UpstreamChain::UpstreamChain(std::vector<Link> links) : links_(std::move(links)) {}

Result<void> UpstreamChain::Try(const std::function<Result<void>(Upstream&)>& attempt) const {
  std::optional<Error> last_failure;
  std::optional<Error> last_not_found;
  for (const Link& link : links_) {
    Result<void> result = attempt(*link.upstream);
    if (result) return result;
    const Error& error = result.error();
    // A full disk is no reason to ask elsewhere; a checksum mismatch is
    // final, as it is for the go command (a next proxy does not make a
    // tampered download trustworthy, and trying one hides the alarm).
    if (error.code == ErrorCode::kStorage || error.code == ErrorCode::kIntegrity) return error;
    protocol::AttemptOutcome outcome =
        IsNotFound(error) ? protocol::AttemptOutcome::kNotFound : protocol::AttemptOutcome::kError;
    (outcome == protocol::AttemptOutcome::kNotFound ? last_not_found : last_failure) = error;
    if (!protocol::ShouldTryNext(link.entry, outcome)) break;
  }
  if (last_failure) return *last_failure;
  if (last_not_found) return *last_not_found;
  return MakeError(ErrorCode::kNotFound, "not found: no upstream configured");
}

Upstream* UpstreamChain::FirstProxy() const {
  for (const Link& link : links_) {
    if (link.entry.kind == protocol::UpstreamKind::kUrl) return link.upstream.get();
  }
  return nullptr;
}

}  // namespace modproxy::upstream
