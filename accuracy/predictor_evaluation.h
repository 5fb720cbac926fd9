// A predictor measured against held-out accuracies, beside its ridge baseline.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "accuracy/accuracy_dataset.h"
#include "accuracy/accuracy_predictor.h"
#include "accuracy/ranking_metrics.h"
#include "accuracy/ridge_regression.h"

namespace edgenas {

struct PredictorEvaluation {
  std::vector<double> truth, mlp, ridge;  // per network, percent; ridge empty without a baseline
  PredictionMetrics mlp_metrics;
  std::optional<PredictionMetrics> ridge_metrics;
};

PredictorEvaluation EvaluatePredictor(const AccuracyPredictor& predictor, const RidgeModel* ridge,
                                      const AccuracyDataset& data);
// The metrics as an aligned text table (MLP and ridge columns).
std::string FormatEvaluation(const PredictorEvaluation& evaluation);
// Predicted against measured accuracy, MLP and ridge, with y = x.
std::string EvaluationSvg(const PredictorEvaluation& evaluation, const std::string& title);

}  // namespace edgenas
