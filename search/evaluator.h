// Scores candidates for a search: every metric its objectives and constraints
// name, through Scorers (space/scorer.h), for batches of genomes.
//
//   Candidate --CheckConstraints (cheap scorers, one genome)--> rejected, or kept
//   Candidate[n] --Score (every scorer, one batch)--> Scores, cached by canonical genome
//
// Cheap scorers (lookup tables, counting) are asked one genome at a time while
// candidates are made, so a child that breaks a cost constraint is remade
// before anything expensive runs. The other scorers (an accuracy predictor)
// run once per batch. A scored candidate carries its scores through the
// population: nothing is looked up, decoded or checked again. Each distinct network (canonical genome) is
// scored once. A network's scores depend on it alone, never on its batch or the
// thread count, so caching and threads change only the speed.
//
// Thread safety: Score and CheckConstraints are called from one thread (the
// search's); Score runs the scorers on the caller's TBB arena.
#pragma once

#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "space/scorer.h"
#include "space/search_space.h"

namespace edgenas {

struct Scores {
  std::vector<double> values;   // per Evaluator::metrics()
  std::vector<double> spreads;  // per metric; 0 where its scorer reports none
  bool feasible = true;         // every constraint holds
};

// A network in a search: its genome as made (not canonical: genes of unused
// blocks matter to later mutations) and, once scored, its scores.
struct Candidate {
  Genome genome;
  const Scores* scores = nullptr;  // owned by the Evaluator, valid for its life; null until scored
};

class Evaluator {
 public:
  // A metric the evaluator scores: its name and unit for reports
  // ("latency@note10", "ms") and its scorer (borrowed).
  struct Metric {
    std::string name;
    std::string unit;
    const Scorer* scorer = nullptr;
  };
  struct Objective {
    int metric = 0;  // index into metrics
    bool maximize = false;
  };
  // min <= value <= max; at least one bound is set.
  struct Constraint {
    int metric = 0;
    std::optional<double> min;
    std::optional<double> max;
    bool Holds(double value) const { return !(min && value < *min) && !(max && value > *max); }
  };
  struct Options {
    std::vector<Metric> metrics;
    std::vector<Objective> objectives;  // at least one; the first ranks single-objective searches
    std::vector<Constraint> constraints;

    // Names the first field that breaks a rule, with its value.
    bool IsValid(std::string* error) const;
  };

  // The space and the scorers are borrowed. Throws Error if !options.IsValid.
  Evaluator(const SearchSpace& space, Options options);

  const SearchSpace& space() const { return space_; }
  const std::vector<Metric>& metrics() const { return options_.metrics; }
  const std::vector<Objective>& objectives() const { return options_.objectives; }
  const std::vector<Constraint>& constraints() const { return options_.constraints; }

  // Checks the constraints whose scorers are cheap, in order, and stops at the
  // first broken one (its index into constraints() goes to `violated`, which
  // may be null). Nothing is cached: most genomes checked are never kept.
  bool CheckConstraints(const Genome& genome, int* violated = nullptr) const;
  // A cheap metric's value for one genome, computed directly (no cache).
  double CheapValue(const Genome& genome, int metric) const;

  // Sets each candidate's scores, scoring in one batch the networks not seen before.
  void Score(std::vector<Candidate>* candidates);
  // The scores of one genome (cached like the rest).
  const Scores& Score(const Genome& genome);

  // Single-objective fitness, larger is better: the first objective's value,
  // negated when minimised; -infinity when a constraint is broken.
  double Fitness(const Scores& scores) const;
  // The objectives as a vector to minimise (maximised ones negated); every
  // entry +infinity when a constraint is broken.
  std::vector<double> ObjectiveVector(const Scores& scores) const;
  // The metrics fronts and Pareto plots use: the objectives, then (for a
  // single objective) the first constraint's metric, if any.
  std::vector<int> FrontMetrics() const;
  // Whether a front metric is maximised: an objective's direction; for the
  // constraint's metric, whether the constraint is a lower bound.
  bool FrontMetricMaximized(size_t k) const;

  size_t distinct_networks_scored() const { return cache_.size(); }

 private:
  const Scores* ScoreBatch(const std::vector<Genome>& genomes, std::vector<const Scores*>* out);

  const SearchSpace& space_;
  Options options_;
  std::vector<int> cheap_metrics_;      // metrics whose scorer is cheap
  std::vector<int> batched_metrics_;    // the others
  std::unordered_map<Genome, Scores, GenomeHash> cache_;  // by canonical genome
};

}  // namespace edgenas
