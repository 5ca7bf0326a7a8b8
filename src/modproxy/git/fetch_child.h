#pragma once

// The body of the fetch child process that MirrorStore spawns (see
// fetch_protocol.h for the protocol). Wire it to an executable, e.g. a
// hidden `modproxy` subcommand, as
//   return modproxy::git::RunFetchChild(argc - 1, argv + 1);
// so that argv[0] is the subcommand's name (ignored), argv[1] the mirror
// directory and argv[2] the repository URL; the JSON request is read from
// stdin until EOF.
//
// Creates `mirror-dir` as a bare repository if it is not one, then fetches
// +refs/heads/* and +refs/tags/* from the URL into the same names, prunes the
// refs the remote no longer has, and points HEAD at the remote's default
// branch. Returns the process exit code (kFetchExit*).
namespace modproxy::git {

int RunFetchChild(int argc, char** argv);

}  // namespace modproxy::git
