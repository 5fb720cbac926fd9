#include "search/evaluator.h"

#include <gtest/gtest.h>

#include <cmath>

#include "search_test_util.h"
#include "test_util.h"

namespace edgenas {
namespace {

using testing::LinearScorer;

class EvaluatorTest : public ::testing::Test {
 protected:
  EvaluatorTest()
      : space_(testing::SmallSpace()),
        accuracy_(space_, {1.0, 2.0, 0.5}, /*cheap=*/false, /*spread=*/0.25),
        latency_(space_, {0.5, 1.0}, /*cheap=*/true) {}

  // accuracy (batched, maximised) and latency (cheap) <= max_latency.
  Evaluator::Options Options(double max_latency) const {
    Evaluator::Options o;
    o.metrics = {{"accuracy", "%", &accuracy_}, {"latency@fake", "ms", &latency_}};
    o.objectives = {{0, true}};
    o.constraints = {{1, std::nullopt, max_latency}};
    return o;
  }

  SearchSpace space_;
  LinearScorer accuracy_, latency_;
};

TEST_F(EvaluatorTest, DefaultOptionsAreInvalidAndSayWhy) {
  std::string error;
  EXPECT_FALSE(Evaluator::Options().IsValid(&error));
  EXPECT_EQ(error, "Evaluator::Options::metrics is empty. Violated constraint: at least one metric");
  Evaluator::Options o = Options(10);
  EXPECT_TRUE(o.IsValid(&error)) << error;
  o.objectives[0].metric = 2;
  EXPECT_FALSE(o.IsValid(&error));
  EXPECT_EQ(error, "Evaluator::Options::objectives[0].metric = 2. Violated constraint: 0 <= metric < 2");
  o = Options(10);
  o.constraints[0].min = 20;
  EXPECT_FALSE(o.IsValid(&error));
  EXPECT_EQ(error, "Evaluator::Options::constraints[0].min = 20 > max = 10. Violated constraint: min <= max");
  EXPECT_EQ(testing::ErrorOf([&] { Evaluator(space_, o); }), error);
}

// Each distinct network is scored once, whatever the batch holds: repeats and
// genomes that denote the same network (differing only in unused blocks).
TEST_F(EvaluatorTest, ScoresEachDistinctNetworkOnce) {
  Evaluator evaluator(space_, Options(1e9));
  Rng rng(3);
  const Genome g = space_.Sample(rng);
  Genome same_network = g;
  // A stage at its shallowest depth leaves blocks 1 and 2 unused: change their genes.
  same_network.genes[space_.depth_gene(0)] = 0;
  Genome shallow = same_network;
  same_network.genes[space_.block_gene(0, 2)] = (same_network.genes[space_.block_gene(0, 2)] + 1) % 3;
  ASSERT_NE(shallow, same_network);
  ASSERT_EQ(space_.Canonical(shallow), space_.Canonical(same_network));

  std::vector<Candidate> batch = {{g}, {shallow}, {g}, {same_network}};
  evaluator.Score(&batch);
  EXPECT_EQ(accuracy_.genomes_scored, 2u);
  EXPECT_EQ(accuracy_.calls, 1u);  // batched: one call for the whole batch
  EXPECT_EQ(latency_.genomes_scored, 2u);
  EXPECT_EQ(batch[0].scores, batch[2].scores);
  EXPECT_EQ(batch[1].scores, batch[3].scores);
  EXPECT_EQ(evaluator.distinct_networks_scored(), 2u);
  EXPECT_DOUBLE_EQ(batch[0].scores->values[0], accuracy_.Value(g));
  EXPECT_DOUBLE_EQ(batch[0].scores->values[1], latency_.Value(g));
  EXPECT_DOUBLE_EQ(batch[0].scores->spreads[0], 0.25);
  EXPECT_DOUBLE_EQ(batch[0].scores->spreads[1], 0.0);

  // Scored candidates carry their scores: scoring them again asks no scorer.
  evaluator.Score(&batch);
  EXPECT_EQ(accuracy_.calls, 1u);
  EXPECT_EQ(&evaluator.Score(g), batch[0].scores);
  EXPECT_EQ(accuracy_.genomes_scored, 2u);
}

TEST_F(EvaluatorTest, ChecksOnlyCheapConstraintsAndSaysWhichBroke) {
  Evaluator::Options o = Options(4.0);
  o.constraints.push_back({0, 1e9, std::nullopt});  // accuracy >= 1e9: batched, never checked per genome
  Evaluator evaluator(space_, o);
  Genome low{std::vector<uint8_t>(space_.genes().size(), 0)};
  EXPECT_TRUE(evaluator.CheckConstraints(low));
  EXPECT_EQ(latency_.calls, 1u);
  Genome high = space_.DeepestGenome(1);
  for (const BlockSlot& slot : space_.block_slots()) space_.SetSlotChoice(&high, slot.stage, slot.block, 8);
  ASSERT_GT(latency_.Value(high), 4.0);
  int violated = -1;
  EXPECT_FALSE(evaluator.CheckConstraints(high, &violated));
  EXPECT_EQ(violated, 0);
  EXPECT_EQ(accuracy_.calls, 0u);
  EXPECT_EQ(evaluator.distinct_networks_scored(), 0u);  // checks cache nothing

  // Scoring applies every constraint: the accuracy bound makes both infeasible.
  std::vector<Candidate> batch = {{low}, {high}};
  evaluator.Score(&batch);
  EXPECT_FALSE(batch[0].scores->feasible);
  EXPECT_EQ(evaluator.Fitness(*batch[0].scores), -INFINITY);
  EXPECT_EQ(evaluator.ObjectiveVector(*batch[1].scores), std::vector<double>{INFINITY});
}

TEST_F(EvaluatorTest, FitnessAndObjectivesFollowTheDirections) {
  Evaluator::Options o = Options(1e9);
  o.objectives = {{0, true}, {1, false}};
  Evaluator evaluator(space_, o);
  Rng rng(5);
  const Genome g = space_.Sample(rng);
  const Scores& s = evaluator.Score(g);
  EXPECT_TRUE(s.feasible);
  EXPECT_DOUBLE_EQ(evaluator.Fitness(s), accuracy_.Value(g));
  EXPECT_EQ(evaluator.ObjectiveVector(s), (std::vector<double>{-accuracy_.Value(g), latency_.Value(g)}));
  EXPECT_EQ(evaluator.FrontMetrics(), (std::vector<int>{0, 1}));
  EXPECT_TRUE(evaluator.FrontMetricMaximized(0));
  EXPECT_FALSE(evaluator.FrontMetricMaximized(1));

  // One objective: the front adds the first constraint's metric.
  Evaluator single(space_, Options(1e9));
  EXPECT_EQ(single.FrontMetrics(), (std::vector<int>{0, 1}));
  EXPECT_FALSE(single.FrontMetricMaximized(1));  // an upper bound: smaller is better
}

}  // namespace
}  // namespace edgenas
