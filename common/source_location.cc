#include "common/source_location.h"

#include "common/error.h"

namespace edgenas {

void SourceLocation::Fail(const std::string& message) const {
  if (line <= 0) EDGENAS_THROW_FMT("{}: {}", file, message);
  EDGENAS_THROW_FMT("{}:{}:{}: {}", file, line, column, message);
}

}  // namespace edgenas
