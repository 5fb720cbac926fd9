#include "accuracy/accuracy_predictor.h"

#include <gtest/gtest.h>
#include <tbb/global_control.h>

#include "accuracy/predictor_file.h"
#include "space/space_loader.h"
#include "test_util.h"

namespace edgenas {
namespace {

using testing::OfaJson;
using testing::Repeat;

// The reference values of Once-for-All's published predictor (its Python
// implementation's outputs, as fractions).
TEST(AccuracyPredictor, ReproducesOnceForAllsPublishedPredictor) {
  const SearchSpace space = LoadSpace("ofa_mbv3_w1.2");
  const LoadedPredictor loaded = LoadPredictor("ofa_mbv3_w1.2", space);
  const std::vector<std::pair<std::string, double>> cases = {
      {OfaJson({3, 3, 7, 7, 5, 3, 5, 3, 7, 5, 3, 5, 3, 3, 3, 3, 3, 3, 5, 3},
               {3, 4, 4, 6, 6, 4, 3, 3, 6, 3, 3, 3, 4, 3, 6, 4, 6, 6, 6, 6}, {2, 3, 4, 3, 3}, 192),
       0.818084},
      {OfaJson(Repeat({3}, 20), Repeat({3}, 20), {2, 2, 2, 2, 2}, 160), 0.753119},
      {OfaJson(Repeat({7}, 20), Repeat({6}, 20), {4, 4, 4, 4, 4}, 224), 0.835928},
      {OfaJson(Repeat({5, 7, 3, 5}, 5), Repeat({6, 3, 4, 4}, 5), {4, 2, 3, 2, 4}, 176), 0.792206},
  };
  std::vector<Genome> genomes;
  for (const auto& [json, expected] : cases) genomes.push_back(space.Parse(json));
  const std::vector<AccuracyPrediction> predicted = loaded.predictor->Predict(genomes);
  for (size_t i = 0; i < cases.size(); ++i) {
    EXPECT_NEAR(predicted[i].mean / 100, cases[i].second, 1e-5) << cases[i].first;  // percent in edgenas
    EXPECT_EQ(predicted[i].spread, 0.0f);
    // The dense reference forward pass agrees with the tiled one.
    const Mlp& mlp = loaded.predictor->members()[0];
    EXPECT_NEAR(mlp.Forward(loaded.predictor->encoder().Dense(genomes[i])), cases[i].second, 1e-6);
  }
}

// A genome's prediction is the same bits in any batch, at any position, on any
// number of threads: the search's determinism rests on it.
TEST(AccuracyPredictor, PredictionsDoNotDependOnBatchOrThreads) {
  const SearchSpace space = LoadSpace("ofa_mbv3_w1.2");
  const LoadedPredictor loaded = LoadPredictor("ofa_mbv3_w1.2", space);
  Rng rng(11);
  std::vector<Genome> genomes;
  for (int i = 0; i < 150; ++i) genomes.push_back(space.Sample(rng));
  std::vector<AccuracyPrediction> two_threads, one_thread;
  {
    tbb::global_control threads(tbb::global_control::max_allowed_parallelism, 2);
    two_threads = loaded.predictor->Predict(genomes);
  }
  {
    tbb::global_control threads(tbb::global_control::max_allowed_parallelism, 1);
    one_thread = loaded.predictor->Predict(genomes);
  }
  for (size_t i = 0; i < genomes.size(); i += 7) {
    const float alone = loaded.predictor->Predict(genomes[i]).mean;
    const std::vector<Genome> shifted(genomes.begin() + i, genomes.end());
    const float shifted_mean = loaded.predictor->Predict(shifted)[0].mean;
    EXPECT_EQ(alone, two_threads[i].mean);
    EXPECT_EQ(alone, one_thread[i].mean);
    EXPECT_EQ(alone, shifted_mean);
  }
}

TEST(AccuracyPredictor, EnsembleGivesMeanAndSpread) {
  const SearchSpace space = LoadSpace("ofa_mbv3_w1.2");
  const LoadedPredictor loaded = LoadPredictor("ofa_mbv3_w1.2", space);
  Mlp shifted = loaded.predictor->members()[0];
  shifted.biases.back()(0) += 0.02f;  // this member predicts 2 points more
  const AccuracyPredictor ensemble(space, FeatureEncoding::kOfaMbv3, {loaded.predictor->members()[0], shifted}, 0,
                                   100);
  const Genome g = space.Parse(OfaJson(Repeat({3}, 20), Repeat({3}, 20), {2, 2, 2, 2, 2}, 160));
  const AccuracyPrediction p = ensemble.Predict(g);
  EXPECT_NEAR(p.mean, 75.3119 + 1, 1e-3);
  EXPECT_NEAR(p.spread, 1.0, 1e-4);
}

TEST(AccuracyPredictor, RejectsWeightsOfTheWrongSize) {
  const SearchSpace ofa = LoadSpace("ofa_mbv3_w1.2");
  const SearchSpace macro = LoadSpace("nas_bench_macro");
  const LoadedPredictor loaded = LoadPredictor("ofa_mbv3_w1.2", ofa);
  EXPECT_EQ(testing::ErrorOf([&] {
              AccuracyPredictor(macro, FeatureEncoding::kOneHot, loaded.predictor->members(), 0, 100);
            }),
            "the MLP takes 128 inputs but space 'nas_bench_macro' with encoding one_hot has 24 features");
  EXPECT_EQ(testing::ErrorOf([&] { LoadPredictor("ofa_mbv3_w1.2", macro); }),
            "predictor 'ofa_mbv3_w1.2' was trained for space 'ofa_mbv3_w1.2', not 'nas_bench_macro'");
  EXPECT_EQ(testing::ErrorOf([&] { LoadPredictor("ofa_mbv3_w1.3", ofa); }).substr(0, 65),
            "unknown predictor 'ofa_mbv3_w1.3' (did you mean 'ofa_mbv3_w1.2'?)");
}

// State dicts that would crash or mislead the MLP are rejected when read.
TEST(AccuracyPredictor, RejectsSingleLayersNaNsAndStrangeKeys) {
  const FloatTensor w{{1, 4}, {1, 2, 3, 4}}, b{{1}, {0.5f}};
  EXPECT_EQ(testing::ErrorOf([&] { Mlp::FromStateDict({{"0.weight", w}, {"0.bias", b}}, "m.pt"); }),
            "m.pt: a single Linear layer; an MLP predictor needs at least one hidden layer");
  const FloatTensor hidden_w{{2, 4}, {1, 2, 3, std::nanf(""), 5, 6, 7, 8}}, hidden_b{{2}, {0, 0}};
  const FloatTensor out_w{{1, 2}, {1, 1}}, out_b{{1}, {0}};
  EXPECT_EQ(testing::ErrorOf([&] {
              Mlp::FromStateDict({{"0.weight", hidden_w}, {"0.bias", hidden_b}, {"2.weight", out_w}, {"2.bias", out_b}},
                                 "m.pt");
            }),
            "m.pt: '0.weight' or '0.bias' holds NaN or infinity");
  EXPECT_EQ(testing::ErrorOf([&] { Mlp::FromStateDict({{"x.weight", w}, {"x.bias", b}}, "m.pt"); }),
            "m.pt: unexpected tensor 'x.bias' (an MLP of Linear layers has '<i>.weight' and '<i>.bias')");
}

}  // namespace
}  // namespace edgenas
