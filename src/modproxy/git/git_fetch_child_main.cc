// A stand-alone fetch child for tests (the modproxy binary has its own
// hidden subcommand for production).
#include "modproxy/git/fetch_child.h"

int main(int argc, char** argv) { return modproxy::git::RunFetchChild(argc, argv); }
