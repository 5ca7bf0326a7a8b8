#include "modproxy/direct/repo_resolver.h"

#include "modproxy/protocol/path_patterns.h"
#include "modproxy/vcs/discovery.h"

namespace modproxy::direct {
namespace {

Error NotGit(const std::string& module, const std::string& vcs) {
  return MakeError(ErrorCode::kNotFound, module + " is in a " + vcs +
                                             " repository; modproxy's direct mode reads git only");
}

// The go command reports an unusable go-import page as "unrecognized import
// path": for a proxy that is "not found", so a ','-chain moves on.
Error Unrecognized(const std::string& module, const std::string& why) {
  return MakeError(ErrorCode::kNotFound, "unrecognized import path \"" + module + "\": " + why);
}

}  // namespace

RepoResolver::RepoResolver(RepoResolverOptions options, MetaFetcher& meta)
    : options_(std::move(options)), meta_(meta) {}

Result<RepoLocation> RepoResolver::Resolve(std::string_view module_view) {
  const std::string module(module_view);
  const auto now = std::chrono::steady_clock::now();
  {
    std::lock_guard lock(mu_);
    if (auto it = cache_.find(module); it != cache_.end() && now - it->second.at < options_.ttl) {
      return it->second.location;
    }
  }
  Result<RepoLocation> location = ResolveUncached(module);
  if (location) {
    std::lock_guard lock(mu_);
    cache_[module] = Cached{*location, now};
  }
  return location;
}

Result<RepoLocation> RepoResolver::ResolveUncached(const std::string& module) {
  // The operator's rules come first: they exist for hosts the go command's
  // own rules cannot reach.
  if (std::optional<vcs::RepoRoot> rewritten = vcs::MatchRewriteRules(options_.rewrites, module)) {
    return RepoLocation{rewritten->root, {rewritten->repo}, true};
  }
  Result<std::optional<vcs::RepoRoot>> fixed = vcs::StaticRepoRoot(module);
  if (!fixed) return fixed.error();
  if (!*fixed) return Discover(module);
  const vcs::RepoRoot& root = **fixed;
  if (root.vcs != "git") return NotGit(module, root.vcs);
  if (!root.scheme_probe) return RepoLocation{root.root, {root.repo}};
  // A ".git" path: try the schemes in the go command's order, the insecure
  // ones only for --insecure paths.
  const bool insecure = protocol::MatchPrefixPatterns(options_.insecure, module);
  RepoLocation location{root.root, {}};
  for (const std::string& scheme : vcs::VcsSchemes("git")) {
    if (!insecure && !vcs::IsDefaultSecureScheme(scheme)) continue;
    location.urls.push_back(scheme + "://" + root.repo);
  }
  return location;
}

Result<RepoLocation> RepoResolver::Discover(const std::string& module) {
  const bool insecure = protocol::MatchPrefixPatterns(options_.insecure, module);
  const bool restrict = !protocol::MatchPrefixPatterns(options_.private_patterns, module);
  auto imports_of = [&](const std::string& path,
                        std::string& page_url) -> Result<std::vector<vcs::MetaImport>> {
    Result<std::string> target = vcs::GoGetUrlWithoutScheme(path);
    if (!target) return Unrecognized(path, target.error().message);
    Result<MetaPage> page = meta_.Fetch(*target, insecure, restrict);
    if (!page) return page.error();
    page_url = page->url;
    Result<std::vector<vcs::MetaImport>> imports = vcs::ParseMetaGoImports(page->body);
    if (!imports || imports->empty()) {
      if (page->status != 200) {
        return Unrecognized(path,
                            "reading " + page->url + ": status " + std::to_string(page->status));
      }
      if (!imports)
        return Unrecognized(path, "parsing " + page->url + ": " + imports.error().message);
    }
    return imports;
  };
  std::string page_url;
  Result<std::vector<vcs::MetaImport>> imports = imports_of(module, page_url);
  if (!imports) return imports.error();
  Result<vcs::MetaImport> chosen = vcs::MatchGoImport(*imports, module);
  if (!chosen) {
    return MakeError(chosen.error().code == ErrorCode::kNotFound ? ErrorCode::kNotFound
                                                                 : ErrorCode::kUpstreamInvalid,
                     "unrecognized import path \"" + module + "\": " + chosen.error().message);
  }
  if (chosen->prefix != module) {
    // As the go command: a page below the root may not speak for the root.
    std::string root_url;
    Result<std::vector<vcs::MetaImport>> root_imports = imports_of(chosen->prefix, root_url);
    if (!root_imports) return root_imports.error();
    if (Result<void> agrees =
            vcs::CheckMetaImportAgrees(*chosen, *root_imports, module, page_url, root_url);
        !agrees) {
      return agrees.error();
    }
  }
  if (Result<void> valid = vcs::ValidateRepoRoot(chosen->repo_root); !valid) {
    return MakeError(ErrorCode::kUpstreamInvalid, page_url + ": " + valid.error().message);
  }
  if (chosen->vcs == "mod") {
    return MakeError(ErrorCode::kNotFound,
                     page_url + " names a module proxy (go-import \"mod\") for " + module +
                         "; add that proxy to --upstream or a [[route]] instead");
  }
  if (chosen->vcs != "git") return NotGit(module, chosen->vcs);
  return RepoLocation{chosen->prefix, {chosen->repo_root}};
}

}  // namespace modproxy::direct
