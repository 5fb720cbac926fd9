#include "search/search_strategy.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "search/pareto.h"
#include "search/search_context.h"
#include "search_test_util.h"
#include "test_util.h"

namespace edgenas {
namespace {

using testing::LinearScorer;

TEST(SearchStrategyOptions, DefaultsAreValidForEveryAlgorithm) {
  for (const std::string& name : SearchAlgorithmNames()) {
    SCOPED_TRACE(name);
    SearchAlgorithm algorithm;
    ASSERT_TRUE(StringToSearchAlgorithm(name, &algorithm));
    EXPECT_EQ(SearchAlgorithmToString(algorithm), name);
    std::string error;
    EXPECT_TRUE(SearchStrategy::Options::ForAlgorithm(algorithm).IsValid(&error)) << error;
    EXPECT_NE(SearchStrategy::Create(SearchStrategy::Options::ForAlgorithm(algorithm)), nullptr);
  }
  EXPECT_DOUBLE_EQ(SearchStrategy::Options::ForAlgorithm(SearchAlgorithm::kRegularizedEvolution).mutation_probability,
                   0.05);
}

TEST(SearchStrategyOptions, NameTheBrokenFieldAndRule) {
  SearchStrategy::Options o;
  o.population_size = 1;
  std::string error;
  EXPECT_FALSE(o.IsValid(&error));
  EXPECT_EQ(error, "SearchStrategy::Options::population_size = 1. Violated constraint: population_size >= 2");
  o = SearchStrategy::Options::ForAlgorithm(SearchAlgorithm::kRegularizedEvolution);
  o.tournament_size = 200;
  EXPECT_FALSE(o.IsValid(&error));
  EXPECT_EQ(error, "SearchStrategy::Options::tournament_size = 200. Violated constraint: 2 <= tournament_size <= "
                   "population_size (100)");
  EXPECT_EQ(testing::ErrorOf([&] { SearchStrategy::Create(o); }), error);
}

TEST(SearchStrategyOptions, EachAlgorithmDeclaresTheOptionsItReads) {
  EXPECT_TRUE(SearchStrategy::UsesOption(SearchAlgorithm::kRegularizedEvolution, "tournament_size"));
  EXPECT_FALSE(SearchStrategy::UsesOption(SearchAlgorithm::kConstrainedEvolution, "tournament_size"));
  EXPECT_TRUE(SearchStrategy::UsesOption(SearchAlgorithm::kRandom, "evaluations"));
  EXPECT_FALSE(SearchStrategy::UsesOption(SearchAlgorithm::kExhaustive, "population_size"));
  EXPECT_TRUE(SearchStrategy::IsMultiObjective(SearchAlgorithm::kNsga2));
  EXPECT_FALSE(SearchStrategy::IsMultiObjective(SearchAlgorithm::kConstrainedEvolution));
}

// One strategy driven generation by generation on a fake accuracy (batched)
// and a fake latency (cheap) bounded by a budget.
class StrategyTest : public ::testing::Test {
 protected:
  StrategyTest()
      : space_(testing::SmallSpace()),
        accuracy_(space_, {1.0, 0.25, 2.0}, false),
        latency_(space_, {0.5, 1.0, 0.75}, true) {}

  Evaluator MakeEvaluator(int objectives) {
    Evaluator::Options o;
    o.metrics = {{"accuracy", "%", &accuracy_}, {"latency", "ms", &latency_}};
    o.objectives = {{0, true}};
    if (objectives == 2) o.objectives.push_back({1, false});
    o.constraints = {{1, std::nullopt, kBudget}};
    return Evaluator(space_, o);
  }
  static SearchStrategy::Options Small(SearchAlgorithm algorithm) {
    SearchStrategy::Options o = SearchStrategy::Options::ForAlgorithm(algorithm);
    o.population_size = 20;
    o.generations = 5;
    o.tournament_size = 5;
    o.evaluations = 50;
    return o;
  }

  static constexpr double kBudget = 12.0;
  SearchSpace space_;
  LinearScorer accuracy_, latency_;
};

TEST_F(StrategyTest, ConstrainedEvolutionKeepsTheFittestParents) {
  Evaluator evaluator = MakeEvaluator(1);
  const SearchStrategy::Options o = Small(SearchAlgorithm::kConstrainedEvolution);
  const auto strategy = SearchStrategy::Create(o);
  SearchState state;
  state.rng = Rng(1);
  SearchContext context(space_, evaluator, o, state);
  strategy->Initialize(context);
  ASSERT_EQ(state.population.size(), 20u);
  EXPECT_EQ(state.evaluations, 20);
  double best = -INFINITY;
  for (const Candidate& c : state.population) best = std::max(best, evaluator.Fitness(*c.scores));
  for (int generation = 0; generation < o.generations; ++generation) {
    strategy->Step(context);
    ASSERT_EQ(state.population.size(), 25u);  // 5 parents + 20 children
    double now = -INFINITY;
    for (const Candidate& c : state.population) {
      ASSERT_NE(c.scores, nullptr);
      EXPECT_LE(c.scores->values[1], kBudget);  // children meet the cost constraint
      now = std::max(now, evaluator.Fitness(*c.scores));
    }
    EXPECT_GE(now, best);  // the parents survive
    best = now;
  }
  EXPECT_EQ(state.evaluations, 20 + 5 * 20);
}

// Without mutation, children are copies of tournament winners: the next
// population holds only members of the first, fitter on average.
TEST_F(StrategyTest, RegularizedEvolutionCopiesTournamentWinners) {
  Evaluator evaluator = MakeEvaluator(1);
  SearchStrategy::Options o = Small(SearchAlgorithm::kRegularizedEvolution);
  o.mutation_probability = 0;
  const auto strategy = SearchStrategy::Create(o);
  SearchState state;
  state.rng = Rng(2);
  SearchContext context(space_, evaluator, o, state);
  strategy->Initialize(context);
  const std::vector<Candidate> first = state.population;
  const auto mean_fitness = [&](const std::vector<Candidate>& population) {
    double sum = 0;
    for (const Candidate& c : population) sum += evaluator.Fitness(*c.scores);
    return sum / population.size();
  };
  strategy->Step(context);
  ASSERT_EQ(state.population.size(), 20u);
  EXPECT_EQ(state.evaluations, 40);
  for (const Candidate& c : state.population) {
    EXPECT_TRUE(std::any_of(first.begin(), first.end(), [&](const Candidate& f) { return f.genome == c.genome; }));
  }
  EXPECT_GT(mean_fitness(state.population), mean_fitness(first));
}

TEST_F(StrategyTest, Nsga2KeepsThePopulationSizeAndItsFrontImproves) {
  Evaluator evaluator = MakeEvaluator(2);
  const SearchStrategy::Options o = Small(SearchAlgorithm::kNsga2);
  const auto strategy = SearchStrategy::Create(o);
  SearchState state;
  state.rng = Rng(3);
  SearchContext context(space_, evaluator, o, state);
  strategy->Initialize(context);
  for (int generation = 0; generation < o.generations; ++generation) {
    const std::vector<Candidate> before = state.population;
    strategy->Step(context);
    ASSERT_EQ(state.population.size(), 20u);
    // No member of the old population dominates every member of the new one's first front (elitism).
    std::vector<ObjectiveVector> points;
    for (const Candidate& c : state.population) points.push_back(evaluator.ObjectiveVector(*c.scores));
    const std::vector<int> front = NonDominatedSort(points)[0];
    for (const Candidate& old : before) {
      const ObjectiveVector p = evaluator.ObjectiveVector(*old.scores);
      for (int i : front) EXPECT_FALSE(Dominates(p, points[i]));
    }
  }
}

TEST_F(StrategyTest, RandomSearchSamplesExactlyItsEvaluations) {
  Evaluator evaluator = MakeEvaluator(1);
  const SearchStrategy::Options o = Small(SearchAlgorithm::kRandom);
  const auto strategy = SearchStrategy::Create(o);
  EXPECT_EQ(strategy->NumGenerations(), 3);  // 50 in batches of 20
  SearchState state;
  SearchContext context(space_, evaluator, o, state);
  strategy->Initialize(context);
  EXPECT_TRUE(state.population.empty());
  for (int g = 0; g < strategy->NumGenerations(); ++g) strategy->Step(context);
  EXPECT_EQ(state.evaluations, 50);
  EXPECT_EQ(state.population.size(), 10u);  // the last batch
}

// Exhaustive search keeps exactly the networks within budget; on a space
// small enough to enumerate, that is checked against a brute-force count.
TEST_F(StrategyTest, ExhaustiveSearchKeepsEveryNetworkWithinBudget) {
  SpaceSpec spec = space_.spec();
  spec.stages.resize(1);
  const SearchSpace tiny(spec);
  LinearScorer accuracy(tiny, {1.0}, false), latency(tiny, {1.0, 0.5}, true);
  Evaluator::Options eo;
  eo.metrics = {{"accuracy", "%", &accuracy}, {"latency", "ms", &latency}};
  eo.objectives = {{0, true}};
  eo.constraints = {{1, std::nullopt, 4.0}};
  Evaluator evaluator(tiny, eo);
  const SearchStrategy::Options o = Small(SearchAlgorithm::kExhaustive);
  const auto strategy = SearchStrategy::Create(o);
  SearchState state;
  SearchContext context(tiny, evaluator, o, state);
  strategy->Step(context);
  size_t within = 0;
  for (const Genome& g : tiny.Enumerate(true, 1'000'000)) within += latency.Value(g) <= 4.0;
  EXPECT_GT(within, 0u);
  EXPECT_EQ(state.population.size(), within);
  EXPECT_EQ(state.evaluations, static_cast<int64_t>(within));
}

}  // namespace
}  // namespace edgenas
