#include "job/job.h"

#include <fmt/format.h>

#include <algorithm>

#include "accuracy/accuracy_predictor.h"
#include "accuracy/predictor_file.h"
#include "common/error.h"
#include "common/file_util.h"
#include "common/text.h"
#include "cost/counted_metric_scorer.h"
#include "cost/hardware_profile.h"
#include "cost/lut_cost_model.h"
#include "space/space_loader.h"

namespace edgenas {

Job::Job(Recipe recipe) : recipe_(std::move(recipe)) {
  LoadSpace();
  CompileDeviceMetrics();
  LoadPredictor();
  MakeScorers();
}

Job::~Job() = default;

void Job::LoadSpace() {
  SearchSpace space = [&] {
    try {
      return edgenas::LoadSpace(recipe_.space);
    } catch (const Error& e) {
      if (LooksLikePath(recipe_.space)) throw;  // the space file's own error names its file and line
      recipe_.space_location.Fail(e.what());
    }
  }();
  const std::vector<int>& allowed = space.spec().resolutions;
  for (int r : recipe_.resolutions) {
    if (std::find(allowed.begin(), allowed.end(), r) == allowed.end()) {
      recipe_.resolution_locations.at(r).Fail(fmt::format("resolution {} is not in space '{}' (its resolutions: {})", r,
                                                          space.name(), fmt::join(allowed, ", ")));
    }
  }
  if (recipe_.export_settings && !recipe_.export_settings->teacher.empty()) {
    try {
      space.Parse(recipe_.export_settings->teacher);  // any resolution of the space, not only the searched ones
    } catch (const Error& e) {
      recipe_.export_settings->teacher_location.Fail(fmt::format("teacher: {}", e.what()));
    }
  }
  space_ = std::make_unique<const SearchSpace>(space.WithResolutions(recipe_.resolutions));
}

// Every device metric must be costable for the searched space: the profile
// loads, has the metric and every key the space needs. Compiling the cost
// models here finds a missing key before any work starts. Each device's
// latency is compiled too, when its profile has it (reports show it).
void Job::CompileDeviceMetrics() {
  std::map<std::string, HardwareProfile> profiles;
  const auto compile = [&](const Metric& metric) {
    if (cost_models_.count(metric.ToString())) return;
    CostModelOptions options;
    options.interpolate_missing = std::binary_search(recipe_.interpolate_missing_costs.begin(),
                                                     recipe_.interpolate_missing_costs.end(), metric.device);
    auto model = std::make_unique<LutCostModel>(*space_, profiles.at(metric.device),
                                                MetricKindToString(metric.kind), options);
    if (!model->estimated().empty()) {
      const EstimatedKey& first = model->estimated().front();
      warnings_.push_back(fmt::format(
          "{}: {} table entr{} estimated from neighbours in channel count, e.g. {} (resolution {}) = {:.4g} {} from {}",
          metric.ToString(), model->estimated().size(), model->estimated().size() == 1 ? "y is" : "ies are", first.key,
          first.resolution, first.cost, model->unit(), JoinStrings(first.neighbours, " and ")));
    }
    cost_models_[metric.ToString()] = std::move(model);
  };
  for (const auto& [metric, location] : recipe_.NamedMetrics()) {
    if (!metric.IsDeviceMetric()) continue;
    try {
      if (!profiles.count(metric.device)) profiles.emplace(metric.device, LoadBuiltinProfile(metric.device));
      compile(metric);
      if (profiles.at(metric.device).metrics.count("latency")) compile(Metric{Metric::Kind::kLatency, metric.device});
    } catch (const Error& e) {
      location.Fail(fmt::format("'{}': {}", metric.ToString(), e.what()));
    }
  }
}

void Job::LoadPredictor() {
  if (recipe_.predictor.empty()) return;
  try {
    predictor_ = edgenas::LoadPredictor(recipe_.predictor, *space_).predictor;  // does it fit the space?
  } catch (const Error& e) {
    recipe_.predictor_location.Fail(e.what());
  }
}

void Job::MakeScorers() {
  const auto add = [&](const Metric& m) {
    if (std::find(metrics_.begin(), metrics_.end(), m) == metrics_.end()) metrics_.push_back(m);
  };
  for (const Objective& o : recipe_.objectives) add(o.metric);
  for (const Constraint& c : recipe_.constraints) add(c.metric);
  for (const std::string& device : recipe_.devices) {
    const Metric latency{Metric::Kind::kLatency, device};
    if (cost_models_.count(latency.ToString())) add(latency);
  }
  const auto counted = [&](CountedMetric metric) {
    counted_scorers_.push_back(std::make_unique<CountedMetricScorer>(*space_, metric));
    return counted_scorers_.back().get();
  };
  for (const Metric& m : metrics_) {
    switch (m.kind) {
      case Metric::Kind::kAccuracy:
        EDGENAS_ASSERT(predictor_ != nullptr);  // LoadRecipe requires a predictor for accuracy
        scorers_.push_back(predictor_.get());
        break;
      case Metric::Kind::kMacs: scorers_.push_back(counted(CountedMetric::kMacs)); break;
      case Metric::Kind::kParams: scorers_.push_back(counted(CountedMetric::kParams)); break;
      case Metric::Kind::kPeakMemory: scorers_.push_back(counted(CountedMetric::kPeakMemory)); break;
      case Metric::Kind::kLatency:
      case Metric::Kind::kLatencyInt8:
      case Metric::Kind::kEnergy: scorers_.push_back(cost_models_.at(m.ToString()).get()); break;
    }
  }
}

Evaluator::Options Job::EvaluatorOptions() const {
  Evaluator::Options options;
  const auto index = [&](const Metric& m) {
    return static_cast<int>(std::find(metrics_.begin(), metrics_.end(), m) - metrics_.begin());
  };
  for (size_t i = 0; i < metrics_.size(); ++i) {
    options.metrics.push_back({metrics_[i].ToString(), metrics_[i].Unit(), scorers_[i]});
  }
  for (const Objective& o : recipe_.objectives) options.objectives.push_back({index(o.metric), o.maximize});
  for (const Constraint& c : recipe_.constraints) options.constraints.push_back({index(c.metric), c.min, c.max});
  return options;
}

SearchEngine::Options Job::SearchOptions() const {
  SearchEngine::Options options;
  options.strategy = recipe_.search;
  options.seed = recipe_.seed;
  return options;
}

const LutCostModel* Job::CostModel(const Metric& metric) const {
  const auto found = cost_models_.find(metric.ToString());
  return found == cost_models_.end() ? nullptr : found->second.get();
}

}  // namespace edgenas
