#include "train/mlp_trainer.h"

#include <gtest/gtest.h>

#include "test_util.h"
#include <torch/torch.h>

#include <cstdio>
#include <filesystem>

#include "common/file_util.h"
#include "accuracy/predictor_evaluation.h"
#include "accuracy/torch_state_dict.h"
#include "space/space_loader.h"

namespace edgenas {
namespace {

namespace fs = std::filesystem;

AccuracyDataset MacroSubset(const SearchSpace& space, size_t n, uint64_t seed, AccuracyDataset* rest) {
  const AccuracyDataset all = LoadAccuracyDataset(DataRoot() + "/predictors/data/nas_bench_macro_cifar10.csv", space);
  std::vector<size_t> picked, others;
  SplitIndices(all.size(), n, seed, &picked, &others);
  if (rest != nullptr) *rest = all.Subset(others);
  return all.Subset(picked);
}

// What the trainer writes is what the search reads: the Eigen predictor built
// from the saved files agrees with LibTorch's forward pass of the same file.
TEST(MlpTrainer, SavedWeightsPredictTheSameInEigenAndLibTorch) {
  const SearchSpace space = LoadSpace("nas_bench_macro");
  AccuracyDataset rest;
  const AccuracyDataset train = MacroSubset(space, 100, 1, &rest);
  MlpTrainingOptions o;
  o.members = 2;
  o.max_epochs = 30;
  const std::string folder = edgenas::testing::UniqueTempPath("edgenas_mlp_trainer_test");
  fs::remove_all(folder);
  TrainPredictor(space, FeatureEncoding::kOneHot, train, o, folder);
  const LoadedPredictor loaded = LoadPredictor(folder, space);
  ASSERT_EQ(loaded.predictor->num_members(), 2);
  ASSERT_TRUE(loaded.info.training && loaded.info.ridge_baseline);
  EXPECT_EQ(loaded.info.training->networks + loaded.info.training->validation_networks, 100);

  // LibTorch reads the file back (torch::pickle_load) and runs it as a Sequential.
  const std::string bytes = ReadFile(folder + "/mlp_1.pt");
  const c10::Dict<c10::IValue, c10::IValue> state =
      torch::pickle_load(std::vector<char>(bytes.begin(), bytes.end())).toGenericDict();
  const auto w = [&](const char* key) { return state.at(key).toTensor(); };
  const FeatureEncoder& encoder = loaded.predictor->encoder();
  for (size_t i = 0; i < 20; ++i) {
    const std::vector<float> dense = encoder.Dense(rest.genomes[i]);
    torch::Tensor h = torch::tensor(dense).unsqueeze(0);
    h = torch::relu(torch::linear(h, w("0.weight"), w("0.bias")));
    h = torch::relu(torch::linear(h, w("2.weight"), w("2.bias")));
    h = torch::relu(torch::linear(h, w("4.weight"), w("4.bias")));
    const double out = torch::linear(h, w("6.weight"), w("6.bias")).item<double>();
    EXPECT_NEAR(loaded.predictor->members()[1].Forward(dense), out, 1e-5);
  }
}

TEST(MlpTrainer, SameSeedSameWeights) {
  const SearchSpace space = LoadSpace("nas_bench_macro");
  const AccuracyDataset train = MacroSubset(space, 60, 2, nullptr);
  MlpTrainingOptions o;
  o.max_epochs = 10;
  o.hidden = {64, 64};
  const TrainedPredictor a = TrainPredictor(space, FeatureEncoding::kOneHot, train, o, "");
  const TrainedPredictor b = TrainPredictor(space, FeatureEncoding::kOneHot, train, o, "");
  o.seed = 3;
  const TrainedPredictor c = TrainPredictor(space, FeatureEncoding::kOneHot, train, o, "");
  EXPECT_TRUE(a.members[0].weights[1] == b.members[0].weights[1]);
  EXPECT_FALSE(a.members[0].weights[1] == c.members[0].weights[1]);
  EXPECT_EQ(a.info.training->epochs, b.info.training->epochs);
}

// The quality bar on one seed: 300 training networks, tested on all
// 3669 others, the MLP ranks better than the ridge baseline and reaches 0.85.
TEST(MlpTrainer, BeatsRidgeOnNasBenchMacro) {
  const SearchSpace space = LoadSpace("nas_bench_macro");
  AccuracyDataset rest;
  const AccuracyDataset train = MacroSubset(space, 300, 1, &rest);
  const TrainedPredictor trained = TrainPredictor(space, FeatureEncoding::kOneHot, train, MlpTrainingOptions{}, "");
  const AccuracyPredictor predictor(space, FeatureEncoding::kOneHot, trained.members, trained.info.accuracy_offset,
                                    trained.info.accuracy_scale);
  const PredictorEvaluation e = EvaluatePredictor(predictor, &*trained.info.ridge_baseline, rest);
  EXPECT_GE(e.mlp_metrics.kendall_tau, 0.85);
  EXPECT_GT(e.mlp_metrics.kendall_tau, e.ridge_metrics->kendall_tau);
  EXPECT_GT(e.ridge_metrics->kendall_tau, 0.8);  // the baseline is a real one
}

// Python's torch.load(weights_only=True) reads the files (Debian's python3-torch, which setup.sh installs).
TEST(MlpTrainer, PythonTorchLoadsTheWeights) {
  EDGENAS_REQUIRE_INSTALLED(testing::PythonTorchMissing());
  const SearchSpace space = LoadSpace("nas_bench_macro");
  MlpTrainingOptions o;
  o.max_epochs = 5;
  const std::string folder = edgenas::testing::UniqueTempPath("edgenas_mlp_trainer_python");
  fs::remove_all(folder);
  const TrainedPredictor trained =
      TrainPredictor(space, FeatureEncoding::kOneHot, MacroSubset(space, 50, 4, nullptr), o, folder);
  const std::vector<float> input = FeatureEncoder(space, FeatureEncoding::kOneHot).Dense(space.Parse("21201100"));
  std::string list;
  for (float v : input) list += fmt::format("{:.1f},", v);
  const std::string script = fmt::format(
      "import torch\n"
      "s = torch.load('{}/mlp_0.pt', weights_only=True)\n"
      "m = torch.nn.Sequential(torch.nn.Linear(24,400), torch.nn.ReLU(), torch.nn.Linear(400,400), torch.nn.ReLU(),"
      " torch.nn.Linear(400,400), torch.nn.ReLU(), torch.nn.Linear(400,1))\n"
      "m.load_state_dict(s)\n"
      "print('%.7f' % m(torch.tensor([[{}]])).item())\n",
      folder, list);
  WriteFileAtomically(folder + "/check.py", script);
  FILE* pipe = popen(("/usr/bin/python3 " + folder + "/check.py").c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  char buffer[64] = {};
  ASSERT_NE(fgets(buffer, sizeof buffer, pipe), nullptr);
  ASSERT_EQ(pclose(pipe), 0);
  EXPECT_NEAR(std::stod(buffer), trained.members[0].Forward(input), 1e-5);
}

}  // namespace
}  // namespace edgenas
