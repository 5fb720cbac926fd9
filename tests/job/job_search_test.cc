#include "job/job.h"

#include <gtest/gtest.h>
#include <tbb/global_control.h>

#include <filesystem>

#include "search/pareto.h"
#include "test_util.h"

namespace edgenas {
namespace {

const std::string kData = std::string(EDGENAS_TEST_DATA) + "/search/";

// Everything a search needs, from a recipe file.
struct SearchJob {
  explicit SearchJob(const std::string& recipe_path)
      : job(LoadRecipe(recipe_path)), evaluator(job.space(), job.EvaluatorOptions()) {}
  SearchResult Run(int threads) {
    tbb::global_control control(tbb::global_control::max_allowed_parallelism, threads);
    SearchEngine engine(job.space(), evaluator, job.SearchOptions());
    return engine.Run();
  }
  double Value(const Candidate& c, const Metric& m) {
    const auto& metrics = job.metrics();
    return c.scores->values[std::find(metrics.begin(), metrics.end(), m) - metrics.begin()];
  }

  Job job;
  Evaluator evaluator;
};

const Metric kAccuracy{Metric::Kind::kAccuracy, ""};
const Metric kNote10{Metric::Kind::kLatency, "note10"};

TEST(JobSearch, SameResultOnOneOrTwoThreads) {
  SearchJob one(kData + "ofa_short.yaml"), two(kData + "ofa_short.yaml");
  const SearchResult a = one.Run(1), b = two.Run(2);
  EXPECT_EQ(a.best.genome, b.best.genome);
  ASSERT_EQ(a.history.size(), 30u);
  ASSERT_EQ(a.history.size(), b.history.size());
  for (size_t i = 0; i < a.history.size(); ++i) {
    EXPECT_EQ(a.history[i].best, b.history[i].best);  // bit for bit
    EXPECT_EQ(a.history[i].mean, b.history[i].mean);
  }
  ASSERT_EQ(a.population.size(), b.population.size());
  for (size_t i = 0; i < a.population.size(); ++i) EXPECT_EQ(a.population[i].genome, b.population[i].genome);
  EXPECT_EQ(a.evaluations, 100 + 30 * 100);
}

// The Once-for-All tutorial search (recipes/ofa_note10_25ms.yaml): its reference
// Python implementation ends at 0.818 within 25 ms on the Note10.
TEST(JobSearch, ReproducesTheOnceForAllTutorialSearch) {
  SearchJob job(std::string(EDGENAS_SOURCE_ROOT) + "/recipes/ofa_note10_25ms.yaml");
  const SearchResult r = job.Run(2);
  EXPECT_GE(job.Value(r.best, kAccuracy), 81.8);
  EXPECT_LE(job.Value(r.best, kNote10), 25.0);
  EXPECT_EQ(r.evaluations, 50100);
  for (const Candidate& g : r.population) EXPECT_LE(job.Value(g, kNote10), 25.0);
  // The best so far never gets worse (the parents survive).
  for (size_t i = 1; i < r.history.size(); ++i) EXPECT_GE(r.history[i].best, r.history[i - 1].best);
}

TEST(JobSearch, ImpossibleBudgetSaysWhatIsReachable) {
  SearchJob job(kData + "ofa_impossible.yaml");
  const std::string error = testing::ErrorOf([&] { job.Run(1); });
  EXPECT_EQ(error.rfind("no feasible network found in 200 random tries: 'latency@note10 <= 5' is (nearly) out of "
                        "reach. The smallest latency@note10 found in space 'ofa_mbv3_w1.2' is ",
                        0),
            0u)
      << error;
  // Coordinate descent finds the shallowest, narrowest network at 160: the Note10 table's minimum.
  EXPECT_NE(error.find(" ms (r160-k33.33.33.33.33-e33.33.33.33.33); relax the budget"), std::string::npos) << error;
}

TEST(JobSearch, Nsga2FrontIsNonDominatedAndFeasible) {
  SearchJob job(kData + "fbnet_nsga2.yaml");
  const SearchResult r = job.Run(2);
  ASSERT_FALSE(r.front.empty());
  const Metric params{Metric::Kind::kParams, ""};
  std::vector<ObjectiveVector> points;
  for (const Candidate& g : r.front) {
    EXPECT_LE(job.Value(g, params), 5.0e6);
    points.push_back({-job.Value(g, Metric{Metric::Kind::kMacs, ""}), job.Value(g, Metric{Metric::Kind::kLatency, "pixel3"}),
                      job.Value(g, Metric{Metric::Kind::kEnergy, "jetson_tx2"})});
  }
  for (const auto& p : points) {
    for (const auto& q : points) EXPECT_FALSE(Dominates(p, q));
  }
  EXPECT_EQ(r.history.size(), 15u);
  EXPECT_GT(r.history.back().hypervolume, 0.0);
}

}  // namespace
}  // namespace edgenas
