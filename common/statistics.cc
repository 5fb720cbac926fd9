#include "common/statistics.h"

#include <algorithm>

#include "common/error.h"

namespace edgenas {

double Median(std::vector<double> values) {
  EDGENAS_ASSERT(!values.empty());
  const size_t middle = values.size() / 2;
  std::nth_element(values.begin(), values.begin() + middle, values.end());
  const double upper = values[middle];
  if (values.size() % 2 == 1) return upper;
  return (upper + *std::max_element(values.begin(), values.begin() + middle)) / 2.0;
}

}  // namespace edgenas
