// CHECK for the client drivers: they run as plain programs (no test framework), print
// the failed condition and stop at the first failure with exit 1.
#pragma once
#include <iostream>

#define CHECK(cond)                                                 \
  do {                                                              \
    if (!(cond)) {                                                  \
      std::cout << "FAILED: " #cond " (line " << __LINE__ << ")\n"; \
      return 1;                                                     \
    }                                                               \
  } while (0)
