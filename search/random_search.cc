// Random search, the baseline every other algorithm must beat: `evaluations`
// feasible networks sampled uniformly, population_size at a time.
#include <algorithm>

#include "search/search_context.h"

namespace edgenas {

namespace {

class RandomSearch : public SearchStrategy {
 public:
  explicit RandomSearch(const Options& options) : SearchStrategy(options) {}

  int NumGenerations() const override {
    return static_cast<int>((options_.evaluations + options_.population_size - 1) / options_.population_size);
  }

  void Initialize(SearchContext&) const override {}  // starts from nothing

  // Nothing before the first batch; then a batch and the best so far.
  bool IsValidPopulationSize(size_t size, int generation) const override {
    return generation == 0 ? size == 0 : size >= 1 && size <= static_cast<size_t>(options_.population_size) + 1;
  }

  void Step(SearchContext& context) const override {
    SearchState& state = context.state();
    const int64_t remaining = options_.evaluations - state.evaluations;
    std::vector<Candidate> batch;
    for (int64_t i = 0; i < std::min<int64_t>(options_.population_size, remaining); ++i) {
      batch.push_back(context.SampleFeasible());
    }
    context.Score(&batch);
    // The population holds the best so far (kept by the engine), then this batch.
    if (state.best) batch.insert(batch.begin(), *state.best);
    state.population = std::move(batch);
  }
};

}  // namespace

std::unique_ptr<SearchStrategy> CreateRandomSearch(const SearchStrategy::Options& options) {
  return std::make_unique<RandomSearch>(options);
}

}  // namespace edgenas
