// How well predicted accuracies match measured ones: error and ranking
// quality. Hand-written: each is a few lines, and no Debian C++ library offers
// Kendall's tau.
#pragma once

#include <string>
#include <vector>

namespace edgenas {

double Rmse(const std::vector<double>& predicted, const std::vector<double>& truth);
// Kendall's tau-b (ties in either list count as neither concordant nor discordant).
// O(n^2) pairs: fine for the few thousand networks of a test set.
double KendallTau(const std::vector<double>& a, const std::vector<double>& b);
// Spearman's rho: Pearson's correlation of the ranks, ties sharing their mean rank.
double SpearmanRho(const std::vector<double>& a, const std::vector<double>& b);
// Of the networks in the predicted top `fraction` (at least one), the share that
// are in the true top `fraction`.
double TopPrecision(const std::vector<double>& predicted, const std::vector<double>& truth, double fraction);
// How many of the true top `true_k` networks are in the predicted top `fraction`.
int TrueTopInPredictedTop(const std::vector<double>& predicted, const std::vector<double>& truth, int true_k,
                          double fraction);

struct PredictionMetrics {
  double rmse = 0, kendall_tau = 0, spearman_rho = 0, top1_precision = 0, top5_precision = 0;
  int true_top20_in_predicted_top1 = 0;
  size_t count = 0;
};
PredictionMetrics EvaluatePredictions(const std::vector<double>& predicted, const std::vector<double>& truth);

}  // namespace edgenas
