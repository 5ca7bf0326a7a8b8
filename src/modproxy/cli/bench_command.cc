// `modproxy bench`: placeholder until the load generator lands.
#include <cstdio>

#include "modproxy/cli/subcommand.h"

namespace modproxy::cli {

RunSubcommand AddBenchCommand(CLI::App& app) {
  CLI::App* command = app.add_subcommand("bench", "load-test a GOPROXY server");
  return [command] {
    (void)command;
    std::fprintf(stderr, "modproxy bench: not implemented yet\n");
    return 1;
  };
}

}  // namespace modproxy::cli
