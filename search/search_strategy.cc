#include "search/search_strategy.h"

#include <fmt/format.h>

#include <algorithm>

#include "common/error.h"
#include "search/search_context.h"

namespace edgenas {

// Each algorithm's factory, defined in its own file.
std::unique_ptr<SearchStrategy> CreateConstrainedEvolution(const SearchStrategy::Options& options);
std::unique_ptr<SearchStrategy> CreateRegularizedEvolution(const SearchStrategy::Options& options);
std::unique_ptr<SearchStrategy> CreateNsga2(const SearchStrategy::Options& options);
std::unique_ptr<SearchStrategy> CreateRandomSearch(const SearchStrategy::Options& options);
std::unique_ptr<SearchStrategy> CreateExhaustiveSearch(const SearchStrategy::Options& options);

namespace {

struct Registration {
  SearchAlgorithm algorithm;
  const char* name;
  std::unique_ptr<SearchStrategy> (*create)(const SearchStrategy::Options&);
  bool multi_objective;
  std::vector<std::string> options;  // the Options fields it reads (besides algorithm)
};

const std::vector<Registration>& Registry() {
  using A = SearchAlgorithm;
  static const std::vector<Registration> registry = {
      {A::kConstrainedEvolution, "constrained_evolution", CreateConstrainedEvolution, false,
       {"population_size", "generations", "parent_ratio", "mutation_ratio", "mutation_probability", "mutation",
        "max_resample_tries"}},
      {A::kRegularizedEvolution, "regularized_evolution", CreateRegularizedEvolution, false,
       {"population_size", "generations", "mutation_probability", "mutation", "tournament_size"}},
      {A::kNsga2, "nsga2", CreateNsga2, true,
       {"population_size", "generations", "parent_ratio", "mutation_ratio", "mutation_probability", "mutation"}},
      {A::kRandom, "random", CreateRandomSearch, false, {"evaluations"}},
      {A::kExhaustive, "exhaustive", CreateExhaustiveSearch, false, {}},
  };
  return registry;
}

const Registration& Find(SearchAlgorithm algorithm) {
  for (const Registration& r : Registry()) {
    if (r.algorithm == algorithm) return r;
  }
  EDGENAS_ASSERT(false && "search algorithm missing from the registry");
  return Registry().front();
}

}  // namespace

const char* SearchAlgorithmToString(SearchAlgorithm algorithm) { return Find(algorithm).name; }

bool StringToSearchAlgorithm(const std::string& name, SearchAlgorithm* algorithm) {
  for (const Registration& r : Registry()) {
    if (name == r.name) {
      *algorithm = r.algorithm;
      return true;
    }
  }
  return false;
}

std::vector<std::string> SearchAlgorithmNames() {
  std::vector<std::string> names;
  for (const Registration& r : Registry()) names.push_back(r.name);
  return names;
}

SearchStrategy::Options SearchStrategy::Options::ForAlgorithm(SearchAlgorithm algorithm) {
  Options o;
  o.algorithm = algorithm;
  if (algorithm == SearchAlgorithm::kRegularizedEvolution) o.mutation_probability = 0.05;
  return o;
}

bool SearchStrategy::Options::IsValid(std::string* error) const {
  const auto fail = [&](const char* field, auto value, const std::string& rule) {
    *error = fmt::format("SearchStrategy::Options::{} = {}. Violated constraint: {}", field, value, rule);
    return false;
  };
  if (population_size < 2) return fail("population_size", population_size, "population_size >= 2");
  if (generations < 1) return fail("generations", generations, "generations >= 1");
  if (!(parent_ratio > 0 && parent_ratio <= 1)) return fail("parent_ratio", parent_ratio, "0 < parent_ratio <= 1");
  if (!(mutation_ratio >= 0 && mutation_ratio <= 1)) return fail("mutation_ratio", mutation_ratio, "0 <= mutation_ratio <= 1");
  if (!(mutation_probability >= 0 && mutation_probability <= 1)) {
    return fail("mutation_probability", mutation_probability, "0 <= mutation_probability <= 1");
  }
  if (algorithm == SearchAlgorithm::kRegularizedEvolution &&
      (tournament_size < 2 || tournament_size > population_size)) {
    return fail("tournament_size", tournament_size, fmt::format("2 <= tournament_size <= population_size ({})", population_size));
  }
  if ((algorithm == SearchAlgorithm::kConstrainedEvolution || algorithm == SearchAlgorithm::kNsga2) &&
      static_cast<int>(parent_ratio * population_size) < 1) {
    return fail("parent_ratio", parent_ratio,
                fmt::format("parent_ratio * population_size ({}) >= 1: at least one parent", population_size));
  }
  if (max_resample_tries < 1) return fail("max_resample_tries", max_resample_tries, "max_resample_tries >= 1");
  if (evaluations < 1 || evaluations > kMaxEvaluations) {
    return fail("evaluations", evaluations, fmt::format("1 <= evaluations <= {}", kMaxEvaluations));
  }
  if (IsMultiObjective(algorithm) && population_size > kMaxMultiObjectivePopulation) {
    return fail("population_size", population_size,
                fmt::format("population_size <= {} for {}", kMaxMultiObjectivePopulation, SearchAlgorithmToString(algorithm)));
  }
  return true;
}

std::unique_ptr<SearchStrategy> SearchStrategy::Create(const Options& options) {
  std::string error;
  EDGENAS_THROW_IF_NOT_FMT(options.IsValid(&error), "{}", error);
  return Find(options.algorithm).create(options);
}

bool SearchStrategy::UsesOption(SearchAlgorithm algorithm, const std::string& option) {
  const std::vector<std::string>& options = Find(algorithm).options;
  return std::find(options.begin(), options.end(), option) != options.end();
}

bool SearchStrategy::IsMultiObjective(SearchAlgorithm algorithm) { return Find(algorithm).multi_objective; }

bool SearchStrategy::IsValidPopulationSize(size_t size, int) const {
  return size == static_cast<size_t>(options_.population_size);
}

void SearchStrategy::Initialize(SearchContext& context) const {
  std::vector<Candidate> population;
  for (int i = 0; i < options_.population_size; ++i) population.push_back(context.SampleFeasible());
  context.Score(&population);
  context.state().population = std::move(population);
}

}  // namespace edgenas
