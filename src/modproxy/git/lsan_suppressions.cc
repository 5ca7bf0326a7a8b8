// LeakSanitizer's default suppressions for the executables that run git
// fetches (modproxy's fetch child, git_fetch_child). libgit2 1.5 leaves
// pcre2 match data allocated when a fetch ends (seen as 20 allocations of
// libpcre2-8 under ASan, none from modproxy); a leak in a library we do not
// build is not ours to report. Linked into executables only: the runtime
// looks the symbol up in the main program, and nothing else references it.
extern "C" const char* __lsan_default_suppressions();
extern "C" const char* __lsan_default_suppressions() { return "leak:libpcre2-8.so\n"; }
