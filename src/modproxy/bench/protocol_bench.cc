// Micro-benchmarks of the pure protocol code every request goes through:
// parsing the request target, module-path checks and case escaping, and
// semver work on @v/list bodies. Run by `make bench`; a smoke test, not a gate.
#include <string>
#include <string_view>
#include <vector>

#include <benchmark/benchmark.h>

#include "modproxy/protocol/module_path.h"
#include "modproxy/protocol/request_path.h"
#include "modproxy/protocol/semver.h"
#include "modproxy/protocol/version_list.h"

namespace modproxy::protocol {
namespace {

// ParseRequestTarget runs once per request before anything else: percent
// decoding, endpoint matching, path and version validation. Each argument
// picks one typical target so a regression in one shape shows on its own.
const std::vector<std::string_view>& Targets() {
  static const std::vector<std::string_view> targets = {
      "/golang.org/x/text/@v/v0.14.0.info",
      "/golang.org/x/text/@v/v0.14.0.zip",
      "/golang.org/x/text/@v/list",
      "/sumdb/sum.golang.org/lookup/golang.org/x/text@v0.14.0",
      "/github.com/!burnt!sushi/toml/@v/v1.3.2.mod",
  };
  return targets;
}

void BM_ParseRequestTarget(benchmark::State& state) {
  const std::string_view target = Targets()[static_cast<std::size_t>(state.range(0))];
  state.SetLabel(std::string(target));
  for (auto _ : state) {
    Result<ParsedRequest> parsed = ParseRequestTarget(target);
    benchmark::DoNotOptimize(parsed);
  }
}
BENCHMARK(BM_ParseRequestTarget)->DenseRange(0, 4);

// CheckModulePath guards every module path from a client or an upstream.
void BM_CheckModulePath(benchmark::State& state) {
  for (auto _ : state) {
    Result<void> ok = CheckModulePath("github.com/BurntSushi/toml/v2");
    benchmark::DoNotOptimize(ok);
  }
}
BENCHMARK(BM_CheckModulePath);

// Escaping builds every storage key and upstream URL; unescaping reads every
// request path. A mixed-case path exercises the "!x" branch.
void BM_EscapePath(benchmark::State& state) {
  for (auto _ : state) {
    Result<std::string> escaped = EscapePath("github.com/BurntSushi/toml/v2");
    benchmark::DoNotOptimize(escaped);
  }
}
BENCHMARK(BM_EscapePath);

void BM_UnescapePath(benchmark::State& state) {
  for (auto _ : state) {
    Result<std::string> path = UnescapePath("github.com/!burnt!sushi/toml/v2");
    benchmark::DoNotOptimize(path);
  }
}
BENCHMARK(BM_UnescapePath);

// semver::Compare is the inner loop of list sorting and @latest.
void BM_SemverCompare(benchmark::State& state) {
  for (auto _ : state) {
    benchmark::DoNotOptimize(semver::Compare("v1.22.3-rc.1", "v1.22.3"));
    benchmark::DoNotOptimize(semver::Compare("v0.0.0-20240101000000-abcdefabcdef", "v0.1.0"));
  }
}
BENCHMARK(BM_SemverCompare);

// An upstream @v/list body of N versions in shuffled order: parsing checks,
// deduplicates and sorts it, as every list refresh does.
std::string ListBody(int n) {
  std::string body;
  for (int i = 0; i < n; ++i) {
    const int k = (i * 7919) % n;  // a fixed permutation (7919 is prime)
    body += "v1." + std::to_string(k / 10) + "." + std::to_string(k % 10);
    if (k % 13 == 0) body += "-rc.1";
    body += '\n';
  }
  return body;
}

void BM_ParseVersionList(benchmark::State& state) {
  const std::string body = ListBody(static_cast<int>(state.range(0)));
  for (auto _ : state) {
    Result<std::vector<std::string>> versions = ParseVersionList(body);
    benchmark::DoNotOptimize(versions);
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_ParseVersionList)->Arg(10)->Arg(100)->Arg(1000);

}  // namespace
}  // namespace modproxy::protocol
