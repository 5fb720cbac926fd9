#include "search/search_engine.h"

#include <gtest/gtest.h>
#include <tbb/global_control.h>

#include <deque>

#include "search_test_util.h"
#include "test_util.h"

namespace edgenas {
namespace {

using testing::LinearScorer;

class SearchEngineTest : public ::testing::Test {
 protected:
  SearchEngineTest()
      : space_(testing::SmallSpace()),
        accuracy_(space_, {1.0, 0.25, 2.0}, false, 0.1),
        latency_(space_, {0.5, 1.0, 0.75}, true) {}

  Evaluator::Options EvaluatorOptions(int objectives, double budget) const {
    Evaluator::Options o;
    o.metrics = {{"accuracy", "%", &accuracy_}, {"latency", "ms", &latency_}};
    o.objectives = {{0, true}};
    if (objectives == 2) o.objectives.push_back({1, false});
    o.constraints = {{1, std::nullopt, budget}};
    return o;
  }
  static SearchEngine::Options Options(SearchAlgorithm algorithm) {
    SearchEngine::Options o;
    o.strategy = SearchStrategy::Options::ForAlgorithm(algorithm);
    o.strategy.population_size = 24;
    o.strategy.generations = 12;
    o.strategy.tournament_size = 6;
    o.seed = 11;
    return o;
  }
  // A search with a fresh evaluator, kept alive with the result's scores.
  SearchResult Run(SearchAlgorithm algorithm, int threads) {
    tbb::global_control control(tbb::global_control::max_allowed_parallelism, threads);
    evaluators_.emplace_back(space_, EvaluatorOptions(algorithm == SearchAlgorithm::kNsga2 ? 2 : 1, 12.0));
    return SearchEngine(space_, evaluators_.back(), Options(algorithm)).Run();
  }

  SearchSpace space_;
  LinearScorer accuracy_, latency_;
  std::deque<Evaluator> evaluators_;
};

void ExpectSameResult(const SearchResult& a, const SearchResult& b) {
  EXPECT_EQ(a.best.genome, b.best.genome);
  EXPECT_EQ(a.evaluations, b.evaluations);
  ASSERT_EQ(a.history.size(), b.history.size());
  for (size_t i = 0; i < a.history.size(); ++i) {
    EXPECT_EQ(a.history[i].best, b.history[i].best);  // bit for bit
    EXPECT_EQ(a.history[i].hypervolume, b.history[i].hypervolume);
  }
  ASSERT_EQ(a.population.size(), b.population.size());
  for (size_t i = 0; i < a.population.size(); ++i) EXPECT_EQ(a.population[i].genome, b.population[i].genome);
}

TEST_F(SearchEngineTest, SameResultOnOneOrTwoThreads) {
  for (SearchAlgorithm algorithm : {SearchAlgorithm::kConstrainedEvolution, SearchAlgorithm::kRegularizedEvolution,
                                    SearchAlgorithm::kNsga2}) {
    SCOPED_TRACE(SearchAlgorithmToString(algorithm));
    ExpectSameResult(Run(algorithm, 1), Run(algorithm, 2));
  }
}

// A search resumed from the state saved at a checkpoint ends exactly as the
// search that was never stopped.
TEST_F(SearchEngineTest, ResumedFromASavedStateEndsTheSame) {
  for (SearchAlgorithm algorithm : {SearchAlgorithm::kConstrainedEvolution, SearchAlgorithm::kRegularizedEvolution,
                                    SearchAlgorithm::kNsga2, SearchAlgorithm::kRandom}) {
    SCOPED_TRACE(SearchAlgorithmToString(algorithm));
    const int objectives = algorithm == SearchAlgorithm::kNsga2 ? 2 : 1;
    Evaluator whole_evaluator(space_, EvaluatorOptions(objectives, 12.0));
    SearchEngine::Options options = Options(algorithm);
    options.checkpoint_every = 5;
    std::vector<SearchState> saved;
    options.checkpoint = [&](const SearchState& state) { saved.push_back(state); };
    const SearchResult whole = SearchEngine(space_, whole_evaluator, options).Run();
    ASSERT_FALSE(saved.empty());
    EXPECT_EQ(saved.front().generation, 5);

    // A fresh evaluator, as in a new process; the saved candidates keep only their genomes.
    Evaluator evaluator(space_, EvaluatorOptions(objectives, 12.0));
    SearchState state = saved.front();
    for (Candidate& c : state.population) c.scores = nullptr;
    if (state.best) state.best->scores = nullptr;
    options.checkpoint = nullptr;
    const SearchResult resumed = SearchEngine(space_, evaluator, options).Resume(state);
    ExpectSameResult(whole, resumed);
    EXPECT_TRUE(resumed.resumed);
  }
}

TEST_F(SearchEngineTest, BestSoFarNeverGetsWorseAndMeetsTheBudget) {
  const SearchResult r = Run(SearchAlgorithm::kRegularizedEvolution, 2);
  ASSERT_EQ(r.history.size(), 12u);
  for (size_t i = 1; i < r.history.size(); ++i) EXPECT_GE(r.history[i].best, r.history[i - 1].best);
  EXPECT_EQ(r.history.back().best, r.best.scores->values[0]);
  EXPECT_LE(r.best.scores->values[1], 12.0);
  EXPECT_EQ(r.best.genome, space_.Canonical(r.best.genome));
  for (const Candidate& c : r.population) EXPECT_TRUE(c.scores->feasible);
}

// A budget only a handful of networks meet: uniform sampling fails, the walk
// from the cheapest network coordinate descent finds succeeds.
TEST_F(SearchEngineTest, RareButReachableBudgetIsMet) {
  Evaluator evaluator(space_, EvaluatorOptions(1, 0.5));
  SearchEngine::Options options = Options(SearchAlgorithm::kConstrainedEvolution);
  options.strategy.max_resample_tries = 50;
  const SearchResult r = SearchEngine(space_, evaluator, options).Run();
  ASSERT_FALSE(r.population.empty());
  for (const Candidate& c : r.population) EXPECT_LE(c.scores->values[1], 0.5);
}

TEST_F(SearchEngineTest, ImpossibleBudgetSaysWhatIsReachable) {
  Evaluator::Options o = EvaluatorOptions(1, 12.0);
  o.constraints = {{1, 1e6, std::nullopt}};  // latency >= 1e6: beyond the largest network
  Evaluator evaluator(space_, o);
  SearchEngine::Options options = Options(SearchAlgorithm::kConstrainedEvolution);
  options.strategy.max_resample_tries = 50;
  const std::string error = testing::ErrorOf([&] { SearchEngine(space_, evaluator, options).Run(); });
  EXPECT_EQ(error.rfind("no feasible network found in 50 random tries: 'latency >= 1e+06' is (nearly) out of reach. "
                        "The largest latency found in space 'small' is ",
                        0),
            0u)
      << error;
  EXPECT_NE(error.find(" ms (r64-k777.777.777-e666.666.666); relax the budget"), std::string::npos) << error;
}

TEST_F(SearchEngineTest, ObjectiveCountMustSuitTheAlgorithm) {
  Evaluator one(space_, EvaluatorOptions(1, 12.0)), two(space_, EvaluatorOptions(2, 12.0));
  EXPECT_EQ(testing::ErrorOf([&] { SearchEngine(space_, one, Options(SearchAlgorithm::kNsga2)); }),
            "nsga2 needs at least two objectives");
  EXPECT_EQ(testing::ErrorOf([&] { SearchEngine(space_, two, Options(SearchAlgorithm::kRandom)); }),
            "random optimises one objective, got 2");
}

TEST_F(SearchEngineTest, Nsga2FrontIsNonDominatedAndChosenFromIt) {
  const SearchResult r = Run(SearchAlgorithm::kNsga2, 2);
  ASSERT_FALSE(r.front.empty());
  EXPECT_GT(r.history.back().hypervolume, 0.0);
  bool chosen_on_front = false;
  for (const Candidate& c : r.front) {
    chosen_on_front |= c.genome == r.best.genome;
    EXPECT_LE(c.scores->values[0], r.best.scores->values[0]);  // the most accurate of the front
  }
  EXPECT_TRUE(chosen_on_front);
}

// A saved state is checked before anything uses it: an empty population or
// objective ranges of the wrong length once crashed the resumed search.
TEST_F(SearchEngineTest, RefusesAStateItCouldNotHaveSaved) {
  Evaluator evaluator(space_, EvaluatorOptions(2, 12.0));
  SearchEngine::Options options = Options(SearchAlgorithm::kNsga2);
  options.checkpoint_every = 4;
  std::vector<SearchState> saved;
  options.checkpoint = [&](const SearchState& state) { saved.push_back(state); };
  SearchEngine engine(space_, evaluator, options);
  engine.Run();
  ASSERT_FALSE(saved.empty());
  std::string error;
  EXPECT_TRUE(engine.CheckState(saved[0], &error)) << error;

  SearchState empty = saved[0];
  empty.population.clear();
  EXPECT_FALSE(engine.CheckState(empty, &error));
  EXPECT_EQ(error, "a population of 0 after 4 generations does not fit nsga2 with population_size 24");
  EXPECT_EQ(testing::ErrorOf([&] { engine.Resume(empty); }),
            "the saved search state does not fit this search: " + error);

  SearchState ranges = saved[0];
  ranges.objective_low.pop_back();
  EXPECT_FALSE(engine.CheckState(ranges, &error));
  EXPECT_EQ(error, "objective ranges of 1 and 2 values for 2 objectives");

  SearchState late = saved[0];
  late.generation = 99;
  EXPECT_FALSE(engine.CheckState(late, &error));
  EXPECT_EQ(error, "generation 99 is outside the search's 0..12");
}

}  // namespace
}  // namespace edgenas
