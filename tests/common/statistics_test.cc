#include "common/statistics.h"

#include <gtest/gtest.h>

namespace edgenas {
namespace {

TEST(Median, MiddleValueOrMeanOfTheTwoMiddleOnes) {
  EXPECT_EQ(Median({3.0}), 3.0);
  EXPECT_EQ(Median({5.0, 1.0, 3.0}), 3.0);
  EXPECT_EQ(Median({4.0, 1.0, 3.0, 2.0}), 2.5);
  EXPECT_EQ(Median({2.0, 2.0, 9.0, -1.0, 2.0}), 2.0);
}

}  // namespace
}  // namespace edgenas
