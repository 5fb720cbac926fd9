// Ridge regression on the predictor's one-hot features: the baseline every
// predictor evaluation prints beside the MLP.
#pragma once

#include <cstdint>
#include <vector>

#include "accuracy/accuracy_dataset.h"
#include "accuracy/feature_encoder.h"

namespace edgenas {

struct RidgeModel {
  double lambda = 0;     // L2 penalty on the coefficients (not on the intercept)
  double intercept = 0;  // percent
  std::vector<double> coefficients;  // one per feature

  double Predict(const FeatureEncoder& encoder, const Genome& genome) const;
};

// Fits on `train`, choosing lambda from {1e-3, 1e-2, ..., 1e3} by 5-fold cross
// validation (folds drawn with `seed`).
RidgeModel FitRidge(const FeatureEncoder& encoder, const AccuracyDataset& train, uint64_t seed);

}  // namespace edgenas
