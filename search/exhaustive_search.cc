// Exhaustive search: every distinct network of the space that meets the cost
// constraints, scored, in one generation. For small spaces (NAS-Bench-Macro's
// 3,969 networks) and for checking the other algorithms against the optimum.
#include "common/error.h"
#include "search/search_context.h"

namespace edgenas {

namespace {

// Above this many genomes enumeration is refused rather than run for hours.
constexpr uint64_t kMaxGenomes = 10'000'000;

class ExhaustiveSearch : public SearchStrategy {
 public:
  explicit ExhaustiveSearch(const Options& options) : SearchStrategy(options) {}

  int NumGenerations() const override { return 1; }

  void Initialize(SearchContext&) const override {}  // starts from nothing

  // Saved only before its one generation.
  bool IsValidPopulationSize(size_t size, int generation) const override { return generation == 0 && size == 0; }

  void Step(SearchContext& context) const override {
    const SearchSpace& space = context.space();
    std::vector<Candidate> population;
    for (Genome& g : space.Enumerate(true, kMaxGenomes)) {
      if (context.evaluator().CheckConstraints(g)) population.push_back(Candidate{std::move(g)});
    }
    EDGENAS_THROW_IF_NOT_FMT(!population.empty(), "no network of space '{}' meets the constraints", space.name());
    context.state().evaluations = 0;
    context.Score(&population);
    context.state().population = std::move(population);
  }
};

}  // namespace

std::unique_ptr<SearchStrategy> CreateExhaustiveSearch(const SearchStrategy::Options& options) {
  return std::make_unique<ExhaustiveSearch>(options);
}

}  // namespace edgenas
