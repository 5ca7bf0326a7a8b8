#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "modproxy/core/result.h"

// The go command's dynamic repository discovery, pure parts (vcs.go and
// discovery.go in Go 1.19.8, go-modules-reference.md §8.1 step 2): reading
// <meta name="go-import"> tags from the ?go-get=1 page and choosing the one
// for a module path. The HTTP fetches belong to the caller.
namespace modproxy::vcs {

// One go-import tag: content="prefix vcs repo-root".
struct MetaImport {
  std::string prefix;
  std::string vcs;
  std::string repo_root;
  bool operator==(const MetaImport&) const = default;
};

// parseMetaGoImports with modules on (PreferMod): the page is read with
// Go's non-strict XML tokenizer up to <body> or </head>; tags <meta> (any
// case, any namespace prefix) whose "name" attribute (key in any case) is
// exactly "go-import" and whose content has exactly 3 fields. "mod" entries
// come first and hide other entries with the same prefix. A tokenizer error
// (invalid UTF-8, "<" not starting a tag, a charset other than utf-8/ascii,
// ...) is kUpstreamInvalid when no tag was found before it; otherwise the
// tags found so far are returned.
Result<std::vector<MetaImport>> ParseMetaGoImports(std::string_view html);

// matchGoImport: the one entry whose prefix is a path prefix of
// `import_path`. kNotFound "meta tag P did not match import path M, ..."
// when none matches (also for an empty list); kUpstreamInvalid "multiple
// meta tags match import path" when two do, unless the first is "mod" and
// the second is not.
Result<MetaImport> MatchGoImport(std::span<const MetaImport> imports, std::string_view import_path);

// The check the go command makes when the chosen prefix is not the module
// path itself: the page at https://<prefix>?go-get=1 (`root_imports`) must
// yield the same tag for `import_path`; otherwise kUpstreamInvalid
// "<page_url> and <root_url> disagree about go-import for <prefix>".
Result<void> CheckMetaImportAgrees(const MetaImport& chosen,
                                   std::span<const MetaImport> root_imports,
                                   std::string_view import_path, std::string_view page_url,
                                   std::string_view root_url);

// validateRepoRoot: the repo-root must parse as a URL with a scheme that is
// not "file". kUpstreamInvalid "invalid repo root \"...\": no scheme" etc.
Result<void> ValidateRepoRoot(std::string_view repo_root);

// urlForImportPath without the scheme: "host/path?go-get=1" ("host/?go-get=1"
// for a bare host). kInvalidArgument "import path does not begin with
// hostname" when the first element has no dot.
Result<std::string> GoGetUrlWithoutScheme(std::string_view import_path);

}  // namespace modproxy::vcs
