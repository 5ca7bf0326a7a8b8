#pragma once

#include <memory>
#include <string>

#include "modproxy/core/result.h"
#include "modproxy/vcs/git_repo.h"

namespace modproxy::git {

// Reads one bare mirror written by MirrorStore (or any bare repository) as a
// vcs::GitRepo. Each returned object owns its own libgit2 repository handle
// and is not thread-safe (libgit2 objects are not): use one per request.
// Never fetches; the mirror may be updated by another process meanwhile,
// which libgit2 tolerates (objects are only ever added, refs replaced
// atomically).
//
// kUnavailable when `dir` is not a git repository.
Result<std::unique_ptr<vcs::GitRepo>> OpenMirrorRepo(const std::string& dir);

}  // namespace modproxy::git
