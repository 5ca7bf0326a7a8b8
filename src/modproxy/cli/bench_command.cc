// `modproxy bench`: flags in, paths loaded, load runs started, reports out.
// The measuring itself lives in modproxy/loadgen.
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "modproxy/cli/subcommand.h"
#include "modproxy/loadgen/compare_report.h"
#include "modproxy/loadgen/duration.h"
#include "modproxy/loadgen/fd_limit.h"
#include "modproxy/loadgen/load_loop.h"
#include "modproxy/loadgen/path_source.h"
#include "modproxy/loadgen/report.h"
#include "modproxy/loadgen/target.h"

namespace modproxy::cli {
namespace {

using nlohmann::ordered_json;

constexpr int kExitFailed = 1;
constexpr int kExitUsage = 2;
// Descriptors besides the connections: stdio, the event loop, the signal pipe.
constexpr int kSpareDescriptors = 16;

struct BenchFlags {
  std::string url;
  int concurrency = 100;
  std::string duration = "30s";
  std::string paths_file;
  std::string cache_dir;
  std::string endpoints = "info,mod,list";
  bool json = false;
  std::string compare_url;
  int rounds = 3;
  int idle = 0;
  bool once = false;
  std::string timeout = "10s";
  std::uint64_t seed = 1;
  bool quiet = false;
  bool no_busy_poll = false;
};

int Fail(int code, const std::string& message) {
  std::fprintf(stderr, "modproxy bench: %s\n", message.c_str());
  return code;
}

// Shows one progress line per second on stderr: rewritten in place on a
// terminal, one line each otherwise (a CI log has no carriage returns).
class ProgressPrinter {
 public:
  explicit ProgressPrinter(std::string label) : label_(std::move(label)), tty_(isatty(2) != 0) {}
  ~ProgressPrinter() {
    if (tty_ && printed_) std::fputc('\n', stderr);
  }
  ProgressPrinter(const ProgressPrinter&) = delete;
  ProgressPrinter& operator=(const ProgressPrinter&) = delete;

  void Print(const loadgen::Progress& progress) {
    const std::string line = label_ + loadgen::ProgressLine(progress);
    std::fprintf(stderr, tty_ ? "\r%s\033[K" : "%s\n", line.c_str());
    std::fflush(stderr);
    printed_ = true;
  }

 private:
  std::string label_;
  bool tty_;
  bool printed_ = false;
};

// Loads the request paths the flags select; the message of an error is the
// complete line to print.
Result<std::vector<std::string>> LoadPaths(const BenchFlags& flags, bool endpoints_given) {
  Result<loadgen::Endpoints> endpoints = loadgen::ParseEndpoints(flags.endpoints);
  if (!endpoints) return endpoints.error();
  if (!flags.paths_file.empty()) return loadgen::LoadPathsFile(flags.paths_file);
  if (!flags.cache_dir.empty()) return loadgen::WalkCache(flags.cache_dir, *endpoints);
  // The public benchmark asks for .info and .mod files: @v/list is not
  // immutable, so a proxy may revalidate it upstream, which measures the
  // upstream instead. Explicit --endpoints still apply.
  if (!endpoints_given) endpoints->list = false;
  return loadgen::BuiltinPaths(*endpoints);
}

std::string PathSourceName(const BenchFlags& flags) {
  if (!flags.paths_file.empty()) return "--paths " + flags.paths_file;
  if (!flags.cache_dir.empty()) {
    return "--from-cache " + flags.cache_dir + " (endpoints " + flags.endpoints + ")";
  }
  return "the built-in list (endpoints " + flags.endpoints + ")";
}

// Runs one measured load, with a progress line unless the output must stay
// clean. The label prefixes progress lines in --compare mode.
Result<loadgen::RunStats> Measure(const BenchFlags& flags, loadgen::LoadOptions options,
                                  const std::string& label) {
  std::unique_ptr<ProgressPrinter> printer;
  if (!flags.quiet && !flags.json) {
    printer = std::make_unique<ProgressPrinter>(label);
    options.on_progress = [&printer](const loadgen::Progress& p) { printer->Print(p); };
  }
  return loadgen::RunLoad(options);
}

int RunSingle(const BenchFlags& flags, const loadgen::LoadOptions& options) {
  Result<loadgen::RunStats> stats = Measure(flags, options, "");
  if (!stats) return Fail(kExitFailed, stats.error().message);
  if (flags.json) {
    std::printf("%s\n", loadgen::ReportJson(*stats, options.once).dump(2).c_str());
  } else {
    std::fputs(loadgen::ReportText(*stats).c_str(), stdout);
  }
  std::fflush(stdout);
  if (stats->unanswered > 0) {
    return Fail(kExitFailed, std::to_string(stats->unanswered) + " of " +
                                 std::to_string(options.paths.size()) +
                                 " paths were never answered: " + stats->url +
                                 " stopped answering for --timeout");
  }
  if (stats->requests_2xx == 0) {
    return Fail(kExitFailed, "no successful (2xx) response from " + stats->url + " in " +
                                 std::to_string(stats->requests) + " responses and " +
                                 std::to_string(stats->errors.total()) + " transport errors");
  }
  return 0;
}

int RunCompare(const BenchFlags& flags, const loadgen::LoadOptions& options_a,
               const loadgen::LoadOptions& options_b) {
  std::vector<ordered_json> runs[2];
  std::uint64_t successes[2] = {0, 0};
  std::uint64_t unanswered[2] = {0, 0};  // --once paths a stalled server never answered
  const loadgen::LoadOptions* options[2] = {&options_a, &options_b};
  bool interrupted = false;
  for (int round = 1; round <= flags.rounds && !interrupted; ++round) {
    for (int side = 0; side < 2 && !interrupted; ++side) {
      const char label = side == 0 ? 'A' : 'B';
      loadgen::LoadOptions run_options = *options[side];
      // A and B see the same path sequence in a round; rounds differ.
      run_options.seed = flags.seed + static_cast<std::uint64_t>(round) - 1;
      Result<loadgen::RunStats> stats = Measure(
          flags, run_options, "round " + std::to_string(round) + " " + std::string(1, label) + " ");
      if (!stats) return Fail(kExitFailed, stats.error().message);
      interrupted = stats->interrupted;
      successes[side] += stats->requests_2xx;
      unanswered[side] += stats->unanswered;
      runs[side].push_back(loadgen::ReportJson(*stats, run_options.once));
      if (!flags.json) {
        std::fputs(loadgen::CompareRoundLine(round, flags.rounds, label, runs[side].back()).c_str(),
                   stdout);
        std::fflush(stdout);
      }
    }
  }
  if (runs[1].size() < runs[0].size()) runs[0].pop_back();  // an interrupted round has no B
  if (runs[0].empty()) return Fail(kExitFailed, "interrupted before the first round ended");
  const ordered_json compare = loadgen::CompareJson(runs[0], runs[1]);
  if (flags.json) {
    std::printf("%s\n", compare.dump(2).c_str());
  } else {
    std::fputs(loadgen::CompareText(compare).c_str(), stdout);
  }
  std::fflush(stdout);
  for (int side = 0; side < 2; ++side) {
    if (unanswered[side] > 0) {
      return Fail(kExitFailed, std::to_string(unanswered[side]) + " paths were never answered by " +
                                   options[side]->target.url);
    }
    if (successes[side] == 0) {
      return Fail(kExitFailed, "no successful (2xx) response from " + options[side]->target.url +
                                   " in any round");
    }
  }
  return 0;
}

int RunBench(const BenchFlags& flags, const CLI::App& command) {
  Result<loadgen::Target> target = loadgen::ParseTarget(flags.url);
  if (!target) return Fail(kExitUsage, target.error().message);
  Result<loadgen::Target> compare_target = loadgen::Target{};
  if (!flags.compare_url.empty()) {
    compare_target = loadgen::ParseTarget(flags.compare_url);
    if (!compare_target) return Fail(kExitUsage, "--compare: " + compare_target.error().message);
  }
  Result<std::chrono::milliseconds> duration =
      loadgen::ParseBenchDuration("--duration", flags.duration);
  if (!duration) return Fail(kExitUsage, duration.error().message);
  Result<std::chrono::milliseconds> timeout =
      loadgen::ParseBenchDuration("--timeout", flags.timeout);
  if (!timeout) return Fail(kExitUsage, timeout.error().message);

  Result<std::vector<std::string>> paths =
      LoadPaths(flags, command.get_option("--endpoints")->count() > 0);
  if (!paths) return Fail(kExitUsage, paths.error().message);
  if (paths->empty()) return Fail(kExitUsage, "no request paths in " + PathSourceName(flags));

  Result<void> limit =
      loadgen::EnsureFileLimit(static_cast<std::uint64_t>(flags.concurrency) +
                               static_cast<std::uint64_t>(flags.idle) + kSpareDescriptors);
  if (!limit) return Fail(kExitUsage, limit.error().message);

  loadgen::LoadOptions options;
  options.target = *target;
  options.paths = std::move(*paths);
  options.concurrency = flags.concurrency;
  options.duration = *duration;
  options.once = flags.once;
  options.idle = flags.idle;
  options.timeout = *timeout;
  options.seed = flags.seed;
  options.busy_poll = !flags.no_busy_poll;
  if (flags.compare_url.empty()) return RunSingle(flags, options);
  loadgen::LoadOptions options_b = options;
  options_b.target = *compare_target;
  return RunCompare(flags, options, options_b);
}

}  // namespace

RunSubcommand AddBenchCommand(CLI::App& app) {
  CLI::App* command = app.add_subcommand(
      "bench", "load-test a GOPROXY server with keep-alive HTTP/1.1 GETs (like wrk)");
  auto flags = std::make_shared<BenchFlags>();
  command
      ->add_option("url", flags->url,
                   "base URL of the GOPROXY server: http://host[:port][/prefix] (https is not "
                   "supported by bench yet; use probe)")
      ->required();
  command->add_option("--concurrency,-c", flags->concurrency, "keep-alive connections")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  CLI::Option* duration =
      command
          ->add_option("--duration,-d", flags->duration,
                       "length of the run (of each round with --compare): 500ms, 10s, 1m30s")
          ->capture_default_str();
  CLI::Option* paths = command->add_option(
      "--paths", flags->paths_file,
      "file of request paths, one per line, e.g. /github.com/!azure/x/@v/v1.0.0.info "
      "(blank lines and # comments ignored)");
  command
      ->add_option("--from-cache", flags->cache_dir,
                   "take request paths from a GOPROXY tree (a modproxy cache directory)")
      ->excludes(paths);
  command
      ->add_option("--endpoints", flags->endpoints,
                   "with --from-cache or the built-in list: which files to request, any of "
                   "info,mod,zip,list (the built-in list uses info,mod unless given)")
      ->capture_default_str();
  command->add_flag("--json", flags->json,
                    "print one JSON object on stdout instead of the summary (no progress line)");
  command->add_option("--compare", flags->compare_url,
                      "a second server, measured in alternating rounds with URL; prints the "
                      "medians and the B/A ratios");
  command->add_option("--rounds", flags->rounds, "rounds per server with --compare")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  command
      ->add_option("--idle", flags->idle,
                   "extra connections opened before the run, each after one request, and held "
                   "idle during it (not measured)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  command
      ->add_flag("--once", flags->once,
                 "request every path exactly once, spread over the connections, instead of "
                 "random paths for --duration")
      ->excludes(duration);
  command
      ->add_option("--timeout", flags->timeout,
                   "connect timeout, and the longest wait for a complete response")
      ->capture_default_str();
  command->add_option("--seed", flags->seed, "seed of the random path choice")
      ->capture_default_str();
  command->add_flag("--quiet,-q", flags->quiet, "no progress line on stderr");
  command->add_flag("--no-busy-poll", flags->no_busy_poll,
                    "sleep whenever there is nothing to do, instead of polling for up to 1 ms "
                    "(use when bench shares a core with the server; the server then pays a "
                    "wake-up for most responses)");
  command->footer(
      "Without --paths or --from-cache, requests .info and .mod files of popular public "
      "modules (as a public proxy benchmark does). Exit status: 0 when the run completed with "
      "at least one 2xx response (from each server with --compare), 1 when the server could "
      "not be reached or nothing succeeded, 2 for usage errors.");
  return [command, flags] { return RunBench(*flags, *command); };
}

}  // namespace modproxy::cli
