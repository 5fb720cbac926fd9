// Aging evolution (Real et al. 2019, "Regularized Evolution for Image
// Classifier Architecture Search"): a tournament of tournament_size picks each
// parent, its mutated child joins the population and the oldest member leaves.
#include <algorithm>

#include "search/search_context.h"

namespace edgenas {

namespace {

// Children made from the same population and scored together, as asynchronous
// workers would make them; a batch also keeps the accuracy predictor's tiles full.
constexpr int kChildrenPerBatch = 16;

class RegularizedEvolution : public SearchStrategy {
 public:
  explicit RegularizedEvolution(const Options& options) : SearchStrategy(options) {}

  int NumGenerations() const override { return options_.generations; }

  void Step(SearchContext& context) const override {
    const Evaluator& evaluator = context.evaluator();
    std::vector<Candidate>& population = context.state().population;
    for (int made = 0; made < options_.population_size; made += kChildrenPerBatch) {
      const int batch = std::min(kChildrenPerBatch, options_.population_size - made);
      std::vector<Candidate> children;
      for (int j = 0; j < batch; ++j) {
        size_t winner = context.Pick(population.size());
        for (int t = 1; t < options_.tournament_size; ++t) {
          const size_t c = context.Pick(population.size());
          if (evaluator.Fitness(*population[c].scores) > evaluator.Fitness(*population[winner].scores)) winner = c;
        }
        children.push_back(context.MutateFeasible(population[winner], options_.mutation_probability));
      }
      context.Score(&children);
      // The oldest leave: the population is kept in order of birth.
      population.erase(population.begin(), population.begin() + batch);
      population.insert(population.end(), children.begin(), children.end());
    }
    // The engine keeps the best so far: aging may drop it later.
  }
};

}  // namespace

std::unique_ptr<SearchStrategy> CreateRegularizedEvolution(const SearchStrategy::Options& options) {
  return std::make_unique<RegularizedEvolution>(options);
}

}  // namespace edgenas
