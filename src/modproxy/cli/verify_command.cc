// `modproxy verify`: re-verify every version in a disk cache (zip rules, h1
// against the sums recorded at fetch time, optionally the checksum database).
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/thread_pool.hpp>
#include <spdlog/spdlog.h>

#include "modproxy/cache/negative_cache.h"
#include "modproxy/cache/upstream_fetcher.h"
#include "modproxy/cli/subcommand.h"
#include "modproxy/config/config.h"
#include "modproxy/metrics/metrics.h"
#include "modproxy/storage/storage.h"
#include "modproxy/sumdb/database_verifier.h"
#include "modproxy/sumdb/sumdb_service.h"
#include "modproxy/upstream/upstream.h"
#include "modproxy/verify/cached_files.h"
#include "modproxy/verify/check_cached.h"

namespace modproxy::cli {
namespace {

constexpr int kExitClean = 0;
constexpr int kExitProblems = 1;
constexpr int kExitUsage = 2;

constexpr const char* kFooter =
    "Checks every cached .zip against the module zip rules and every cached .zip and\n"
    ".mod against the go.sum line recorded when modproxy fetched it. With --online it\n"
    "also asks the checksum database (--sumdb, reached through --upstream like serve\n"
    "does; paths matching --nosumdb are skipped). --cache-dir, --sumdb, --nosumdb,\n"
    "--upstream and --config read the same environment variables and config file as\n"
    "serve. Problems go to stdout, one per line; progress to stderr.\n"
    "Exit status: 0 no problem, 1 any problem, 2 usage error.";

struct VerifyArgs {
  std::map<std::string, std::string> flags;  // serve settings given on the command line
  std::string config_file;
  bool online = false;
  int jobs = 0;
};

std::optional<std::string> Getenv(const std::string& name) {
  const char* value = std::getenv(name.c_str());
  if (value == nullptr) return std::nullopt;
  return std::string(value);
}

// Progress on stderr: a bar redrawn in place on a terminal, otherwise a line
// every few seconds (logs stay readable).
class Progress {
 public:
  explicit Progress(std::size_t total) : total_(total), tty_(isatty(STDERR_FILENO) == 1) {}

  // Called with the output lock held.
  void Update(std::size_t done, bool force = false) {
    const auto now = std::chrono::steady_clock::now();
    if (!force && now - last_ < (tty_ ? std::chrono::milliseconds(100) : std::chrono::seconds(5))) {
      return;
    }
    last_ = now;
    const int width = 30;
    const int filled = total_ == 0 ? width : static_cast<int>(done * width / total_);
    if (tty_) {
      std::fprintf(stderr, "\r[%s%s] %zu/%zu files", std::string(filled, '#').c_str(),
                   std::string(width - filled, '.').c_str(), done, total_);
    } else {
      std::fprintf(stderr, "verified %zu/%zu files\n", done, total_);
    }
    std::fflush(stderr);
  }
  // Clears the bar before a problem line is printed.
  void Clear() {
    if (tty_) std::fprintf(stderr, "\r%*s\r", 60, "");
  }
  void Finish() {
    if (tty_) std::fprintf(stderr, "\n");
  }

 private:
  std::size_t total_;
  bool tty_;
  std::chrono::steady_clock::time_point last_{};
};

// The parts of `serve` that reach the checksum database, for --online.
struct OnlineVerifier {
  std::unique_ptr<upstream::ChainRouter> router;
  metrics::ProxyMetrics metrics;
  std::unique_ptr<cache::UpstreamFetcher> fetcher;
  boost::asio::thread_pool workers{1};
  cache::NegativeCache negative{std::chrono::seconds(0),
                                [] { return std::chrono::steady_clock::now(); }};
  std::unique_ptr<sumdb::SumdbService> service;
  std::unique_ptr<sumdb::DatabaseVerifier> verifier;
};

Result<std::unique_ptr<OnlineVerifier>> MakeOnlineVerifier(const config::Config& config,
                                                           storage::Storage& storage) {
  if (config.sumdbs.empty()) {
    return MakeError(ErrorCode::kInvalidArgument, "--online needs a checksum database (--sumdb)");
  }
  const config::SumdbSetting& db = config.sumdbs.front();
  Result<tlog::Verifier> key = tlog::ParseVerifierKey(db.key);
  if (!key) return MakeError(ErrorCode::kInvalidArgument, "--sumdb: " + key.error().message);
  auto online = std::make_unique<OnlineVerifier>();
  std::vector<upstream::UpstreamChain::Link> links;
  for (const protocol::UpstreamEntry& entry : config.upstreams) {
    links.push_back({entry, upstream::MakeUpstream(entry)});
  }
  online->router =
      std::make_unique<upstream::ChainRouter>(upstream::UpstreamChain(std::move(links)));
  cache::FetcherOptions fetch_options;
  fetch_options.small.connect_timeout = config.upstream_timeout;
  fetch_options.small.stall_timeout = config.upstream_timeout;
  fetch_options.small.total_timeout = config.upstream_timeout;
  fetch_options.large = fetch_options.small;
  online->fetcher =
      std::make_unique<cache::UpstreamFetcher>(*online->router, online->metrics, fetch_options);
  sumdb::SumdbServiceOptions options;
  options.databases[db.name] = db.url;
  options.nosumdb = config.nosumdb;
  online->service = std::make_unique<sumdb::SumdbService>(
      storage, *online->fetcher, online->workers, online->metrics, online->negative, options);
  online->verifier = std::make_unique<sumdb::DatabaseVerifier>(
      sumdb::DatabaseVerifierOptions{db.name, *key, config.nosumdb, /*fresh_lookups=*/true},
      *online->service, storage);
  return online;
}

int Run(VerifyArgs& args) {
  std::map<std::string, std::string> flags = args.flags;
  if (!args.config_file.empty()) flags["config"] = args.config_file;
  Result<config::Config> config = config::LoadConfig(flags, &Getenv);
  if (!config) {
    std::fprintf(stderr, "modproxy verify: %s\n", config.error().message.c_str());
    return kExitUsage;
  }
  // Only warnings and errors from the fetch code (the database may be down).
  spdlog::set_level(spdlog::level::warn);
  upstream::GlobalInit();

  Result<std::vector<verify::CachedFile>> files = verify::ListCachedFiles(config->cache_dir);
  if (!files) {
    std::fprintf(stderr, "modproxy verify: %s\n", files.error().message.c_str());
    return kExitUsage;
  }
  // A server may be using this cache right now: leave its temp files alone.
  Result<std::unique_ptr<storage::Storage>> storage =
      storage::NewDiskStorage({config->cache_dir, /*clear_temp_files=*/false});
  if (!storage) {
    std::fprintf(stderr, "modproxy verify: %s\n", storage.error().message.c_str());
    return kExitUsage;
  }
  std::unique_ptr<OnlineVerifier> online;
  if (args.online) {
    Result<std::unique_ptr<OnlineVerifier>> made = MakeOnlineVerifier(*config, **storage);
    if (!made) {
      std::fprintf(stderr, "modproxy verify: %s\n", made.error().message.c_str());
      return kExitUsage;
    }
    online = std::move(*made);
  }

  const auto start = std::chrono::steady_clock::now();
  std::mutex output;
  Progress progress(files->size());
  std::atomic<std::size_t> next{0};
  std::size_t done = 0, with_problems = 0, recorded = 0, confirmed = 0, zips = 0;
  auto work = [&] {
    for (;;) {
      const std::size_t i = next.fetch_add(1);
      if (i >= files->size()) return;
      const verify::CachedFile& file = (*files)[i];
      verify::FileVerdict verdict =
          verify::CheckCachedFile(file, **storage, online ? online->verifier.get() : nullptr);
      std::lock_guard lock(output);
      ++done;
      zips += file.go_mod ? 0 : 1;
      recorded += verdict.recorded ? 1 : 0;
      confirmed += verdict.checked_online ? 1 : 0;
      if (!verdict.problems.empty()) {
        ++with_problems;
        progress.Clear();
        for (const std::string& problem : verdict.problems) std::printf("%s\n", problem.c_str());
        std::fflush(stdout);
      }
      progress.Update(done);
    }
  };
  const int jobs = args.jobs > 0
                       ? args.jobs
                       : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  std::vector<std::thread> threads;
  for (int i = 0; i < jobs; ++i) threads.emplace_back(work);
  for (std::thread& t : threads) t.join();
  progress.Update(done, /*force=*/true);
  progress.Finish();

  const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start;
  std::fprintf(stderr,
               "checked %zu files (%zu zips, %zu go.mod) in %.1fs: %zu ok, %zu with problems; "
               "%zu matched the sums recorded at fetch time, %zu had none recorded",
               done, zips, done - zips, elapsed.count(), done - with_problems, with_problems,
               recorded, done - recorded);
  if (online) {
    std::fprintf(stderr, "; %zu confirmed by %s", confirmed, config->sumdbs.front().name.c_str());
  }
  std::fprintf(stderr, "\n");
  if (online) online->workers.join();
  return with_problems == 0 ? kExitClean : kExitProblems;
}

}  // namespace

RunSubcommand AddVerifyCommand(CLI::App& app) {
  CLI::App* command = app.add_subcommand(
      "verify", "re-verify every cached version (zip rules, h1, recorded and database sums)");
  command->footer(kFooter);
  auto args = std::make_shared<VerifyArgs>();
  for (const char* key : {"cache_dir", "sumdb", "nosumdb", "upstream"}) {
    command->add_option(config::FlagName(key), args->flags[key],
                        std::string("as for serve (env ") + config::EnvName(key) + ")");
  }
  command->add_option("--config", args->config_file, "TOML configuration file, as for serve");
  command->add_flag("--online", args->online, "also check each version with the checksum database");
  command->add_option("--jobs", args->jobs, "files checked in parallel (default: one per core)");
  return [args, command] {
    // Only the settings actually given go to LoadConfig (defaults come from it).
    for (auto it = args->flags.begin(); it != args->flags.end();) {
      if (command->get_option(config::FlagName(it->first))->count() == 0) {
        it = args->flags.erase(it);
      } else {
        ++it;
      }
    }
    return Run(*args);
  };
}

}  // namespace modproxy::cli
