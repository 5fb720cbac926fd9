#include "accuracy/accuracy_dataset.h"

#include <gtest/gtest.h>

#include <cmath>
#include <set>

#include "accuracy/ranking_metrics.h"
#include "common/file_util.h"
#include "space/space_loader.h"
#include "test_util.h"

namespace edgenas {
namespace {

using testing::ErrorOf;

const std::string kData = std::string(EDGENAS_TEST_DATA) + "/accuracy/";

TEST(AccuracyDataset, MergesEquivalentArchStrings) {
  const SearchSpace space = LoadSpace("nas_bench_macro");
  const AccuracyDataset data = LoadAccuracyDataset(kData + "equivalents.csv", space);
  ASSERT_EQ(data.size(), 2u);
  EXPECT_EQ(space.ToString(data.genomes[0]), "00000010");  // canonical form of 00000001
  EXPECT_DOUBLE_EQ(data.accuracy[0], 64.5);
  EXPECT_EQ(data.rows[0], 2);
  EXPECT_DOUBLE_EQ(data.accuracy[1], 93.5);
  EXPECT_EQ(data.fingerprint.size(), 16u);
}

// Pairs are the networks of both files, in the first's order, matched by
// canonical form (00000001 and 00000010 are one network).
TEST(AccuracyDataset, PairsTheNetworksBothDatasetsMeasured) {
  const SearchSpace space = LoadSpace("nas_bench_macro");
  const AccuracyDataset first = LoadAccuracyDataset(kData + "equivalents.csv", space);
  AccuracyDataset second;
  second.genomes = {space.Parse("22222222"), space.Canonical(space.Parse("00000001"))};  // datasets hold canonical genomes
  second.accuracy = {91.0, 70.0};
  const PairedAccuracies paired = PairAccuracies(first, second);
  ASSERT_EQ(paired.genomes.size(), 1u);
  EXPECT_EQ(space.ToString(paired.genomes[0]), "00000010");
  EXPECT_DOUBLE_EQ(paired.a[0], 64.5);
  EXPECT_DOUBLE_EQ(paired.b[0], 70.0);
}

// The shipped schedule study: the same 20 networks trained with two seeds.
// Kendall tau-b from 127 concordant pairs, 62 discordant and one tie in the
// second file, counted by hand in Python.
TEST(AccuracyDataset, ShippedScheduleStudyPairsAllTwentyNetworks) {
  const SearchSpace space = LoadSpace("mbv3_small_input");
  const std::string folder = DataRoot() + "/predictors/data/mbv3_small_input_schedule_study/";
  const PairedAccuracies paired = PairAccuracies(LoadAccuracyDataset(folder + "short_seed0.csv", space),
                                                 LoadAccuracyDataset(folder + "short_seed1.csv", space));
  ASSERT_EQ(paired.a.size(), 20u);
  EXPECT_NEAR(KendallTau(paired.a, paired.b), 65.0 / std::sqrt(189.0 * 190.0), 1e-12);
}

TEST(AccuracyDataset, ErrorsNameFileAndLine) {
  const SearchSpace space = LoadSpace("nas_bench_macro");
  EXPECT_EQ(ErrorOf([&] { LoadAccuracyDataset(kData + "bad_arch.csv", space); }).substr(0, kData.size() + 15),
            kData + "bad_arch.csv:3:");
  EXPECT_EQ(ErrorOf([&] { LoadAccuracyDataset(kData + "bad_accuracy.csv", space); }),
            kData + "bad_accuracy.csv:3: accuracy '145' is not a percentage in [0, 100]");
  EXPECT_EQ(ErrorOf([&] { LoadAccuracyDataset(kData + "bad_header.csv", space); }),
            kData + "bad_header.csv:1: the header needs columns 'arch' and 'accuracy' (got 'network,acc')");
  EXPECT_EQ(ErrorOf([&] { LoadAccuracyDataset(kData + "bad_fields.csv", space); }),
            kData + "bad_fields.csv:2: 3 fields, the header has 2");
}

// The shipped NAS-Bench-Macro dataset: one row per canonical network, with the
// benchmark's mean accuracy (values from nas-bench-macro_cifar10.csv).
TEST(AccuracyDataset, ShippedNasBenchMacroData) {
  const SearchSpace space = LoadSpace("nas_bench_macro");
  const AccuracyDataset data =
      LoadAccuracyDataset(DataRoot() + "/predictors/data/nas_bench_macro_cifar10.csv", space);
  ASSERT_EQ(data.size(), 3969u);
  std::map<std::string, double> accuracy;
  for (size_t i = 0; i < data.size(); ++i) {
    EXPECT_EQ(data.rows[i], 1);
    accuracy[space.ToString(data.genomes[i])] = data.accuracy[i];
  }
  EXPECT_NEAR(accuracy.at("00000000"), 45.36333211263021, 1e-6);
  EXPECT_NEAR(accuracy.at("02012100"), 89.19666544596355, 1e-6);
  EXPECT_NEAR(accuracy.at("11111221"), 92.30333201090495, 1e-6);
}

TEST(AccuracyDataset, SplitsAreSeededPartitions) {
  std::vector<size_t> a, rest_a, b, rest_b, c, rest_c;
  SplitIndices(100, 30, 7, &a, &rest_a);
  SplitIndices(100, 30, 7, &b, &rest_b);
  SplitIndices(100, 30, 8, &c, &rest_c);
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
  std::set<size_t> all(a.begin(), a.end());
  all.insert(rest_a.begin(), rest_a.end());
  EXPECT_EQ(a.size(), 30u);
  EXPECT_EQ(all.size(), 100u);
}

}  // namespace
}  // namespace edgenas
