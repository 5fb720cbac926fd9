#include "search/pareto.h"

#include <gtest/gtest.h>

#include <cmath>

namespace edgenas {
namespace {

TEST(Pareto, FrontsByDomination) {
  // Minimise both: (1,3) (2,2) (3,1) form front 0; (2,3) and (3,2) front 1; (3,3) front 2.
  const std::vector<ObjectiveVector> points = {{3, 3}, {1, 3}, {2, 3}, {2, 2}, {3, 1}, {3, 2}};
  const auto fronts = NonDominatedSort(points);
  ASSERT_EQ(fronts.size(), 3u);
  EXPECT_EQ(fronts[0], (std::vector<int>{1, 3, 4}));
  EXPECT_EQ(fronts[1], (std::vector<int>{2, 5}));
  EXPECT_EQ(fronts[2], (std::vector<int>{0}));
  EXPECT_TRUE(Dominates({1, 1}, {1, 2}));
  EXPECT_FALSE(Dominates({1, 2}, {1, 2}));
}

TEST(Pareto, CrowdingDistance) {
  const std::vector<ObjectiveVector> points = {{0, 4}, {1, 2}, {3, 1}, {4, 0}};
  const std::vector<double> d = CrowdingDistance(points, {0, 1, 2, 3});
  EXPECT_TRUE(std::isinf(d[0]) && std::isinf(d[3]));
  // Neighbour gaps over each objective's range: (3-0)/4 + (4-1)/4 and (4-1)/4 + (2-0)/4.
  EXPECT_DOUBLE_EQ(d[1], 1.5);
  EXPECT_DOUBLE_EQ(d[2], 1.25);
}

TEST(Pareto, Hypervolume) {
  // Two boxes of area 2 overlapping in 1.
  EXPECT_DOUBLE_EQ(Hypervolume({{1, 2}, {2, 1}}, {3, 3}), 3.0);
  // A dominated point adds nothing; a point outside the reference adds nothing.
  EXPECT_DOUBLE_EQ(Hypervolume({{1, 2}, {2, 1}, {2, 2}, {0, 5}}, {3, 3}), 3.0);
  // 3-D: a unit cube, then two cubes overlapping in a 1x1x1 corner: 8 + 8 - 1... = 1*2*2 + 2*1*2 - 1*1*2.
  EXPECT_DOUBLE_EQ(Hypervolume({{1, 1, 1}}, {2, 2, 2}), 1.0);
  EXPECT_DOUBLE_EQ(Hypervolume({{0, 1, 0}, {1, 0, 0}}, {2, 2, 2}), 6.0);
}

}  // namespace
}  // namespace edgenas
