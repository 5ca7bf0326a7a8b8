// `modproxy probe`: parse its flags, probe each proxy in turn, print the report.
#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "modproxy/cli/subcommand.h"
#include "modproxy/config/config.h"
#include "modproxy/probe/fetcher.h"
#include "modproxy/probe/format.h"
#include "modproxy/probe/prober.h"
#include "modproxy/probe/proxy_url.h"
#include "modproxy/probe/target.h"

namespace modproxy::cli {
namespace {

constexpr int kExitUsable = 0;
constexpr int kExitUnusable = 1;
constexpr int kExitUsage = 2;

constexpr const char* kFooter =
    "Fetches the .info, .mod and .zip of one module version from each proxy, in turn,\n"
    "and shows them side by side: HTTP status (with X-Go-Proxy-Cache-Hit), the time\n"
    "spent in each phase (dns, connect, tls, wait = server processing; ttfb and total\n"
    "count from the start), the .zip size and speed, rate-limit signals (429,\n"
    "Retry-After, X-RateLimit-*, RateLimit-*) and a verdict. Each request uses a fresh\n"
    "connection (no keep-alive, no DNS cache) so that every phase is measured.\n"
    "A proxy is usable when all three answers are 200 and well-formed (.info JSON naming\n"
    "the version, .mod with a module directive, .zip with the zip signature).\n"
    "HTTPS uses the system CA store, or CURL_CA_BUNDLE / SSL_CERT_FILE / SSL_CERT_DIR;\n"
    "http_proxy, https_proxy and no_proxy apply as for curl. Credentials in a URL are\n"
    "sent but never printed.\n"
    "Exit status: 0 every proxy usable, 1 any proxy unusable, 2 usage error.";

struct ProbeArgs {
  std::vector<std::string> urls;
  std::string module{probe::kDefaultModule};
  std::string timeout = "10s";
  bool json = false;
};

int Usage(const std::string& message) {
  std::fprintf(stderr, "modproxy probe: %s (see modproxy probe --help)\n", message.c_str());
  return kExitUsage;
}

int Run(const ProbeArgs& args) {
  if (args.urls.empty()) return Usage("give at least one proxy URL, like https://proxy.golang.org");
  std::vector<probe::ProxyUrl> proxies;
  for (const std::string& text : args.urls) {
    Result<probe::ProxyUrl> proxy = probe::ParseProxyUrl(text);
    if (!proxy) return Usage(proxy.error().message);
    proxies.push_back(std::move(*proxy));
  }
  Result<probe::ModuleTarget> target = probe::ParseModuleTarget(args.module);
  if (!target) return Usage("--module: " + target.error().message);
  Result<std::chrono::milliseconds> timeout = config::ParseDuration(args.timeout);
  if (!timeout) return Usage("--timeout: " + timeout.error().message);
  if (timeout->count() <= 0) return Usage("--timeout: must be positive");

  std::unique_ptr<probe::Fetcher> fetcher = probe::NewCurlFetcher();
  std::vector<probe::ProxyReport> reports;
  bool all_usable = true;
  for (const probe::ProxyUrl& proxy : proxies) {
    reports.push_back(probe::ProbeProxy(*fetcher, proxy, *target, *timeout));
    all_usable = all_usable && reports.back().verdict.usable;
  }
  const std::string out = args.json ? probe::FormatJson(reports) : probe::FormatTable(reports);
  std::fwrite(out.data(), 1, out.size(), stdout);
  std::fflush(stdout);
  return all_usable ? kExitUsable : kExitUnusable;
}

}  // namespace

RunSubcommand AddProbeCommand(CLI::App& app) {
  CLI::App* command =
      app.add_subcommand("probe", "compare GOPROXY servers: timings, status, rate limits");
  command->footer(kFooter);
  auto args = std::make_shared<ProbeArgs>();
  command->add_option("url", args->urls, "proxy base URLs (http:// or https://), one column each");
  command
      ->add_option("--module", args->module,
                   "module@version to fetch; module@latest asks each proxy's @latest first")
      ->capture_default_str();
  command->add_flag("--json", args->json, "print a JSON array, one object per proxy");
  command
      ->add_option("--timeout", args->timeout,
                   "limit for each request (Go-style duration: 500ms, 10s, 1m)")
      ->capture_default_str();
  return [args] { return Run(*args); };
}

}  // namespace modproxy::cli
