#include "accuracy/ridge_regression.h"

#include <Eigen/Cholesky>
#include <Eigen/Core>

#include <cmath>
#include <limits>

#include "common/error.h"

namespace edgenas {
namespace {

Eigen::MatrixXd Features(const FeatureEncoder& encoder, const AccuracyDataset& data) {
  Eigen::MatrixXd x = Eigen::MatrixXd::Zero(data.size(), encoder.num_features());
  std::vector<int> active(encoder.max_active());
  for (size_t i = 0; i < data.size(); ++i) {
    const int n = encoder.ActiveFeatures(data.genomes[i], active.data());
    for (int k = 0; k < n; ++k) x(i, active[k]) = 1.0;
  }
  return x;
}

// Centring x and y leaves the intercept unpenalized.
RidgeModel Solve(const Eigen::MatrixXd& x, const Eigen::VectorXd& y, double lambda) {
  const Eigen::RowVectorXd x_mean = x.colwise().mean();
  const double y_mean = y.mean();
  const Eigen::MatrixXd xc = x.rowwise() - x_mean;
  Eigen::MatrixXd gram = xc.transpose() * xc;
  gram.diagonal().array() += lambda;
  const Eigen::VectorXd w = gram.ldlt().solve(xc.transpose() * (y.array() - y_mean).matrix());
  RidgeModel model;
  model.lambda = lambda;
  model.intercept = y_mean - x_mean.dot(w);
  model.coefficients.assign(w.data(), w.data() + w.size());
  return model;
}

}  // namespace

double RidgeModel::Predict(const FeatureEncoder& encoder, const Genome& genome) const {
  std::vector<int> active(encoder.max_active());
  const int n = encoder.ActiveFeatures(genome, active.data());
  double y = intercept;
  for (int k = 0; k < n; ++k) y += coefficients.at(active[k]);
  return y;
}

RidgeModel FitRidge(const FeatureEncoder& encoder, const AccuracyDataset& train, uint64_t seed) {
  EDGENAS_THROW_IF_NOT_FMT(train.size() >= 5, "ridge regression needs at least 5 networks, got {}", train.size());
  const Eigen::MatrixXd x = Features(encoder, train);
  const Eigen::VectorXd y = Eigen::Map<const Eigen::VectorXd>(train.accuracy.data(), train.size());
  // A seeded permutation of the networks (a split that keeps them all); fold k is every 5th from k.
  std::vector<size_t> order, unused;
  SplitIndices(train.size(), train.size(), seed, &order, &unused);
  constexpr int kFolds = 5;
  double best_lambda = 1, best_error = std::numeric_limits<double>::infinity();
  for (double lambda = 1e-3; lambda < 2e3; lambda *= 10) {
    double squared_error = 0;
    for (int fold = 0; fold < kFolds; ++fold) {
      std::vector<Eigen::Index> fit_rows, held_rows;
      for (size_t i = 0; i < order.size(); ++i) {
        (static_cast<int>(i % kFolds) == fold ? held_rows : fit_rows).push_back(static_cast<Eigen::Index>(order[i]));
      }
      const RidgeModel m = Solve(x(fit_rows, Eigen::all), y(fit_rows), lambda);
      const Eigen::VectorXd w = Eigen::Map<const Eigen::VectorXd>(m.coefficients.data(), m.coefficients.size());
      const Eigen::VectorXd residual = (x(held_rows, Eigen::all) * w).array() + m.intercept - y(held_rows).array();
      squared_error += residual.squaredNorm();
    }
    if (squared_error < best_error) {
      best_error = squared_error;
      best_lambda = lambda;
    }
  }
  return Solve(x, y, best_lambda);
}

}  // namespace edgenas
