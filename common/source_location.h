// Where a value was written in a user's file, so that a fault found after the
// file was read (a device that cannot cost the space, a predictor that does not
// fit it) still points at the line that caused it.
#pragma once

#include <string>

namespace edgenas {

struct SourceLocation {
  std::string file;
  int line = 0;    // 1-based; 0 = unknown
  int column = 0;  // 1-based; 0 = unknown

  // Throws Error("file:line:column: message"), or "file: message" when the
  // line is unknown.
  [[noreturn]] void Fail(const std::string& message) const;
};

}  // namespace edgenas
