// What a SearchStrategy works with during a generation: the space, the
// evaluator, the options and the state, and the ways to make candidates that
// meet the cost constraints (shared by every algorithm, so feasibility is
// handled in one place).
#pragma once

#include <functional>
#include <optional>
#include <vector>

#include "search/search_state.h"
#include "search/search_strategy.h"

namespace edgenas {

class SearchContext {
 public:
  // Everything is borrowed.
  SearchContext(const SearchSpace& space, Evaluator& evaluator, const SearchStrategy::Options& options,
                SearchState& state)
      : space_(space), evaluator_(evaluator), options_(options), state_(state) {}

  const SearchSpace& space() const { return space_; }
  Evaluator& evaluator() { return evaluator_; }
  const SearchStrategy::Options& options() const { return options_; }
  SearchState& state() { return state_; }
  Rng& rng() { return state_.rng; }

  // A random network that meets the cost constraints: uniformly sampled, or,
  // when max_resample_tries uniform samples all break a constraint, a random
  // walk within budget from the network coordinate descent finds cheapest for
  // it. Throws Error, saying how close the space comes, when even that network
  // breaks the constraints.
  Candidate SampleFeasible();
  // The parent mutated until the child meets the cost constraints; after
  // max_resample_tries failures, the parent itself (it is feasible).
  Candidate MutateFeasible(const Candidate& parent, double probability);
  // Uniform crossover of a and b, remade likewise; after max_resample_tries failures, a.
  Candidate CrossoverFeasible(const Candidate& a, const Candidate& b);
  // population_size children, scored: mutation_ratio of them mutate a parent
  // from `pick`, the others cross two.
  std::vector<Candidate> MakeChildren(const std::function<const Candidate&()>& pick);

  // Scores the candidates and counts them as evaluations.
  void Score(std::vector<Candidate>* candidates);
  // A uniformly random index below n.
  size_t Pick(size_t n) { return state_.rng.UniformInt(static_cast<uint32_t>(n)); }

 private:
  Genome DescendTowards(int constraint) const;
  [[noreturn]] void ExplainInfeasible(int violated, const Genome& closest) const;

  const SearchSpace& space_;
  Evaluator& evaluator_;
  const SearchStrategy::Options& options_;
  SearchState& state_;
  std::optional<Candidate> walker_;  // the last sample of the walk within budget, once uniform sampling failed
};

}  // namespace edgenas
