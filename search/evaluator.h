// Scores candidates for one recipe: every metric its objectives and
// constraints name, for batches of genomes.
//
// Costs that need no predictor (lookup-table latency and energy, MACs, params,
// peak memory) are cheap and checked while candidates are made; accuracy comes
// from the predictor, one batched call per generation. Each distinct network
// (canonical genome) is scored once and cached. A network's scores depend on
// it alone, never on its batch or the thread count, so caching and threads
// change only the speed.
#pragma once

#include <memory>
#include <unordered_map>
#include <vector>

#include "predictors/accuracy_predictor.h"
#include "predictors/lut_cost_model.h"
#include "search/recipe.h"

namespace edgenas {

struct Scores {
  std::vector<double> values;  // per Evaluator::metrics()
  double accuracy_spread = 0;  // the predictor's ensemble spread, percent
  bool feasible = true;        // every constraint holds
};

class Evaluator {
 public:
  // Scores with what the recipe loaded (its search space, predictor and cost
  // models); the recipe is borrowed.
  explicit Evaluator(const Recipe& recipe);

  // The metrics scored: the objectives', then the constraints' and every
  // recipe device's latency (for reports), each once.
  const std::vector<Metric>& metrics() const { return metrics_; }
  int MetricIndex(const Metric& metric) const;  // -1 if not scored

  // Constraints on metrics other than accuracy; `violated` (may be null) gets
  // the first one broken.
  bool MeetsCostConstraints(const Genome& genome, int* violated = nullptr) const;
  // A metric other than accuracy, computed directly.
  double CostValue(const Genome& genome, int metric) const;

  // Scores of each genome, valid for the Evaluator's life.
  std::vector<const Scores*> Score(const std::vector<Genome>& genomes);
  const Scores& Score(const Genome& genome) { return *Score(std::vector<Genome>{genome})[0]; }

  // Single-objective fitness, larger is better: the objective's value, negated
  // when minimised; -infinity when a constraint is broken.
  double Fitness(const Scores& scores) const;
  size_t distinct_networks_scored() const { return cache_.size(); }
  const LutCostModel* cost_model(int metric) const { return cost_models_[metric]; }

 private:
  void ComputeCosts(const Genome& genome, Scores* scores) const;

  const SearchSpace& space_;
  const Recipe& recipe_;
  const AccuracyPredictor* predictor_;
  std::vector<Metric> metrics_;
  std::vector<const LutCostModel*> cost_models_;  // per metric; null unless a device metric
  std::vector<std::pair<int, Constraint>> constraints_;     // metric index, bounds
  int accuracy_index_ = -1;
  int objective_index_ = -1;  // the first objective's metric
  bool needs_stats_ = false;
  std::unordered_map<Genome, Scores, GenomeHash> cache_;  // by canonical genome
};

}  // namespace edgenas
