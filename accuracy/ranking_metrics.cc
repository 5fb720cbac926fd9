#include "accuracy/ranking_metrics.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "common/error.h"

namespace edgenas {
namespace {

void CheckSizes(const std::vector<double>& a, const std::vector<double>& b) {
  EDGENAS_THROW_IF_NOT_FMT(a.size() == b.size() && !a.empty(), "metrics need two equal, non-empty lists ({} and {})",
                           a.size(), b.size());
}

// Indices sorted by value, largest first (ties by index, so the order is stable).
std::vector<size_t> OrderDescending(const std::vector<double>& v) {
  std::vector<size_t> order(v.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](size_t i, size_t j) { return v[i] > v[j]; });
  return order;
}

std::vector<double> MeanRanks(const std::vector<double>& v) {
  std::vector<size_t> order(v.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::sort(order.begin(), order.end(), [&](size_t i, size_t j) { return v[i] < v[j]; });
  std::vector<double> ranks(v.size());
  for (size_t i = 0; i < order.size();) {
    size_t j = i;
    while (j + 1 < order.size() && v[order[j + 1]] == v[order[i]]) ++j;
    const double mean_rank = (i + j) / 2.0 + 1;
    for (size_t k = i; k <= j; ++k) ranks[order[k]] = mean_rank;
    i = j + 1;
  }
  return ranks;
}

size_t TopCount(size_t n, double fraction) {
  return std::max<size_t>(1, static_cast<size_t>(std::llround(n * fraction)));
}

}  // namespace

double Rmse(const std::vector<double>& predicted, const std::vector<double>& truth) {
  CheckSizes(predicted, truth);
  double sum = 0;
  for (size_t i = 0; i < truth.size(); ++i) sum += (predicted[i] - truth[i]) * (predicted[i] - truth[i]);
  return std::sqrt(sum / truth.size());
}

double KendallTau(const std::vector<double>& a, const std::vector<double>& b) {
  CheckSizes(a, b);
  long long concordant_minus_discordant = 0, untied_a = 0, untied_b = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    for (size_t j = i + 1; j < a.size(); ++j) {
      const int sa = (a[i] > a[j]) - (a[i] < a[j]);
      const int sb = (b[i] > b[j]) - (b[i] < b[j]);
      concordant_minus_discordant += sa * sb;
      untied_a += sa != 0;
      untied_b += sb != 0;
    }
  }
  if (untied_a == 0 || untied_b == 0) return 0;
  return concordant_minus_discordant / std::sqrt(static_cast<double>(untied_a) * untied_b);
}

double SpearmanRho(const std::vector<double>& a, const std::vector<double>& b) {
  CheckSizes(a, b);
  const std::vector<double> ra = MeanRanks(a), rb = MeanRanks(b);
  const double mean = (a.size() + 1) / 2.0;
  double cov = 0, va = 0, vb = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    cov += (ra[i] - mean) * (rb[i] - mean);
    va += (ra[i] - mean) * (ra[i] - mean);
    vb += (rb[i] - mean) * (rb[i] - mean);
  }
  return va == 0 || vb == 0 ? 0 : cov / std::sqrt(va * vb);
}

double TopPrecision(const std::vector<double>& predicted, const std::vector<double>& truth, double fraction) {
  CheckSizes(predicted, truth);
  const size_t k = TopCount(truth.size(), fraction);
  const std::vector<size_t> by_prediction = OrderDescending(predicted), by_truth = OrderDescending(truth);
  std::vector<bool> in_true_top(truth.size(), false);
  for (size_t i = 0; i < k; ++i) in_true_top[by_truth[i]] = true;
  size_t hits = 0;
  for (size_t i = 0; i < k; ++i) hits += in_true_top[by_prediction[i]];
  return static_cast<double>(hits) / k;
}

int TrueTopInPredictedTop(const std::vector<double>& predicted, const std::vector<double>& truth, int true_k,
                          double fraction) {
  CheckSizes(predicted, truth);
  const std::vector<size_t> by_prediction = OrderDescending(predicted), by_truth = OrderDescending(truth);
  std::vector<bool> in_predicted_top(truth.size(), false);
  for (size_t i = 0; i < TopCount(truth.size(), fraction); ++i) in_predicted_top[by_prediction[i]] = true;
  int hits = 0;
  for (size_t i = 0; i < std::min<size_t>(true_k, truth.size()); ++i) hits += in_predicted_top[by_truth[i]];
  return hits;
}

PredictionMetrics EvaluatePredictions(const std::vector<double>& predicted, const std::vector<double>& truth) {
  PredictionMetrics m;
  m.count = truth.size();
  m.rmse = Rmse(predicted, truth);
  m.kendall_tau = KendallTau(predicted, truth);
  m.spearman_rho = SpearmanRho(predicted, truth);
  m.top1_precision = TopPrecision(predicted, truth, 0.01);
  m.top5_precision = TopPrecision(predicted, truth, 0.05);
  m.true_top20_in_predicted_top1 = TrueTopInPredictedTop(predicted, truth, 20, 0.01);
  return m;
}

}  // namespace edgenas
