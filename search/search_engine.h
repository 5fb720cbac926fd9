// The evolutionary search: runs a recipe's algorithm over its space, scoring
// candidates with an Evaluator, checkpointing as it goes.
//
// Algorithms (docs/search.md):
//  - constrained_evolution: Once-for-All's search. Keep the best parent_ratio
//    of the population, make mutation_ratio of the children by mutating a
//    random parent and the rest by uniform crossover of two; children that
//    break a cost constraint are remade, up to max_resample_tries times.
//  - regularized_evolution: aging evolution (Real et al. 2019). Tournaments of
//    tournament_size pick the parent, the child replaces the oldest member.
//    Children are made and scored in batches of 32 from the same population,
//    like asynchronous workers.
//  - nsga2: non-dominated sorting with crowding distance over all objectives.
//  - random and exhaustive: baselines.
//
// Determinism: every random choice comes from one Rng, in a fixed order, and
// scores do not depend on threads or batches (evaluator.h). The same recipe
// and seed give the same results with any thread count, and a run resumed
// from a checkpoint continues exactly as if never stopped.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "search/evaluator.h"

namespace edgenas {

struct SearchProgress {
  int generation = 0;
  int generations = 0;
  std::string best;  // e.g. "accuracy 81.79 %" or "front 37, hypervolume 0.412"
  double elapsed_seconds = 0;
};

struct HistoryRow {
  int generation = 0;
  int64_t evaluations = 0;  // candidates scored so far (with repeats)
  double best = 0;          // single objective: best objective value so far
  double mean = 0;          // single objective: mean objective value of the population
  double hypervolume = 0;   // nsga2: of the population's first front (normalised objectives)
  int front_size = 0;       // nsga2
};

struct SearchResult {
  Genome best;                          // the chosen network
  std::vector<Genome> population;       // the final population (feasible members)
  std::vector<Genome> front;            // non-dominated networks of the population
  std::vector<HistoryRow> history;      // one row per generation
  int64_t evaluations = 0;
  int generations = 0;
  double wall_seconds = 0;              // over every run of the job, resumes included
  bool resumed = false;
};

struct SearchOptions {
  std::string output_dir;     // checkpoint.json goes here
  int checkpoint_every = 50;  // generations; 0 = never
  std::function<void(const SearchProgress&)> progress;  // after each generation; may be empty
};

// The recipe the interrupted job in `folder` (a results folder) was started
// from. Throws Error if there is no checkpoint to resume.
std::string CheckpointRecipe(const std::string& folder);

class SearchEngine {
 public:
  // `space` is the recipe's space restricted to its resolutions; everything is borrowed.
  SearchEngine(const Recipe& recipe, const SearchSpace& space, Evaluator& evaluator, SearchOptions options);

  // Runs the whole search, or continues it from output_dir/checkpoint.json.
  // Throws Error when the constraints cannot be met, saying by how much.
  SearchResult Run(bool resume);

  // The objective vector NSGA-II minimises, and the two metrics pareto plots
  // and fronts use: objectives, then (single-objective recipes) the first
  // constraint's metric.
  std::vector<int> FrontMetrics() const;

 private:
  struct State;
  int TotalGenerations() const;
  Genome SampleFeasible(State& s) const;
  Genome MutateFeasible(State& s, const Genome& parent, double probability) const;
  Genome CrossoverFeasible(State& s, const Genome& a, const Genome& b) const;
  std::vector<Genome> MakeChildren(State& s, const std::function<const Genome&()>& pick);
  [[noreturn]] void ExplainInfeasible(int violated) const;
  std::vector<double> ObjectiveVector(const Scores& scores) const;

  void Initialize(State& s);
  void Step(State& s);
  void StepConstrained(State& s);
  void StepRegularized(State& s);
  void StepNsga2(State& s);
  void StepRandom(State& s);
  void RecordHistory(State& s);
  void SaveCheckpoint(const State& s) const;
  void LoadCheckpoint(State& s) const;
  SearchResult Finish(State& s);

  const Recipe& recipe_;
  const SearchSpace& space_;
  Evaluator& evaluator_;
  SearchOptions options_;
  std::string recipe_fingerprint_;
};

}  // namespace edgenas
