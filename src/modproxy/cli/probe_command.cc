// `modproxy probe`: placeholder until the prober lands.
#include <cstdio>

#include "modproxy/cli/subcommand.h"

namespace modproxy::cli {

RunSubcommand AddProbeCommand(CLI::App& app) {
  CLI::App* command =
      app.add_subcommand("probe", "compare GOPROXY servers: timings, status, rate limits");
  return [command] {
    (void)command;
    std::fprintf(stderr, "modproxy probe: not implemented yet\n");
    return 1;
  };
}

}  // namespace modproxy::cli
