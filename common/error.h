// Errors and invariant checks used across edgenas.
//
// Two kinds of failure, handled differently:
//  - A user or configuration error (a bad recipe, an unknown space, a malformed
//    arch string) throws edgenas::Error with a message that quotes the value
//    received and what was expected. The CLI prints it on one line and exits 2.
//  - A broken invariant (a bug in edgenas itself) is EDGENAS_ASSERT: it prints
//    the expression, function and file:line, then aborts.
#pragma once

#include <fmt/format.h>

#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <string>

namespace edgenas {

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message) : std::runtime_error(message) {}
};

}  // namespace edgenas

#define EDGENAS_THROW_FMT(...) throw ::edgenas::Error(fmt::format(__VA_ARGS__))

#define EDGENAS_THROW_IF_NOT_FMT(condition, ...) \
  do {                                           \
    if (!(condition)) EDGENAS_THROW_FMT(__VA_ARGS__); \
  } while (false)

#define EDGENAS_ASSERT(condition)                                            \
  do {                                                                       \
    if (!(condition)) {                                                      \
      std::fprintf(stderr, "edgenas: assertion '%s' failed in %s at %s:%d\n", \
                   #condition, __func__, __FILE__, __LINE__);                \
      std::abort();                                                          \
    }                                                                        \
  } while (false)
