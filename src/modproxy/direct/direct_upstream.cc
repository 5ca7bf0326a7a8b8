#include "modproxy/direct/direct_upstream.h"

#include <chrono>
#include <ctime>
#include <variant>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "modproxy/protocol/path_patterns.h"
#include "modproxy/protocol/request_path.h"
#include "modproxy/vcs/code_repo.h"
#include "modproxy/zipbuild/zipbuild.h"

namespace modproxy::direct {
namespace {

using protocol::ModuleEndpoint;

// .info's Time: RFC 3339 in UTC, as the go command writes it.
std::string FormatTime(std::int64_t unix_seconds) {
  std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return text;
}

std::string InfoJson(const vcs::RevInfo& info) {
  nlohmann::ordered_json json;
  json["Version"] = info.version;
  json["Time"] = FormatTime(info.time);
  return json.dump() + "\n";
}

// The files of the module directory at `commit`, as git archive would give
// them to the go command: paths relative to the module root, contents with
// .gitattributes conversions; submodules (directories in git archive) left out.
Result<std::vector<zipbuild::SourceFile>> ModuleFiles(const std::shared_ptr<vcs::GitRepo>& repo,
                                                      const vcs::ZipSource& source,
                                                      std::uint64_t max_bytes) {
  Result<std::vector<vcs::TreeEntry>> tree = repo->ListTree(source.commit);
  if (!tree) return tree.error();
  const std::string prefix = source.module_dir.empty() ? "" : source.module_dir + "/";
  std::vector<zipbuild::SourceFile> files;
  for (const vcs::TreeEntry& entry : *tree) {
    if (entry.kind == vcs::TreeEntryKind::kSubmodule) continue;
    if (entry.path.compare(0, prefix.size(), prefix) != 0) continue;
    zipbuild::SourceFile file;
    file.path = entry.path.substr(prefix.size());
    file.kind = entry.kind == vcs::TreeEntryKind::kSymlink ? zipbuild::FileKind::kSymlink
                                                           : zipbuild::FileKind::kRegular;
    file.size = entry.size;
    file.read = [repo, commit = source.commit, path = entry.path, max_bytes]() {
      return repo->ReadArchiveFile(commit, path, max_bytes);
    };
    files.push_back(std::move(file));
  }
  // A module in a subdirectory gets the repository's root LICENSE, raw
  // (go-modules-reference.md §5.6).
  if (source.add_root_license) {
    Result<std::optional<std::string>> license =
        repo->ReadFile(source.commit, "LICENSE", max_bytes);
    if (!license) return license.error();
    if (*license) {
      auto bytes = std::make_shared<const std::string>(std::move(**license));
      files.push_back({"LICENSE", zipbuild::FileKind::kRegular, bytes->size(),
                       [bytes]() -> Result<std::string> { return *bytes; }});
    }
  }
  return files;
}

}  // namespace

DirectUpstream::DirectUpstream(DirectUpstreamOptions options, RepoResolver& resolver,
                               git::MirrorStore& mirrors)
    : options_(std::move(options)), resolver_(resolver), mirrors_(mirrors) {}

Result<DirectUpstream::Opened> DirectUpstream::Open(const std::string& module, bool force) {
  Result<RepoLocation> location = resolver_.Resolve(module);
  if (!location) return location.error();
  const bool is_private = protocol::MatchPrefixPatterns(options_.private_patterns, module) ||
                          location->operator_configured;
  std::optional<Error> last;
  for (const std::string& url : location->urls) {
    if (!is_private) {
      if (Result<void> ok = CheckEgress(options_.egress, url); !ok) return ok.error();
    }
    git::FetchRequest request;
    request.url = url;
    request.force = force;
    // A public path's repository may not redirect us somewhere unchecked.
    request.follow_redirects = is_private || options_.egress.allow_internal;
    if (options_.credentials) {
      if (Result<UrlParts> parts = ParseUrl(url))
        request.credentials = options_.credentials(parts->host);
    }
    const auto started = std::chrono::steady_clock::now();
    Result<std::shared_ptr<vcs::GitRepo>> repo = mirrors_.Open(request);
    const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - started);
    // Opening a fresh mirror takes milliseconds; anything slower was a fetch,
    // which operators want to see (a first clone of a big repository is slow).
    if (took >= std::chrono::milliseconds(500)) {
      spdlog::info("direct: fetched {} for {} in {} ms{}", git::RedactUrl(url), module,
                   took.count(), repo ? "" : " (failed)");
    }
    if (repo) return Opened{*repo, location->root, url};
    last = repo.error();
  }
  if (last) return *last;
  return MakeError(ErrorCode::kNotFound, "no repository URL for " + module);
}

bool DirectUpstream::MayRefetch(const std::string& url) {
  std::lock_guard lock(mu_);
  auto now = std::chrono::steady_clock::now();
  auto [it, inserted] = last_refetch_.try_emplace(url, now);
  if (inserted) return true;
  if (now - it->second < options_.refetch_interval) return false;
  it->second = now;
  return true;
}

Result<void> DirectUpstream::WithRepo(const std::string& module,
                                      const std::function<Result<void>(const Opened&)>& answer) {
  Result<Opened> opened = Open(module, false);
  if (!opened) return opened.error();
  Result<void> result = answer(*opened);
  if (result || !IsNotFound(result.error()) || !MayRefetch(opened->url)) return result;
  Result<Opened> refetched = Open(module, true);
  if (!refetched) return result;
  return answer(*refetched);
}

Result<void> DirectUpstream::Fetch(std::string_view path, const upstream::FetchOptions& options,
                                   const upstream::ChunkSink& sink) {
  Result<protocol::ParsedRequest> parsed = protocol::ParseRequestTarget("/" + std::string(path));
  if (!parsed || !std::holds_alternative<protocol::ModuleRequest>(*parsed)) {
    return MakeError(ErrorCode::kNotFound, "direct mode serves module paths only");
  }
  const protocol::ModuleRequest request = std::get<protocol::ModuleRequest>(*parsed);
  return WithRepo(request.module, [&](const Opened& opened) -> Result<void> {
    Result<vcs::CodeRepo> created =
        vcs::CodeRepo::Create(*opened.repo, opened.root, request.module);
    if (!created) return created.error();
    vcs::CodeRepo& code = *created;
    switch (request.endpoint) {
      case ModuleEndpoint::kList: {
        Result<std::vector<std::string>> versions = code.Versions();
        if (!versions) return versions.error();
        std::string body;
        for (const std::string& v : *versions) body += v + "\n";
        return sink(body);
      }
      case ModuleEndpoint::kLatest: {
        Result<vcs::RevInfo> info = code.Latest();
        if (!info) return info.error();
        return sink(InfoJson(*info));
      }
      case ModuleEndpoint::kInfo: {
        Result<vcs::RevInfo> info = code.Stat(request.version);
        if (!info) return info.error();
        return sink(InfoJson(*info));
      }
      case ModuleEndpoint::kMod: {
        Result<std::string> mod = code.GoMod(request.version);
        if (!mod) return mod.error();
        return sink(*mod);
      }
      case ModuleEndpoint::kZip: {
        Result<vcs::ZipSource> source = code.Zip(request.version);
        if (!source) return source.error();
        Result<std::vector<zipbuild::SourceFile>> files =
            ModuleFiles(opened.repo, *source, options.max_bytes);
        if (!files) return files.error();
        Result<std::vector<zipbuild::SourceFile>> selected =
            zipbuild::SelectModuleFiles(request.module, request.version, std::move(*files));
        if (!selected) return selected.error();
        return zipbuild::WriteModuleZip(request.module, request.version, *selected, sink);
      }
    }
    return MakeError(ErrorCode::kNotFound, "unknown endpoint");
  });
}

}  // namespace modproxy::direct
