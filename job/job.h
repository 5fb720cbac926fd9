// A job: what a recipe names, loaded and wired together. The one place that
// turns a Recipe into concrete objects, used by `search`, `recipe check` and
// the stages that follow the search (train, quantize, export, verify).
//
//   Recipe --Job--> SearchSpace (restricted to the recipe's resolutions)
//                   Scorer per metric: LutCostModel (latency@d, energy@d),
//                     CountedMetricScorer (macs, params, peak_memory),
//                     AccuracyPredictor (accuracy)
//                   warnings (table entries estimated rather than read)
//              --> Evaluator::Options and SearchEngine::Options for the search
//
// Every fault found while loading (a device that cannot cost the space, a
// predictor made for another space) is an Error at the recipe line that named
// the thing. Loading is done once: the job owns what it loaded, and
// evaluators made from it borrow it, so the job must outlive them.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "job/recipe.h"
#include "search/evaluator.h"
#include "search/search_engine.h"

namespace edgenas {

class AccuracyPredictor;
class LutCostModel;

class Job {
 public:
  explicit Job(Recipe recipe);
  ~Job();
  Job(const Job&) = delete;
  Job& operator=(const Job&) = delete;

  const Recipe& recipe() const { return recipe_; }
  // The recipe's space restricted to its resolutions: what the search samples.
  const SearchSpace& space() const { return *space_; }
  // What the user should know before trusting the results, one line each.
  const std::vector<std::string>& warnings() const { return warnings_; }

  // The metrics scored, in Evaluator order: the objectives', then the
  // constraints', then each device's latency (reports show it), each once.
  const std::vector<Metric>& metrics() const { return metrics_; }
  // What the search's Evaluator needs: the metrics with their scorers, the
  // objectives and the constraints.
  Evaluator::Options EvaluatorOptions() const;
  // The search's options, without callbacks.
  SearchEngine::Options SearchOptions() const;

  // The lookup-table cost model behind a device metric (for per-layer
  // breakdowns), or null for other metrics.
  const LutCostModel* CostModel(const Metric& metric) const;
  // Each device metric's cost model, by Metric::ToString().
  const std::map<std::string, std::unique_ptr<LutCostModel>>& cost_models() const { return cost_models_; }
  // Null when the recipe names no predictor.
  const AccuracyPredictor* predictor() const { return predictor_.get(); }

 private:
  void LoadSpace();
  void CompileDeviceMetrics();
  void LoadPredictor();
  void MakeScorers();

  Recipe recipe_;
  std::unique_ptr<const SearchSpace> space_;
  std::map<std::string, std::unique_ptr<LutCostModel>> cost_models_;
  std::shared_ptr<const AccuracyPredictor> predictor_;
  std::vector<std::unique_ptr<Scorer>> counted_scorers_;
  std::vector<Metric> metrics_;
  std::vector<const Scorer*> scorers_;  // parallel to metrics_
  std::vector<std::string> warnings_;
};

}  // namespace edgenas
