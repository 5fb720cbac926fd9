// How a search makes each generation: one algorithm per file, behind one
// interface, made by one factory (like Ceres's TrustRegionStrategy::Create).
//
//   SearchEngine (the loop, checkpoints, the final choice)
//     -> SearchStrategy::Initialize / Step (a generation)
//          -> SearchContext (feasible sampling, mutation, crossover; scoring)
//
// Algorithms (docs/search.md):
//  - constrained_evolution: Once-for-All's search. Keep the best parent_ratio
//    of the population, make mutation_ratio of the children by mutating a
//    random parent and the rest by uniform crossover of two; children that
//    break a cost constraint are remade, up to max_resample_tries times.
//  - regularized_evolution: aging evolution (Real et al. 2019, "Regularized
//    Evolution for Image Classifier Architecture Search"). Tournaments of
//    tournament_size pick the parent, the child replaces the oldest member.
//  - nsga2: non-dominated sorting with crowding distance over all objectives
//    (Deb et al. 2002, "A fast and elitist multiobjective genetic algorithm: NSGA-II").
//  - random and exhaustive: baselines.
//
// How to add an algorithm: write <name>.cc with a class deriving from
// SearchStrategy and a factory function, add a SearchAlgorithm value, and add
// one line to the registry in search_strategy.cc naming the options it reads.
// Strategies keep no state of their own between generations: everything a
// checkpoint must hold is in SearchState.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "space/search_space.h"

namespace edgenas {

class SearchContext;

// NSGA-II's non-dominated sort keeps a list of dominated members per member:
// memory grows with the square of the population. Above this it is refused.
constexpr int kMaxMultiObjectivePopulation = 5000;
// Sampled networks at most (random search): enough for any space worth sampling.
constexpr int64_t kMaxEvaluations = 1'000'000'000;

enum class SearchAlgorithm { kConstrainedEvolution, kRegularizedEvolution, kNsga2, kRandom, kExhaustive };
const char* SearchAlgorithmToString(SearchAlgorithm algorithm);
// False if `name` names no algorithm.
bool StringToSearchAlgorithm(const std::string& name, SearchAlgorithm* algorithm);
// Every algorithm's name, in registry order.
std::vector<std::string> SearchAlgorithmNames();

class SearchStrategy {
 public:
  struct Options {
    SearchAlgorithm algorithm = SearchAlgorithm::kConstrainedEvolution;
    int population_size = 100;          // networks per generation, >= 2 (nsga2: <= kMaxMultiObjectivePopulation)
    int generations = 500;              // evolutionary algorithms, >= 1
    double parent_ratio = 0.25;         // constrained_evolution, nsga2: share of the population kept as parents, (0, 1]
    double mutation_ratio = 0.5;        // constrained_evolution, nsga2: share of children made by mutation, [0, 1]
    double mutation_probability = 0.1;  // per gene (or block, by `mutation`), [0, 1]
    MutationScope mutation = MutationScope::kPerGene;  // evolutionary algorithms: what a mutation draw resamples
    int tournament_size = 25;           // regularized_evolution: candidates per tournament, 2..population_size
    int max_resample_tries = 500;       // tries to make a child that meets the cost constraints, >= 1
    int64_t evaluations = 10000;        // random: networks to sample, 1..kMaxEvaluations

    // The defaults for `algorithm` (regularized_evolution mutates with
    // probability 0.05, as Real et al. do).
    static Options ForAlgorithm(SearchAlgorithm algorithm);
    // Names the first field that breaks a rule, with its value:
    // "SearchStrategy::Options::population_size = 1. Violated constraint: population_size >= 2".
    bool IsValid(std::string* error) const;
  };

  // The strategy for options.algorithm. Throws Error if !options.IsValid.
  static std::unique_ptr<SearchStrategy> Create(const Options& options);
  // Whether `algorithm` reads the option named `option` (a field name of
  // Options), so a recipe can reject options that would be ignored.
  static bool UsesOption(SearchAlgorithm algorithm, const std::string& option);
  // Whether `algorithm` optimises several objectives (else exactly one).
  static bool IsMultiObjective(SearchAlgorithm algorithm);

  virtual ~SearchStrategy() = default;

  // Generations the search runs.
  virtual int NumGenerations() const = 0;
  // Makes the first population. Default: population_size feasible random networks, scored.
  virtual void Initialize(SearchContext& context) const;
  // Makes the next generation's population (context.state().population), scored.
  virtual void Step(SearchContext& context) const = 0;
  // Whether a population of `size` can follow `generation` generations (to
  // check a saved state before resuming from it). Default: population_size.
  virtual bool IsValidPopulationSize(size_t size, int generation) const;

 protected:
  explicit SearchStrategy(const Options& options) : options_(options) {}
  const Options options_;
};

}  // namespace edgenas
