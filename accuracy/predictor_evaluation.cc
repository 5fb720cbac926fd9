#include "accuracy/predictor_evaluation.h"

#include <fmt/format.h>

#include <algorithm>

#include "common/svg_plot.h"

namespace edgenas {

PredictorEvaluation EvaluatePredictor(const AccuracyPredictor& predictor, const RidgeModel* ridge,
                                      const AccuracyDataset& data) {
  PredictorEvaluation e;
  e.truth = data.accuracy;
  const std::vector<AccuracyPrediction> predicted = predictor.Predict(data.genomes);
  for (const AccuracyPrediction& p : predicted) e.mlp.push_back(p.mean);
  e.mlp_metrics = EvaluatePredictions(e.mlp, e.truth);
  if (ridge != nullptr) {
    for (const Genome& g : data.genomes) e.ridge.push_back(ridge->Predict(predictor.encoder(), g));
    e.ridge_metrics = EvaluatePredictions(e.ridge, e.truth);
  }
  return e;
}

std::string FormatEvaluation(const PredictorEvaluation& e) {
  const auto row = [&](const char* name, auto get, const char* format) {
    std::string line = fmt::format("  {:<34}{:>10}", name, fmt::format(fmt::runtime(format), get(e.mlp_metrics)));
    line += e.ridge_metrics ? fmt::format("{:>10}", fmt::format(fmt::runtime(format), get(*e.ridge_metrics)))
                            : fmt::format("{:>10}", "n/a");
    return line + "\n";
  };
  std::string out = fmt::format("  {:<34}{:>10}{:>10}\n", fmt::format("{} networks", e.truth.size()), "MLP", "ridge");
  out += row("RMSE (percentage points)", [](const PredictionMetrics& m) { return m.rmse; }, "{:.3f}");
  out += row("Kendall tau", [](const PredictionMetrics& m) { return m.kendall_tau; }, "{:.4f}");
  out += row("Spearman rho", [](const PredictionMetrics& m) { return m.spearman_rho; }, "{:.4f}");
  out += row("precision of predicted top 1%", [](const PredictionMetrics& m) { return m.top1_precision; }, "{:.3f}");
  out += row("precision of predicted top 5%", [](const PredictionMetrics& m) { return m.top5_precision; }, "{:.3f}");
  out += row("true top 20 in predicted top 1%",
             [](const PredictionMetrics& m) { return m.true_top20_in_predicted_top1; }, "{}");
  if (!e.ridge_metrics) out += "  (no ridge baseline: the predictor was not trained by edgenas)\n";
  return out;
}

std::string EvaluationSvg(const PredictorEvaluation& e, const std::string& title) {
  Plot plot;
  plot.title = title;
  plot.x_label = "measured accuracy (%)";
  plot.y_label = "predicted accuracy (%)";
  plot.same_axes = true;
  PlotSeries mlp, ridge;
  mlp.label = fmt::format("MLP: Kendall tau {:.3f}", e.mlp_metrics.kendall_tau);
  if (e.ridge_metrics) ridge.label = fmt::format("ridge: Kendall tau {:.3f}", e.ridge_metrics->kendall_tau);
  ridge.color = "#aaaaaa";
  mlp.radius = ridge.radius = 2;
  double low = 100, high = 0;
  for (size_t i = 0; i < e.truth.size(); ++i) {
    mlp.points.emplace_back(e.truth[i], e.mlp[i]);
    if (!e.ridge.empty()) ridge.points.emplace_back(e.truth[i], e.ridge[i]);
    low = std::min(low, e.truth[i]);
    high = std::max(high, e.truth[i]);
  }
  plot.series = {ridge, mlp, PlotSeries::Line({{low, low}, {high, high}}, "#444", false)};
  plot.caption = fmt::format("{} networks; RMSE {:.2f} pp (MLP)", e.truth.size(), e.mlp_metrics.rmse);
  return RenderSvg(plot);
}

}  // namespace edgenas
