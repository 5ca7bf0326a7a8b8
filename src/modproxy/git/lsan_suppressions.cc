// LeakSanitizer defaults for the executables that run git fetches
// (modproxy's fetch child, git_fetch_child). libgit2 1.5 leaves pcre2 match
// data allocated when a fetch ends (20 allocations of libpcre2-8 under ASan,
// none from modproxy); a leak in a library we do not build is not ours to
// report. The suppression statistics stay quiet: the parent reads the
// child's last stderr line as its error message. Linked into executables
// only: the runtime looks these symbols up in the main program.
extern "C" const char* __lsan_default_suppressions();
extern "C" const char* __lsan_default_suppressions() { return "leak:libpcre2-8.so\n"; }
extern "C" const char* __lsan_default_options();
extern "C" const char* __lsan_default_options() { return "print_suppressions=0"; }
