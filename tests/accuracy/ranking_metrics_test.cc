#include "accuracy/ranking_metrics.h"

#include <gtest/gtest.h>

#include <cmath>

namespace edgenas {
namespace {

TEST(RankingMetrics, HandComputedValues) {
  const std::vector<double> truth = {1, 2, 3, 4, 5};
  EXPECT_DOUBLE_EQ(KendallTau(truth, truth), 1.0);
  EXPECT_DOUBLE_EQ(KendallTau(truth, {5, 4, 3, 2, 1}), -1.0);
  // One swapped pair of ten: (9 - 1) / 10.
  EXPECT_DOUBLE_EQ(KendallTau(truth, {2, 1, 3, 4, 5}), 0.8);
  // Spearman: 1 - 6 * sum d^2 / (n (n^2 - 1)) = 1 - 6 * 2 / 120.
  EXPECT_DOUBLE_EQ(SpearmanRho(truth, {2, 1, 3, 4, 5}), 0.9);
  EXPECT_DOUBLE_EQ(Rmse({1, 2, 3}, {1, 2, 6}), std::sqrt(3.0));
}

TEST(RankingMetrics, TiesFollowTauB) {
  // a has one tied pair; pairs: 6, concordant 5, tied in a 1 -> 5 / sqrt(5 * 6).
  EXPECT_NEAR(KendallTau({1, 1, 2, 3}, {1, 2, 3, 4}), 5 / std::sqrt(30.0), 1e-12);
  // Tied values share their mean rank: ranks of {1,1,2,3} are {1.5,1.5,3,4}.
  EXPECT_NEAR(SpearmanRho({1, 1, 2, 3}, {1, 2, 3, 4}), 4.5 / std::sqrt(4.5 * 5), 1e-12);
}

TEST(RankingMetrics, TopPrecisionAndTrueTopHits) {
  std::vector<double> truth, predicted;
  for (int i = 0; i < 200; ++i) {
    truth.push_back(i);
    predicted.push_back(i);
  }
  std::swap(predicted[199], predicted[0]);  // the best network predicted worst
  EXPECT_DOUBLE_EQ(TopPrecision(predicted, truth, 0.01), 0.5);  // top 2: {0 (as 199), 198} vs {199, 198}
  EXPECT_DOUBLE_EQ(TopPrecision(predicted, truth, 0.05), 0.9);
  EXPECT_EQ(TrueTopInPredictedTop(predicted, truth, 20, 0.05), 9);  // 190..198 of 180..199
  EXPECT_EQ(TrueTopInPredictedTop(truth, truth, 20, 0.05), 10);  // the top 5% holds only 10
}

}  // namespace
}  // namespace edgenas
