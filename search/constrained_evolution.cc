// Once-for-All's evolutionary search (Cai et al. 2020, "Once-for-All: Train One
// Network and Specialize it for Efficient Deployment", and its tutorial's
// EvolutionFinder): keep the fittest parent_ratio of the population, refill it
// with children by mutation and crossover that meet the cost constraints.
#include <algorithm>
#include <cmath>
#include <numeric>

#include "search/search_context.h"

namespace edgenas {

namespace {

class ConstrainedEvolution : public SearchStrategy {
 public:
  explicit ConstrainedEvolution(const Options& options) : SearchStrategy(options) {}

  int NumGenerations() const override { return options_.generations; }

  // The first population, then the parents and their children.
  bool IsValidPopulationSize(size_t size, int generation) const override {
    const size_t n = static_cast<size_t>(options_.population_size);
    return size == (generation == 0 ? n : n + static_cast<size_t>(NumParents()));
  }

  void Step(SearchContext& context) const override {
    const Evaluator& evaluator = context.evaluator();
    std::vector<Candidate>& population = context.state().population;
    const int parents_size = NumParents();
    std::vector<size_t> order(population.size());
    std::iota(order.begin(), order.end(), size_t{0});
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
      return evaluator.Fitness(*population[a].scores) > evaluator.Fitness(*population[b].scores);
    });
    std::vector<Candidate> parents;
    for (int i = 0; i < std::min<int>(parents_size, static_cast<int>(order.size())); ++i) {
      parents.push_back(population[order[i]]);
    }
    std::vector<Candidate> children =
        context.MakeChildren([&]() -> const Candidate& { return parents[context.Pick(parents.size())]; });
    population = std::move(parents);
    population.insert(population.end(), children.begin(), children.end());
  }

 private:
  int NumParents() const {
    return std::max(1, static_cast<int>(std::lround(options_.parent_ratio * options_.population_size)));
  }
};

}  // namespace

std::unique_ptr<SearchStrategy> CreateConstrainedEvolution(const SearchStrategy::Options& options) {
  return std::make_unique<ConstrainedEvolution>(options);
}

}  // namespace edgenas
