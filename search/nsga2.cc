// NSGA-II (Deb et al. 2002, "A fast and elitist multiobjective genetic
// algorithm: NSGA-II"): binary tournaments on (front rank, crowding distance)
// pick the parents; parents and children together are sorted into fronts, and
// the best fronts, the last one cut by crowding distance, form the next population.
#include <algorithm>
#include <numeric>
#include <unordered_set>

#include "search/pareto.h"
#include "search/search_context.h"

namespace edgenas {

namespace {

class Nsga2 : public SearchStrategy {
 public:
  explicit Nsga2(const Options& options) : SearchStrategy(options) {}

  int NumGenerations() const override { return options_.generations; }

  // Fewer than population_size when parents and children held fewer distinct networks.
  bool IsValidPopulationSize(size_t size, int) const override {
    return size >= 1 && size <= static_cast<size_t>(options_.population_size);
  }

  void Step(SearchContext& context) const override {
    const Evaluator& evaluator = context.evaluator();
    std::vector<Candidate>& population = context.state().population;
    // Rank and crowding of the current population, for binary tournaments.
    std::vector<ObjectiveVector> points;
    for (const Candidate& c : population) points.push_back(evaluator.ObjectiveVector(*c.scores));
    std::vector<int> rank(points.size());
    std::vector<double> crowding(points.size());
    const std::vector<std::vector<int>> fronts = NonDominatedSort(points);
    for (size_t f = 0; f < fronts.size(); ++f) {
      const std::vector<double> d = CrowdingDistance(points, fronts[f]);
      for (size_t i = 0; i < fronts[f].size(); ++i) {
        rank[fronts[f][i]] = static_cast<int>(f);
        crowding[fronts[f][i]] = d[i];
      }
    }
    const auto tournament = [&]() -> const Candidate& {
      const size_t a = context.Pick(points.size());
      const size_t b = context.Pick(points.size());
      const bool a_wins = rank[a] != rank[b] ? rank[a] < rank[b] : crowding[a] >= crowding[b];
      return population[a_wins ? a : b];
    };
    const std::vector<Candidate> children = context.MakeChildren(tournament);
    population = NextPopulation(context, children);
  }

 private:
  // Parents and children, each network once, then the best fronts.
  std::vector<Candidate> NextPopulation(SearchContext& context, const std::vector<Candidate>& children) const {
    std::vector<Candidate> pool;
    std::unordered_set<const Scores*> seen;  // one Scores per distinct network
    const std::vector<Candidate>& parents = context.state().population;
    for (const std::vector<Candidate>* group : {&parents, &children}) {
      for (const Candidate& c : *group) {
        if (seen.insert(c.scores).second) pool.push_back(c);
      }
    }
    std::vector<ObjectiveVector> points;
    for (const Candidate& c : pool) points.push_back(context.evaluator().ObjectiveVector(*c.scores));
    const size_t size = static_cast<size_t>(options_.population_size);
    std::vector<Candidate> next;
    for (const std::vector<int>& front : NonDominatedSort(points)) {
      if (next.size() + front.size() <= size) {
        for (int i : front) next.push_back(pool[i]);
        continue;
      }
      const std::vector<double> d = CrowdingDistance(points, front);
      std::vector<size_t> order(front.size());
      std::iota(order.begin(), order.end(), size_t{0});
      std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return d[a] > d[b]; });
      for (size_t i = 0; next.size() < size; ++i) next.push_back(pool[front[order[i]]]);
      break;
    }
    return next;
  }
};

}  // namespace

std::unique_ptr<SearchStrategy> CreateNsga2(const SearchStrategy::Options& options) {
  return std::make_unique<Nsga2>(options);
}

}  // namespace edgenas
