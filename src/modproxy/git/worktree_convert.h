#pragma once

#include <string>
#include <string_view>

#include "modproxy/core/result.h"

// git's "convert to working tree" step (convert.c) as
// `git -c core.autocrlf=input -c core.eol=lf archive` applies it to a blob,
// given the path's attributes. Pure: the caller looks the attributes up.
//
// libgit2's own filters (git_blob_filter) differ from git here: with
// CHECK_FOR_BINARY they return nothing at all for a binary-looking blob (git
// still converts it when eol=crlf says so), their ident filter expands only
// the first $Id$ and also across line breaks, and they have no
// working-tree-encoding. Hence this re-implementation.
namespace modproxy::git {

// One attribute's state, as git's attribute lookup reports it.
struct AttrValue {
  enum class State { kUnspecified, kSet, kUnset, kValue };
  State state = State::kUnspecified;
  std::string value;  // for kValue
};

struct ConversionAttributes {
  AttrValue text;
  AttrValue crlf;  // the pre-1.7 spelling of text
  AttrValue eol;
  AttrValue ident;
  AttrValue working_tree_encoding;
};

// The bytes git archive writes for `blob` (whose object id is `blob_id`, hex).
// kUpstreamInvalid where git archive itself would die (working-tree-encoding
// set without a value).
Result<std::string> ConvertToWorktree(std::string_view blob, std::string_view blob_id,
                                      const ConversionAttributes& attributes);

}  // namespace modproxy::git
