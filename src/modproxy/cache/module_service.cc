#include "modproxy/cache/module_service.h"

#include <boost/asio/post.hpp>
#include <spdlog/spdlog.h>

#include "modproxy/cache/content_checks.h"
#include "modproxy/cache/keys.h"
#include "modproxy/modzip/inspect_zip.h"
#include "modproxy/protocol/dirhash.h"
#include "modproxy/protocol/module_path.h"
#include "modproxy/protocol/semver.h"
#include "modproxy/protocol/version_list.h"

namespace modproxy::cache {
namespace {

using protocol::ModuleEndpoint;
using protocol::ModuleRequest;

}  // namespace

ModuleService::ModuleService(storage::Storage& storage, UpstreamFetcher& fetcher,
                             boost::asio::thread_pool& workers, metrics::ProxyMetrics& metrics,
                             NegativeCache& negative_cache, ModuleServiceOptions options)
    : storage_(storage),
      fetcher_(fetcher),
      workers_(workers),
      metrics_(metrics),
      negative_cache_(negative_cache),
      options_(options),
      hot_(options.hot_set_bytes) {}

boost::asio::awaitable<Result<Answer>> ModuleService::Get(const ModuleRequest& request,
                                                          bool allow_fetch, bool may_stream,
                                                          bool stale_ok) {
  // Whether an answer past list_ttl may be served from the cache.
  const bool serve_stale = !allow_fetch && stale_ok;
  const char* endpoint = protocol::EndpointName(request.endpoint);
  // A non-canonical .info query ("master", "v1.2") names no file of the tree.
  const bool cacheable = request.endpoint != ModuleEndpoint::kInfo || request.canonical;
  const std::string key = KeyFor(request);

  if (cacheable) {
    const bool immutable = protocol::IsImmutable(request);
    if (std::optional<HotSet::Entry> hot = hot_.Find(key);
        hot && (immutable || TrustHot(*hot, !serve_stale))) {
      metrics_.cache_hits.With({endpoint}).Increment();
      Answer answer;
      answer.cache_hit = true;
      answer.body = std::move(hot->body);
      co_return answer;
    }
    Result<Answer> hit = FromStorage(key, /*cache_hit=*/true);
    if (!hit && hit.error().code != ErrorCode::kNotFound) co_return hit;
    if (hit &&
        (immutable || serve_stale || options_.upstream_off || IsFresh(hit->reader->modified()))) {
      metrics_.cache_hits.With({endpoint}).Increment();
      co_return Promote(key, std::move(*hit));
    }
  }
  if (!allow_fetch) {
    co_return MakeError(ErrorCode::kNotFound, "not found: " + request.module +
                                                  ": not in the cache, and fetching is "
                                                  "disabled by the Disable-Module-Fetch header");
  }
  if (std::optional<Error> remembered = negative_cache_.Find(key)) co_return *remembered;

  metrics_.cache_misses.With({endpoint}).Increment();
  if (request.endpoint == ModuleEndpoint::kZip) {
    Result<Answer> zip = co_await GetZipMiss(request, key, may_stream);
    co_return zip;
  }
  Singleflight<Result<Fetched>>::Work work = [this, request, key]() {
    switch (request.endpoint) {
      case ModuleEndpoint::kInfo:
        return FetchInfo(request, key);
      case ModuleEndpoint::kMod:
        return FetchMod(request, key);
      case ModuleEndpoint::kZip:  // GetZipMiss
      case ModuleEndpoint::kList:
        return FetchList(request, key);
      case ModuleEndpoint::kLatest:
        break;
    }
    return FetchLatest(request, key);
  };
  Result<Fetched> fetched = co_await flights_.Do(key, workers_, work);
  if (!fetched) co_return fetched.error();
  if (fetched->stale) metrics_.stale_served.With({endpoint}).Increment();
  // A zip is read back from where this fetch just stored it: not a cache hit.
  if (!fetched->body) co_return FromStorage(key, /*cache_hit=*/false);
  Answer answer;
  answer.stale = fetched->stale;
  answer.cache_hit = fetched->stale;
  answer.body = fetched->body;
  co_return answer;
}

boost::asio::awaitable<Result<Answer>> ModuleService::GetZipMiss(const ModuleRequest& request,
                                                                 const std::string& key,
                                                                 bool may_stream) {
  std::shared_ptr<ZipStream> stream;
  bool leader = false;
  {
    std::lock_guard lock(streams_mu_);
    std::shared_ptr<ZipStream>& slot = streams_[key];
    if (!slot) {
      slot = std::make_shared<ZipStream>(kZipHoldBackBytes);
      leader = true;
    }
    stream = slot;
  }
  if (leader) {
    boost::asio::post(workers_, [this, request, key, stream] {
      Result<Fetched> fetched = FetchZip(request, key, stream.get());
      // Unregistered before the end is published: a client arriving later
      // finds the stored zip (FetchZip looks there first), never a dead stream.
      {
        std::lock_guard lock(streams_mu_);
        streams_.erase(key);
      }
      stream->Finish(fetched ? Result<void>() : Result<void>(fetched.error()));
    });
  }
  const ZipStream::Snapshot snapshot = co_await AwaitZipStream(stream, 0, !may_stream);
  if (snapshot.state == ZipStream::State::kFailed) co_return snapshot.error;
  // Finished before anything was released (small zips always are): the
  // stored, verified file answers with its length known.
  if (snapshot.state == ZipStream::State::kDone) co_return FromStorage(key, /*cache_hit=*/false);
  Answer answer;
  answer.stream = stream;
  co_return answer;
}

Result<Answer> ModuleService::FromStorage(const std::string& key, bool cache_hit) {
  Result<std::unique_ptr<storage::BlobReader>> reader = storage_.OpenRead(key);
  if (!reader) {
    if (reader.error().code == ErrorCode::kNotFound) return reader.error();
    spdlog::error("cache read {} failed: {}", key, reader.error().message);
    return MakeError(ErrorCode::kStorage, "cache read failed: " + reader.error().message);
  }
  Answer answer;
  answer.cache_hit = cache_hit;
  answer.reader = std::move(*reader);
  return answer;
}

bool ModuleService::IsFresh(std::chrono::system_clock::time_point modified) const {
  return std::chrono::system_clock::now() - modified < options_.list_ttl;
}

bool ModuleService::TrustHot(const HotSet::Entry& entry, bool need_fresh) const {
  if (std::chrono::steady_clock::now() - entry.loaded >= options_.list_ttl) return false;
  return !need_fresh || options_.upstream_off || IsFresh(entry.modified);
}

Result<Answer> ModuleService::Promote(const std::string& key, Answer stored) {
  storage::BlobReader& reader = *stored.reader;
  if (reader.size() > HotSet::kMaxEntryBytes) return stored;
  std::string body(reader.size(), '\0');
  std::size_t filled = 0;
  while (filled < body.size()) {
    Result<std::size_t> n = reader.Read(body.data() + filled, body.size() - filled);
    if (!n || *n == 0) {
      const std::string why = n ? "file shrank while read" : n.error().message;
      spdlog::error("cache read {} failed: {}", key, why);
      return MakeError(ErrorCode::kStorage, "cache read failed: " + why);
    }
    filled += *n;
  }
  HotSet::Entry entry{std::make_shared<const std::string>(std::move(body)), reader.modified(),
                      std::chrono::steady_clock::now()};
  hot_.Insert(key, entry);
  Answer answer;
  answer.cache_hit = stored.cache_hit;
  answer.body = std::move(entry.body);
  return answer;
}

void ModuleService::StoreBestEffort(const std::string& key, std::string_view bytes) {
  Result<void> r = storage_.Put(key, bytes);
  hot_.Erase(key);  // lists and @latest change: the next hit reads the new one
  if (!r) {
    metrics_.cache_write_failures.With({}).Increment();
    spdlog::error("cache write {} failed, serving without caching: {}", key, r.error().message);
  }
}

Result<ModuleService::Fetched> ModuleService::FetchInfo(const ModuleRequest& request,
                                                        const std::string& key) {
  std::string resolved;
  Result<std::string> body =
      fetcher_.ChainSmall(request.module, key, [&](std::string_view b) -> Result<void> {
        Result<std::string> v = CheckInfo(b, request.module, request.version, request.canonical);
        if (!v) return v.error();
        resolved = *v;
        return {};
      });
  if (!body) {
    if (IsNotFound(body.error())) negative_cache_.Remember(key, body.error());
    return body.error();
  }
  if (request.canonical) {
    StoreBestEffort(key, *body);
  } else if (Result<std::string> escaped = protocol::EscapeVersion(resolved); escaped) {
    // A query such as "v1.2" resolved to a canonical version: the answer is
    // also that version's .info, which is immutable, so keep it.
    const std::string canonical_key = InfoKeyFor(request.escaped_module, *escaped);
    if (!storage_.Stat(canonical_key)) StoreBestEffort(canonical_key, *body);
  }
  return Fetched{std::make_shared<const std::string>(std::move(*body)), false};
}

Result<void> ModuleService::VerifySum(const ModuleRequest& request, bool go_mod,
                                      std::string_view h1,
                                      std::chrono::steady_clock::time_point started) {
  const char* endpoint = go_mod ? "mod" : "zip";
  Result<SumVerdict> verdict = SumVerdict{};
  if (options_.verifier != nullptr) {
    verdict = options_.verifier->Check(request.module, request.version, go_mod, h1);
  }
  const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - started;
  metrics_.verify_duration.With({endpoint}).Observe(elapsed.count());
  if (!verdict) {
    const Error& error = verdict.error();
    if (error.code == ErrorCode::kIntegrity) {
      const bool mismatch = error.message.find(kChecksumMismatch) != std::string::npos;
      metrics_.integrity_failures
          .With({endpoint, mismatch ? "checksum_mismatch" : "sumdb_misbehaviour"})
          .Increment();
      metrics_.verifications.With({endpoint, "refused"}).Increment();
      spdlog::error("{}", error.message);
    } else {
      metrics_.verifications.With({endpoint, "error"}).Increment();
      spdlog::warn("cannot verify {}@{}: {}", request.module, request.version, error.message);
    }
    return error;
  }
  metrics_.verifications.With({endpoint, verdict->database.empty() ? "exempt" : "ok"}).Increment();
  // Recorded before the file itself is committed: a cached file always has
  // its line (a line without its file is harmless).
  const std::string line = SumLine(request.module, request.version, go_mod, h1);
  if (Result<void> r =
          storage_.Put(SumKeyFor(request.escaped_module, request.escaped_version, go_mod), line);
      !r) {
    return MakeError(ErrorCode::kStorage, "cannot record the checksum: " + r.error().message);
  }
  return {};
}

Result<ModuleService::Fetched> ModuleService::FetchMod(const ModuleRequest& request,
                                                       const std::string& key) {
  Result<std::string> body = fetcher_.ChainSmall(request.module, key, &CheckGoMod);
  if (!body) {
    if (IsNotFound(body.error())) negative_cache_.Remember(key, body.error());
    return body.error();
  }
  const auto started = std::chrono::steady_clock::now();
  if (Result<void> verified =
          VerifySum(request, /*go_mod=*/true, protocol::HashGoMod(*body), started);
      !verified) {
    if (verified.error().code == ErrorCode::kStorage) {
      // The sum could not be recorded: serve the verified file, cache nothing.
      metrics_.cache_write_failures.With({}).Increment();
      spdlog::error("{}: {}", key, verified.error().message);
      return Fetched{std::make_shared<const std::string>(std::move(*body)), false};
    }
    // Remembered like the zip's refusal (FetchZip), so retries cost nothing.
    if (verified.error().code == ErrorCode::kIntegrity) {
      negative_cache_.Remember(key, verified.error());
    }
    return verified.error();
  }
  StoreBestEffort(key, *body);
  return Fetched{std::make_shared<const std::string>(std::move(*body)), false};
}

Result<ModuleService::Fetched> ModuleService::FetchZip(const ModuleRequest& request,
                                                       const std::string& key, ZipStream* stream) {
  // Stored by a download that ended while this client was on its way here.
  if (storage_.Stat(key)) return Fetched{nullptr, false};
  Result<void> stored = fetcher_.ChainToStorage(
      request.module, key, storage_, key,
      [&](const std::string& staged, const std::string& upstream_name) -> Result<void> {
        const auto started = std::chrono::steady_clock::now();
        Result<std::unique_ptr<protocol::ZipSource>> source = modzip::OpenZipFile(staged);
        if (!source) return MakeError(ErrorCode::kStorage, source.error().message);
        Result<modzip::ZipInspection> inspected =
            modzip::InspectZip(**source, request.module, request.version);
        if (!inspected) return MakeError(ErrorCode::kStorage, inspected.error().message);
        if (!inspected->violations.empty()) {
          metrics_.integrity_failures.With({"zip", "zip_rules"}).Increment();
          metrics_.verifications.With({"zip", "refused"}).Increment();
          std::string message =
              "invalid module zip from " + upstream_name + ": " + inspected->violations.front();
          if (inspected->violations.size() > 1) {
            message += " (and " + std::to_string(inspected->violations.size() - 1) + " more)";
          }
          spdlog::error("{}@{}: {}", request.module, request.version, message);
          return MakeError(ErrorCode::kUpstreamInvalid, message);
        }
        Result<void> verified = VerifySum(request, /*go_mod=*/false, inspected->h1, started);
        if (!verified && verified.error().code == ErrorCode::kIntegrity) {
          // Which upstream served the tampered zip is what an operator needs.
          return MakeError(ErrorCode::kIntegrity,
                           verified.error().message + " (downloaded from " + upstream_name + ")");
        }
        return verified;
      },
      stream);
  if (!stored) {
    // A refused download is remembered like a 404, so a client retrying in a
    // loop does not make every retry download and hash it again.
    if (IsNotFound(stored.error()) || stored.error().code == ErrorCode::kIntegrity) {
      negative_cache_.Remember(key, stored.error());
    }
    if (stored.error().code == ErrorCode::kStorage) {
      metrics_.cache_write_failures.With({}).Increment();
      spdlog::error("cache write {} failed: {}", key, stored.error().message);
    }
    return stored.error();
  }
  return Fetched{nullptr, false};
}

std::vector<std::string> ModuleService::CachedVersions(const ModuleRequest& request) {
  std::vector<std::string> versions;
  Result<std::vector<std::string>> names = storage_.ListDir(request.escaped_module + "/@v");
  if (!names) return versions;
  for (const std::string& name : *names) {
    std::size_t dot = name.rfind('.');
    if (dot == std::string::npos) continue;
    std::string_view ext = std::string_view(name).substr(dot);
    if (ext != ".info" && ext != ".mod" && ext != ".zip") continue;
    Result<std::string> v = protocol::UnescapeVersion(name.substr(0, dot));
    if (v && protocol::IsCanonicalVersion(*v)) versions.push_back(*v);
  }
  return protocol::MergeVersionLists(versions, {});
}

std::vector<std::string> ModuleService::StaleVersions(const ModuleRequest& request) {
  std::vector<std::string> listed;
  if (Result<std::string> list = storage_.Get(request.escaped_module + "/@v/list"); list) {
    if (Result<std::vector<std::string>> parsed = protocol::ParseVersionList(*list); parsed) {
      listed = std::move(*parsed);
    }
  }
  return protocol::MergeVersionLists(listed, CachedVersions(request));
}

Result<ModuleService::Fetched> ModuleService::FetchList(const ModuleRequest& request,
                                                        const std::string& key) {
  Result<std::string> body =
      fetcher_.ChainSmall(request.module, key, [](std::string_view b) -> Result<void> {
        Result<std::vector<std::string>> parsed = protocol::ParseVersionList(b);
        if (!parsed) return MakeError(ErrorCode::kUpstreamInvalid, parsed.error().message);
        return {};
      });
  if (body) {
    std::vector<std::string> merged =
        protocol::MergeVersionLists(*protocol::ParseVersionList(*body), CachedVersions(request));
    std::string text = protocol::FormatVersionList(merged);
    StoreBestEffort(key, text);
    return Fetched{std::make_shared<const std::string>(std::move(text)), false};
  }
  const Error& error = body.error();
  // The last list served, plus every version whose files are cached.
  std::vector<std::string> cached = StaleVersions(request);
  if (cached.empty()) {
    if (IsNotFound(error)) negative_cache_.Remember(key, error);
    return error;
  }
  // The upstream failed or forgot the module, but versions of it are cached:
  // keep serving what the cache can deliver.
  spdlog::warn("serving cached list for {}: upstream: {}", request.module, error.message);
  std::string text = protocol::FormatVersionList(cached);
  // Rewriting it restarts the TTL: while the upstream is down, clients get the
  // cached list at once instead of each waiting for the upstream to fail again.
  StoreBestEffort(key, text);
  return Fetched{std::make_shared<const std::string>(std::move(text)), true};
}

Result<ModuleService::Fetched> ModuleService::FetchLatest(const ModuleRequest& request,
                                                          const std::string& key) {
  Result<std::string> body =
      fetcher_.ChainSmall(request.module, key, [&](std::string_view b) -> Result<void> {
        Result<std::string> v = CheckInfo(b, request.module, "", false);
        if (!v) return v.error();
        return {};
      });
  if (body) {
    StoreBestEffort(key, *body);
    return Fetched{std::make_shared<const std::string>(std::move(*body)), false};
  }
  const Error& error = body.error();
  // 404/410 tells the go command to compute latest from the list itself.
  if (IsNotFound(error)) {
    negative_cache_.Remember(key, error);
    return error;
  }
  if (Result<std::string> stale = storage_.Get(key); stale) {
    spdlog::warn("serving stale @latest for {}: upstream: {}", request.module, error.message);
    StoreBestEffort(key, *stale);  // restarts the TTL, as for lists
    return Fetched{std::make_shared<const std::string>(std::move(*stale)), true};
  }
  // No @latest was ever cached: derive it from the cached versions.
  if (std::optional<std::string> latest = protocol::ChooseLatest(StaleVersions(request))) {
    Result<std::string> escaped = protocol::EscapeVersion(*latest);
    if (escaped) {
      if (Result<std::string> info = storage_.Get(InfoKeyFor(request.escaped_module, *escaped));
          info) {
        spdlog::warn("serving @latest for {} from cached versions: upstream: {}", request.module,
                     error.message);
        return Fetched{std::make_shared<const std::string>(std::move(*info)), true};
      }
    }
  }
  return error;
}

}  // namespace modproxy::cache
