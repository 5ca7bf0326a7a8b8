#pragma once

#include <cstdio>
#include <cstdlib>

// Bugs are not errors: MODPROXY_CHECK aborts with a message in every build.
#define MODPROXY_CHECK(cond)                                                        \
  do {                                                                              \
    if (!(cond)) {                                                                  \
      std::fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                                 \
    }                                                                               \
  } while (false)
