# libFuzzer targets (fuzz/, README "Fuzzing"). A build with
# -DMODPROXY_FUZZERS=ON is for fuzzing only: every source gets libFuzzer's
# coverage instrumentation plus AddressSanitizer and UndefinedBehaviorSanitizer,
# and only the `fuzzers` target (the fuzz/ binaries and the pure libraries
# they link) is meant to be built there.
option(MODPROXY_FUZZERS "Build the libFuzzer targets in fuzz/ (clang only)" OFF)
if(MODPROXY_FUZZERS)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "MODPROXY_FUZZERS=ON needs clang: -DCMAKE_CXX_COMPILER=clang++")
  endif()
  if(MODPROXY_SANITIZE)
    message(FATAL_ERROR "MODPROXY_FUZZERS=ON chooses its own sanitizers; leave MODPROXY_SANITIZE empty")
  endif()
  add_compile_options(-fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer
    -fno-sanitize-recover=all
    # modproxy_apply_warnings names g++-only warnings (-Wno-mismatched-new-delete ...).
    -Wno-unknown-warning-option)
  add_link_options(-fsanitize=address,undefined)
  # libFuzzer's advice: -O1 and line tables (enough for symbolized stack
  # traces, much faster to build than -g); no NDEBUG, so assert() checks too.
  set(CMAKE_CXX_FLAGS_RELWITHDEBINFO "-O1 -gline-tables-only")
endif()
