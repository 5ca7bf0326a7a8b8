#pragma once

#include <functional>

#include <CLI/CLI.hpp>

namespace modproxy::cli {

// A subcommand registers its flags on the parser and returns what runs it
// once the command line has been parsed (the process exit code).
using RunSubcommand = std::function<int()>;

RunSubcommand AddBenchCommand(CLI::App& app);
RunSubcommand AddProbeCommand(CLI::App& app);
RunSubcommand AddHashCommand(CLI::App& app);      // modproxy hash zip|mod FILE
RunSubcommand AddCheckZipCommand(CLI::App& app);  // modproxy check-zip FILE MODULE VERSION
RunSubcommand AddVerifyCommand(CLI::App& app);
RunSubcommand AddPackCommand(CLI::App& app);  // modproxy pack DIR MODULE VERSION
RunSubcommand AddAuthCommand(CLI::App& app);  // modproxy auth token NAME | auth hash

}  // namespace modproxy::cli
