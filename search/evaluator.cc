#include "search/evaluator.h"

#include <tbb/parallel_for.h>

#include <limits>

#include "common/error.h"
#include "space/network_stats.h"

namespace edgenas {

namespace {

// MACs, params or peak memory of a network's counts.
double StatValue(const NetworkStats& stats, Metric::Kind kind) {
  switch (kind) {
    case Metric::Kind::kMacs: return static_cast<double>(stats.macs);
    case Metric::Kind::kParams: return static_cast<double>(stats.params);
    case Metric::Kind::kPeakMemory: return static_cast<double>(stats.peak_activations);
    default: break;
  }
  EDGENAS_ASSERT(false && "not a counted metric");
  return 0;
}

bool IsDeviceMetric(Metric::Kind kind) { return kind == Metric::Kind::kLatency || kind == Metric::Kind::kEnergy; }

}  // namespace

Evaluator::Evaluator(const Recipe& recipe)
    : space_(*recipe.search_space), recipe_(recipe), predictor_(recipe.accuracy_predictor.get()) {
  const auto add = [&](const Metric& m) {
    if (MetricIndex(m) < 0) metrics_.push_back(m);
  };
  for (const Objective& o : recipe.objectives) add(o.metric);
  for (const Constraint& c : recipe.constraints) add(c.metric);
  for (const std::string& device : recipe.devices) {
    const Metric latency{Metric::Kind::kLatency, device};
    if (recipe.cost_models.count(latency.ToString())) add(latency);
  }
  for (const Metric& m : metrics_) {
    cost_models_.push_back(IsDeviceMetric(m.kind) ? recipe.cost_models.at(m.ToString()).get() : nullptr);
    needs_stats_ |= !IsDeviceMetric(m.kind) && m.kind != Metric::Kind::kAccuracy;
  }
  accuracy_index_ = MetricIndex(Metric{Metric::Kind::kAccuracy, ""});
  objective_index_ = MetricIndex(recipe.objectives.front().metric);
  EDGENAS_THROW_IF_NOT_FMT(accuracy_index_ < 0 || predictor_ != nullptr, "the recipe uses accuracy but has no predictor");
  for (const Constraint& c : recipe.constraints) constraints_.emplace_back(MetricIndex(c.metric), c);
}

int Evaluator::MetricIndex(const Metric& metric) const {
  for (size_t i = 0; i < metrics_.size(); ++i) {
    if (metrics_[i].kind == metric.kind && metrics_[i].device == metric.device) return static_cast<int>(i);
  }
  return -1;
}

double Evaluator::CostValue(const Genome& genome, int metric) const {
  const Metric::Kind kind = metrics_[metric].kind;
  EDGENAS_ASSERT(kind != Metric::Kind::kAccuracy);
  if (IsDeviceMetric(kind)) return cost_models_[metric]->Cost(genome);
  return StatValue(ComputeStats(space_.Decode(genome)), kind);
}

bool Evaluator::MeetsCostConstraints(const Genome& genome, int* violated) const {
  for (size_t i = 0; i < constraints_.size(); ++i) {
    const auto& [metric, c] = constraints_[i];
    if (metric == accuracy_index_) continue;
    const double v = CostValue(genome, metric);
    if ((c.min && v < *c.min) || (c.max && v > *c.max)) {
      if (violated != nullptr) *violated = static_cast<int>(i);
      return false;
    }
  }
  return true;
}

void Evaluator::ComputeCosts(const Genome& genome, Scores* scores) const {
  scores->values.assign(metrics_.size(), 0.0);  // accuracy is filled from the batched prediction
  NetworkStats stats;
  if (needs_stats_) stats = ComputeStats(space_.Decode(genome));
  for (size_t i = 0; i < metrics_.size(); ++i) {
    const Metric::Kind kind = metrics_[i].kind;
    if (IsDeviceMetric(kind)) {
      scores->values[i] = cost_models_[i]->Cost(genome);
    } else if (kind != Metric::Kind::kAccuracy) {
      scores->values[i] = StatValue(stats, kind);
    }
  }
}

std::vector<const Scores*> Evaluator::Score(const std::vector<Genome>& genomes) {
  // The distinct networks not seen before, in order of first appearance.
  std::vector<Genome> canonical(genomes.size()), fresh;
  std::unordered_map<Genome, size_t, GenomeHash> fresh_index;
  for (size_t i = 0; i < genomes.size(); ++i) {
    canonical[i] = space_.Canonical(genomes[i]);
    if (!cache_.count(canonical[i]) && fresh_index.emplace(canonical[i], fresh.size()).second) {
      fresh.push_back(canonical[i]);
    }
  }
  std::vector<Scores> scored(fresh.size());
  tbb::parallel_for(size_t{0}, fresh.size(), [&](size_t i) { ComputeCosts(fresh[i], &scored[i]); });
  if (accuracy_index_ >= 0 && !fresh.empty()) {
    std::vector<AccuracyPrediction> predictions(fresh.size());
    predictor_->Predict(fresh.data(), fresh.size(), predictions.data());
    for (size_t i = 0; i < fresh.size(); ++i) {
      scored[i].values[accuracy_index_] = predictions[i].mean;
      scored[i].accuracy_spread = predictions[i].spread;
    }
  }
  for (size_t i = 0; i < fresh.size(); ++i) {
    for (const auto& [metric, c] : constraints_) {
      const double v = scored[i].values[metric];
      if ((c.min && v < *c.min) || (c.max && v > *c.max)) scored[i].feasible = false;
    }
    cache_.emplace(std::move(fresh[i]), std::move(scored[i]));
  }
  std::vector<const Scores*> out(genomes.size());
  for (size_t i = 0; i < genomes.size(); ++i) out[i] = &cache_.at(canonical[i]);
  return out;
}

double Evaluator::Fitness(const Scores& scores) const {
  if (!scores.feasible) return -std::numeric_limits<double>::infinity();
  const double v = scores.values[objective_index_];
  return recipe_.objectives.front().maximize ? v : -v;
}

}  // namespace edgenas
