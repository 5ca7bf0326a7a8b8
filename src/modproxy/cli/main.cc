// modproxy: parse the command line, build the object graph, run. Nothing else.
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <string_view>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>
#include <boost/asio/thread_pool.hpp>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "modproxy/cache/module_service.h"
#include "modproxy/cache/negative_cache.h"
#include "modproxy/cache/upstream_fetcher.h"
#include "modproxy/cli/subcommand.h"
#include "modproxy/config/config.h"
#include "modproxy/core/version.h"
#include "modproxy/direct/direct_mode.h"
#include "modproxy/git/fetch_child.h"
#include "modproxy/http/handler.h"
#include "modproxy/http/server.h"
#include "modproxy/http/tls_context.h"
#include "modproxy/metrics/metrics.h"
#include "modproxy/policy/clock.h"
#include "modproxy/policy/fetch_slots.h"
#include "modproxy/policy/gate.h"
#include "modproxy/policy/memory_rate_limiter.h"
#include "modproxy/storage/storage.h"
#include "modproxy/sumdb/database_verifier.h"
#include "modproxy/sumdb/sumdb_service.h"
#include "modproxy/upstream/chain_router.h"
#include "modproxy/upstream/upstream_chain.h"

namespace {

using namespace modproxy;  // NOLINT(google-build-using-namespace): main only wires.

constexpr int kExitUsage = 2;

std::optional<std::string> Getenv(const std::string& name) {
  const char* value = std::getenv(name.c_str());
  if (value == nullptr) return std::nullopt;
  return std::string(value);
}

void SetUpLogging(const std::string& level) {
  auto logger = spdlog::stderr_color_mt("modproxy");
  logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ %v");
  spdlog::set_default_logger(logger);
  spdlog::set_level(spdlog::level::from_str(level));
}

using UpstreamFactory =
    std::function<std::unique_ptr<upstream::Upstream>(const protocol::UpstreamEntry&)>;

upstream::UpstreamChain BuildChain(const std::vector<protocol::UpstreamEntry>& entries,
                                   const UpstreamFactory& make) {
  std::vector<upstream::UpstreamChain::Link> links;
  for (const protocol::UpstreamEntry& entry : entries) links.push_back({entry, make(entry)});
  return upstream::UpstreamChain(std::move(links));
}

// --upstream for every path, except the [[route]]s of the config file (first
// match wins) and then --private paths, which go direct only.
upstream::ChainRouter BuildRouter(const config::Config& config, const UpstreamFactory& make) {
  std::vector<upstream::ChainRouter::Route> routes;
  for (const config::RouteRule& rule : config.routes) {
    routes.push_back({rule.patterns, BuildChain(rule.upstreams, make)});
  }
  if (!config.private_patterns.empty()) {
    protocol::UpstreamEntry direct{protocol::UpstreamKind::kDirect, "direct", false};
    routes.push_back({config.private_patterns, BuildChain({direct}, make)});
  }
  return upstream::ChainRouter(std::move(routes), BuildChain(config.upstreams, make));
}

// This binary, which also runs direct mode's git fetches as child processes.
std::string SelfExecutable() {
  std::error_code ec;
  std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? std::string("modproxy") : self.string();
}

// The chain as the startup log shows it: upstream names (credentials
// redacted) with the separators the user wrote.
std::string DescribeChain(const upstream::UpstreamChain& chain) {
  std::string text;
  for (const upstream::UpstreamChain::Link& link : chain.links()) {
    text += link.upstream->name();
    text += link.entry.fall_back_on_error ? "|" : ",";
  }
  if (!text.empty()) text.pop_back();
  return text;
}

// Every connection is a file descriptor: take all the kernel allows us
// (the soft limit is often 1024, far below 10,000 idle keep-alive clients).
void RaiseOpenFileLimit() {
  struct rlimit limit {};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur >= limit.rlim_max) return;
  limit.rlim_cur = limit.rlim_max;
  if (setrlimit(RLIMIT_NOFILE, &limit) != 0) {
    spdlog::warn("cannot raise the open-file limit: {}", std::strerror(errno));
  }
}

policy::ClassLimits ToClassLimits(const config::LimitSetting& setting) {
  return {policy::MakeBudget(setting.rate, setting.burst),
          policy::MakeBudget(setting.fetch_rate, setting.fetch_burst), setting.max_fetches};
}

// Whether any of issue 6's request policy is asked for; without it requests
// skip the gate altogether (no per-request cost on the hot path).
bool NeedsGate(const config::SecuritySettings& s) {
  auto limited = [](const config::LimitSetting& l) {
    return l.rate > 0 || l.fetch_rate > 0 || l.max_fetches > 0;
  };
  return !s.auth_file.empty() || s.client_auth != config::ClientAuth::kOff || s.metrics_auth ||
         limited(s.anonymous) || limited(s.authenticated) || !s.identities.empty();
}

// The request policy: identities, path rules and budgets (issue 6).
struct Policy {
  std::shared_ptr<const policy::AuthTable> auth;
  policy::SteadyTimeSource clock;
  std::unique_ptr<policy::MemoryRateLimiter> limiter;
  policy::FetchSlots slots;
  std::unique_ptr<policy::Gate> gate;
};

Result<std::unique_ptr<Policy>> BuildPolicy(const config::SecuritySettings& s) {
  auto built = std::make_unique<Policy>();
  if (!s.auth_file.empty()) {
    Result<policy::AuthTable> table = policy::AuthTable::Load(s.auth_file);
    if (!table) return table.error();
    built->auth = std::make_shared<const policy::AuthTable>(std::move(*table));
  }
  Result<policy::TrustedProxies> trusted = policy::ParseTrustedProxies(s.trusted_proxies);
  if (!trusted) {
    return MakeError(ErrorCode::kInvalidArgument, "invalid trusted_proxies \"" + s.trusted_proxies +
                                                      "\": " + trusted.error().message);
  }
  if (!NeedsGate(s)) return built;
  policy::GateOptions options;
  options.credentials_required = !s.auth_file.empty() && !s.allow_anonymous;
  options.metrics_auth = s.metrics_auth;
  options.limits.anonymous = ToClassLimits(s.anonymous);
  options.limits.authenticated = ToClassLimits(s.authenticated);
  for (const auto& [name, setting] : s.identities) {
    options.limits.identities[name] = ToClassLimits(setting);
  }
  options.trusted_proxies = std::move(*trusted);
  built->limiter = std::make_unique<policy::MemoryRateLimiter>(built->clock);
  built->gate = std::make_unique<policy::Gate>(std::move(options), built->auth, *built->limiter,
                                               built->slots);
  return built;
}

// SIGHUP: new certificates and a new auth file without a restart. A file
// that does not load is reported and the old one kept.
void Reload(const config::SecuritySettings& s, http::TlsContextProvider* tls, Policy& policy) {
  bool any = false;
  if (tls != nullptr) {
    any = true;
    if (Result<void> r = tls->Reload(); !r) {
      spdlog::error("keeping the current TLS certificate: {}", r.error().message);
    } else {
      spdlog::info("reloaded TLS certificate {} and key {}", s.tls_cert, s.tls_key);
    }
  }
  if (!s.auth_file.empty() && policy.gate) {
    any = true;
    Result<policy::AuthTable> table = policy::AuthTable::Load(s.auth_file);
    if (!table) {
      spdlog::error("keeping the current auth file: {}", table.error().message);
    } else {
      spdlog::info("reloaded auth file {} ({} identities)", s.auth_file, table->entries().size());
      policy.gate->SetAuthTable(std::make_shared<const policy::AuthTable>(std::move(*table)));
    }
  }
  if (!any) spdlog::info("nothing to reload (no --tls-cert, no --auth-file)");
}

int Serve(const config::Config& config) {
  SetUpLogging(config.log_level);
  upstream::GlobalInit();
  // sendfile(2) has no MSG_NOSIGNAL: a client hanging up in the middle of a
  // zip must cost an EPIPE, not the process.
  std::signal(SIGPIPE, SIG_IGN);
  RaiseOpenFileLimit();

  Result<std::unique_ptr<storage::Storage>> storage = storage::NewDiskStorage({config.cache_dir});
  if (!storage) {
    spdlog::error("{}", storage.error().message);
    return 1;
  }
  Result<std::unique_ptr<direct::DirectMode>> direct_mode =
      direct::MakeDirectMode(config, SelfExecutable());
  if (!direct_mode) {
    spdlog::error("{}", direct_mode.error().message);
    return kExitUsage;
  }
  upstream::ChainRouter router = BuildRouter(config, [&](const protocol::UpstreamEntry& entry) {
    if (entry.kind == protocol::UpstreamKind::kDirect) return (*direct_mode)->NewUpstream();
    return upstream::MakeUpstream(entry);
  });
  metrics::ProxyMetrics metrics;
  cache::FetcherOptions fetch_options;
  fetch_options.small.connect_timeout = config.upstream_timeout;
  fetch_options.small.stall_timeout = config.upstream_timeout;
  fetch_options.small.total_timeout = config.upstream_timeout;
  fetch_options.large = fetch_options.small;
  fetch_options.large.total_timeout = std::chrono::milliseconds(0);
  fetch_options.large.max_bytes = config.max_zip_size;
  cache::UpstreamFetcher fetcher(router, metrics, fetch_options);
  boost::asio::thread_pool workers(static_cast<std::size_t>(config.fetch_workers));
  cache::NegativeCache negative_cache(config.negative_ttl,
                                      [] { return std::chrono::steady_clock::now(); });

  sumdb::SumdbServiceOptions sumdb_options;
  for (const config::SumdbSetting& db : config.sumdbs) sumdb_options.databases[db.name] = db.url;
  sumdb_options.latest_ttl = config.list_ttl;
  sumdb_options.nosumdb = config::NoSumdbPatterns(config);
  sumdb::SumdbService sumdb(**storage, fetcher, workers, metrics, negative_cache, sumdb_options);
  // Downloads are verified against the first database (config guarantees its key).
  std::unique_ptr<sumdb::DatabaseVerifier> verifier;
  if (!config.sumdbs.empty()) {
    const config::SumdbSetting& db = config.sumdbs.front();
    Result<tlog::Verifier> key = tlog::ParseVerifierKey(db.key);  // checked by LoadConfig
    if (!key) {
      spdlog::error("invalid sumdb key {}: {}", db.key, key.error().message);
      return kExitUsage;
    }
    verifier = std::make_unique<sumdb::DatabaseVerifier>(
        sumdb::DatabaseVerifierOptions{db.name, *key, config::NoSumdbPatterns(config)}, sumdb,
        **storage);
  }

  cache::ModuleServiceOptions module_options;
  module_options.list_ttl = config.list_ttl;
  module_options.upstream_off = router.AllOff();
  module_options.hot_set_bytes = static_cast<std::size_t>(config.memory_cache_size);
  module_options.verifier = verifier.get();
  cache::ModuleService modules(**storage, fetcher, workers, metrics, negative_cache,
                               module_options);

  const config::SecuritySettings& security = config.security;
  std::unique_ptr<http::TlsContextProvider> tls;
  if (security.tls()) {
    Result<std::unique_ptr<http::TlsContextProvider>> created = http::TlsContextProvider::Create(
        {security.tls_cert, security.tls_key, security.tls_client_ca, security.client_auth});
    if (!created) {
      spdlog::error("{}", created.error().message);
      return kExitUsage;
    }
    tls = std::move(*created);
  }
  Result<std::unique_ptr<Policy>> policy = BuildPolicy(security);
  if (!policy) {
    spdlog::error("{}", policy.error().message);
    return kExitUsage;
  }

  http::HandlerOptions handler_options;
  handler_options.list_max_age = std::chrono::duration_cast<std::chrono::seconds>(config.list_ttl);
  http::Handler handler(modules, sumdb, **storage, metrics, handler_options, (*policy)->gate.get());

  http::ServerOptions server_options;
  server_options.host = config.listen_host;
  server_options.port = config.listen_port;
  server_options.threads =
      config.threads > 0 ? config.threads
                         : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  server_options.idle_timeout = security.idle_timeout;
  server_options.header_timeout = security.header_timeout;
  server_options.max_header_size = static_cast<std::size_t>(security.max_header_size);
  server_options.max_request_line = static_cast<std::size_t>(security.max_request_line);
  server_options.max_connections_per_ip = security.max_connections_per_ip;
  server_options.tls = tls.get();
  server_options.on_hangup = [&security, &tls, &policy] { Reload(security, tls.get(), **policy); };
  http::Server server(server_options, handler, metrics);
  Result<boost::asio::ip::tcp::endpoint> bound = server.Listen();
  if (!bound) {
    spdlog::error("{}", bound.error().message);
    return 1;
  }
  const std::string host = bound->address().is_v6() ? "[" + bound->address().to_string() + "]"
                                                    : bound->address().to_string();
  spdlog::info("modproxy {} listening on {}:{}{} (cache {}, upstream {}, {} event loops)", kVersion,
               host, bound->port(), tls ? " (https)" : "", config.cache_dir,
               DescribeChain(router.fallback()), server_options.threads);
  if (tls) {
    spdlog::info("TLS certificate {}, client certificates {}", security.tls_cert,
                 security.client_auth == config::ClientAuth::kRequire    ? "required"
                 : security.client_auth == config::ClientAuth::kOptional ? "optional"
                                                                         : "not asked for");
  }
  if ((*policy)->auth) {
    spdlog::info("auth file {}: {} identities{}", security.auth_file,
                 (*policy)->auth->entries().size(),
                 security.allow_anonymous ? ", anonymous requests allowed" : "");
  }
  for (const upstream::ChainRouter::Route& route : router.routes()) {
    spdlog::info("paths matching {} use upstream {}", route.patterns, DescribeChain(route.chain));
  }
  server.Run();
  workers.join();
  spdlog::info("stopped");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  // A git fetch child of direct mode (git::RunFetchChild): not a user command.
  if (argc >= 2 && std::string_view(argv[1]) == direct::kFetchSubcommand) {
    return git::RunFetchChild(argc - 1, argv + 1);
  }
  // libzip's time conversions call mktime, and with TZ unset glibc re-reads
  // /etc/localtime on every call (freeing and re-allocating its zone name
  // under a lock ThreadSanitizer cannot see). Naming the default zone
  // explicitly makes every call after the first a no-op; an existing TZ wins.
  setenv("TZ", ":/etc/localtime", /*overwrite=*/0);
  tzset();
  CLI::App app{"modproxy: a caching Go module proxy (GOPROXY server)", "modproxy"};
  app.set_version_flag("--version", std::string("modproxy ") + kVersion);
  app.require_subcommand(1);
  CLI::App* serve = app.add_subcommand("serve", "serve the GOPROXY protocol from a cache");
  cli::RunSubcommand run_bench = cli::AddBenchCommand(app);
  cli::RunSubcommand run_probe = cli::AddProbeCommand(app);
  cli::RunSubcommand run_hash = cli::AddHashCommand(app);
  cli::RunSubcommand run_check_zip = cli::AddCheckZipCommand(app);
  cli::RunSubcommand run_verify = cli::AddVerifyCommand(app);
  cli::RunSubcommand run_pack = cli::AddPackCommand(app);
  cli::RunSubcommand run_auth = cli::AddAuthCommand(app);

  std::map<std::string, std::string> values;
  std::string config_file;
  serve->add_option("--config", config_file, "TOML configuration file (env MODPROXY_CONFIG)");
  std::map<std::string, std::string> raw;
  for (const config::SettingSpec& spec : config::Settings()) {
    serve->add_option(config::FlagName(spec.key), raw[spec.key],
                      spec.help + " (env " + config::EnvName(spec.key) + ", default " +
                          (spec.default_value.empty() ? "none" : spec.default_value) + ")");
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::fprintf(stderr, "modproxy: %s (see modproxy --help)\n", e.what());
    return kExitUsage;
  }
  if (app.got_subcommand("bench")) return run_bench();
  if (app.got_subcommand("probe")) return run_probe();
  if (app.got_subcommand("hash")) return run_hash();
  if (app.got_subcommand("check-zip")) return run_check_zip();
  if (app.got_subcommand("verify")) return run_verify();
  if (app.got_subcommand("pack")) return run_pack();
  if (app.got_subcommand("auth")) return run_auth();
  if (serve->get_option("--config")->count() > 0) values["config"] = config_file;
  for (const config::SettingSpec& spec : config::Settings()) {
    if (serve->get_option(config::FlagName(spec.key))->count() > 0) {
      values[spec.key] = raw[spec.key];
    }
  }
  Result<config::Config> config = config::LoadConfig(values, &Getenv);
  if (!config) {
    std::fprintf(stderr, "modproxy: %s\n", config.error().message.c_str());
    return kExitUsage;
  }
  return Serve(*config);
}
