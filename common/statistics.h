// Small descriptive statistics shared by the timer, the validation and the studies.
#pragma once

#include <vector>

namespace edgenas {

// The middle value of `values`, or the mean of the two middle ones for an even
// count. `values` must not be empty.
double Median(std::vector<double> values);

}  // namespace edgenas
