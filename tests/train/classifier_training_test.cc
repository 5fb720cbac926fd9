#include "train/classifier_training.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <numeric>
#include <set>

#include "accuracy/torch_state_dict.h"
#include "common/file_util.h"
#include "common/rng.h"
#include "models/network_builder.h"
#include "space/network_stats.h"
#include "space/space_loader.h"
#include "test_util.h"
#include "train/bars_dataset.h"
#include "train/image_batches.h"
#include "train/training_loop.h"

namespace edgenas {
namespace {

namespace fs = std::filesystem;

TEST(TrainingLoop, EpochOrdersArePermutationsFixedBySeedAndEpoch) {
  const std::vector<int64_t> a = EpochOrder(1000, 3, 2);
  EXPECT_EQ(a, EpochOrder(1000, 3, 2));
  EXPECT_NE(a, EpochOrder(1000, 3, 3));
  EXPECT_NE(a, EpochOrder(1000, 4, 2));
  std::vector<int64_t> sorted = a;
  std::sort(sorted.begin(), sorted.end());
  for (int64_t i = 0; i < 1000; ++i) ASSERT_EQ(sorted[i], i);
  EXPECT_EQ(StepsPerEpoch(1000, 128), 8);
  EXPECT_EQ(StepsPerEpoch(1024, 128), 8);
}

using testing::Bars;

ClassifierTrainingOptions SmallRun(const std::string& folder) {
  ClassifierTrainingOptions o;
  o.schedule.epochs = 2;
  o.schedule.batch_size = 32;
  o.schedule.learning_rate = 0.05;
  o.schedule.validation_images = 64;
  o.seed = 5;
  o.threads = 1;
  o.out_folder = folder;
  return o;
}

class ClassifierTraining : public ::testing::Test {
 protected:
  void SetUp() override {
    folder_ = testing::UniqueTempPath("classifier_training");
    fs::remove_all(folder_);
  }
  void TearDown() override { fs::remove_all(folder_); }
  std::string folder_;
  const SearchSpace space_ = LoadSpace("nas_bench_macro");
  const Genome genome_ = space_.Parse("10000001");
  const ImageDataset train_ = Bars(320, 1);
  const ImageDataset test_ = Bars(200, 2);
};

TEST_F(ClassifierTraining, LearnsAndWritesItsFiles) {
  const ClassifierMetrics m = TrainClassifier(space_, genome_, train_, test_, SmallRun(folder_ + "/a"));
  EXPECT_FALSE(m.interrupted);
  ASSERT_EQ(m.train_loss.size(), 2u);
  EXPECT_LT(m.train_loss[1], m.train_loss[0]);
  EXPECT_GE(m.test_top1, 90.0);  // chance is 50%
  // The classifier is resized to the data's 2 classes; the counts follow.
  NetworkSpec spec = space_.Decode(genome_);
  spec.layers.back().out_channels = 2;
  EXPECT_EQ(m.params, ComputeStats(spec).params);
  EXPECT_EQ(m.macs, ComputeStats(spec).macs);

  const nlohmann::json json = nlohmann::json::parse(ReadFile(folder_ + "/a/metrics.json"));
  EXPECT_EQ(json["arch"], "10000001");
  EXPECT_EQ(json["space"], "nas_bench_macro");
  EXPECT_DOUBLE_EQ(json["test_top1"].get<double>(), m.test_top1);
  EXPECT_EQ(json["validation_images"], 64);
  EXPECT_EQ(json["train_images"], 256);
  EXPECT_EQ(json["input"]["resolution"], 32);
  EXPECT_EQ(json["input"]["channels"], 3);
  EXPECT_FALSE(fs::exists(folder_ + "/a/checkpoint.pt"));

  // weights.pt holds every float parameter and buffer: their element count is
  // the parameter count plus BN's running means and variances.
  const auto state = ReadTorchStateDict(folder_ + "/a/weights.pt");
  int64_t elements = 0, running = 0;
  for (const auto& [name, tensor] : state) {
    elements += tensor.NumElements();
    if (name.find("running_") != std::string::npos) running += tensor.NumElements();
  }
  EXPECT_EQ(elements - running, m.params);
  EXPECT_GT(running, 0);
}

// A run stopped after its first epoch and resumed ends with the very weights
// of a run never stopped.
TEST_F(ClassifierTraining, StoppedAndResumedEqualsUninterrupted) {
  TrainClassifier(space_, genome_, train_, test_, SmallRun(folder_ + "/whole"));
  ClassifierTrainingOptions stopped = SmallRun(folder_ + "/parts");
  stopped.stop_requested = [] { return true; };
  const ClassifierMetrics first = TrainClassifier(space_, genome_, train_, test_, stopped);
  EXPECT_TRUE(first.interrupted);
  EXPECT_EQ(first.train_loss.size(), 1u);
  EXPECT_TRUE(fs::exists(folder_ + "/parts/checkpoint.pt"));
  EXPECT_FALSE(fs::exists(folder_ + "/parts/weights.pt"));
  ClassifierTrainingOptions resumed = SmallRun(folder_ + "/parts");
  resumed.resume = true;
  const ClassifierMetrics second = TrainClassifier(space_, genome_, train_, test_, resumed);
  EXPECT_FALSE(second.interrupted);
  EXPECT_TRUE(ReadFile(folder_ + "/parts/weights.pt") == ReadFile(folder_ + "/whole/weights.pt"));

  // A checkpoint of another schedule is refused.
  stopped.out_folder = folder_ + "/other";
  TrainClassifier(space_, genome_, train_, test_, stopped);
  ClassifierTrainingOptions changed = SmallRun(folder_ + "/other");
  changed.resume = true;
  changed.schedule.learning_rate = 0.1;
  EXPECT_EQ(testing::ErrorOf([&] { TrainClassifier(space_, genome_, train_, test_, changed); }),
            folder_ + "/other/checkpoint.pt: made for another network, data or schedule; start again without --resume");
}

// A student distilled from a teacher trained here: the teacher's files load,
// and the mixed loss trains.
TEST_F(ClassifierTraining, DistilsFromATeacherFolder) {
  TrainClassifier(space_, genome_, train_, test_, SmallRun(folder_ + "/teacher"));
  ClassifierTrainingOptions o = SmallRun(folder_ + "/student");
  o.teacher.folder = folder_ + "/teacher";
  const ClassifierMetrics m = TrainClassifier(space_, space_.Parse("00000001"), train_, test_, o);
  EXPECT_GE(m.test_top1, 80.0);
  const nlohmann::json json = nlohmann::json::parse(ReadFile(folder_ + "/student/metrics.json"));
  EXPECT_EQ(json["teacher"]["folder"], folder_ + "/teacher");
}

TEST_F(ClassifierTraining, BadOptionsAndDataAreNamed) {
  ClassifierTrainingOptions o = SmallRun(folder_ + "/bad");
  o.schedule.epochs = 0;
  EXPECT_EQ(testing::ErrorOf([&] { TrainClassifier(space_, genome_, train_, test_, o); }),
            "TrainingSchedule::epochs = 0. Violated constraint: epochs >= 1");
  o = SmallRun(folder_ + "/bad");
  o.schedule.validation_images = 320;
  EXPECT_EQ(testing::ErrorOf([&] { TrainClassifier(space_, genome_, train_, test_, o); }),
            "a validation set of 320 images leaves nothing of the 320 training images");
  ImageDataset other = test_;
  other.class_names = {"a", "b", "c"};
  EXPECT_EQ(testing::ErrorOf([&] { TrainClassifier(space_, genome_, train_, other, SmallRun(folder_ + "/bad")); }),
            "the training and test sets differ in classes or image size");
}

// The batches a network sees: normalised by the contract, resized, grey
// replicated to three channels, and a flip that mirrors.
TEST(ImageBatches, NormaliseResizeReplicateAndFlip) {
  ImageDataset d;
  d.height = d.width = 2;
  d.class_names = {"x"};
  d.pixels = {0, 255, 51, 102};
  d.labels = {0};
  InputContract c;
  c.channels = 3;
  c.resolution = 2;
  c.mean = {0.5f};
  c.std = {0.25f};
  const ImageBatcher batcher(d, c);
  const torch::Tensor x = batcher.Images({0}, nullptr, nullptr);
  ASSERT_EQ(x.sizes(), (std::vector<int64_t>{1, 3, 2, 2}));
  EXPECT_NEAR(x[0][2][0][0].item<float>(), -2.0f, 1e-6);  // (0 - 0.5) / 0.25
  EXPECT_NEAR(x[0][1][0][1].item<float>(), 2.0f, 1e-6);   // (1 - 0.5) / 0.25
  EXPECT_NEAR(x[0][0][1][0].item<float>(), -1.2f, 1e-6);  // (0.2 - 0.5) / 0.25
  const Augmentation flip{0, true};
  Rng rng(0);
  int flipped = 0;
  for (int i = 0; i < 100; ++i) {
    flipped += batcher.Images({0}, &flip, &rng)[0][0][0][0].item<float>() > 0;  // 255 moved to the left
  }
  EXPECT_GT(flipped, 30);
  EXPECT_LT(flipped, 70);
  c.resolution = 4;
  EXPECT_EQ(ImageBatcher(d, c).Images({0}, nullptr, nullptr).sizes(), (std::vector<int64_t>{1, 3, 4, 4}));
  std::vector<float> mean, std;
  ChannelStatistics(d, &mean, &std);
  EXPECT_NEAR(mean[0], (0 + 255 + 51 + 102) / 4.0 / 255.0, 1e-6);
}

// Python reads weights.pt with torch.load(weights_only=True).
TEST_F(ClassifierTraining, PythonLoadsTheWeights) {
  EDGENAS_REQUIRE_INSTALLED(testing::PythonTorchMissing());
  ClassifierTrainingOptions o = SmallRun(folder_ + "/py");
  o.schedule.epochs = 1;
  TrainClassifier(space_, genome_, train_, test_, o);
  const auto state = ReadTorchStateDict(folder_ + "/py/weights.pt");
  double sum = 0;
  for (const auto& [name, tensor] : state) sum += std::accumulate(tensor.values.begin(), tensor.values.end(), 0.0);
  const std::string command = "/usr/bin/python3 -c \"import torch; s = torch.load('" + folder_ +
                              "/py/weights.pt', weights_only=True); print(len(s), '%.3f' % sum(v.double().sum().item() "
                              "for v in s.values()))\"";
  FILE* pipe = popen(command.c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  char buffer[128] = {};
  ASSERT_NE(fgets(buffer, sizeof buffer, pipe), nullptr);
  ASSERT_EQ(pclose(pipe), 0);
  EXPECT_EQ(std::string(buffer), std::to_string(state.size()) + " " + fmt::format("{:.3f}", sum) + "\n");
}

// Every shipped space builds and trains: the smallest-resolution network of
// a random sample, fed 16x16 grey images resized and repeated to its input
// (224x224 RGB for ImageNet-size spaces), lowers its loss on one batch in
// ten SGD steps.
TEST(ShippedSpaces, EveryOneTrains) {
  const ImageDataset data = Bars(8, 7);
  for (const std::string& name : BuiltinSpaceNames()) {
    SCOPED_TRACE(name);
    const SearchSpace space = LoadSpace(name);
    Rng rng(1);
    Genome genome = space.Sample(rng);
    genome.genes[0] = 0;  // the smallest resolution
    NetworkSpec spec = space.Decode(genome);
    spec.layers.back().out_channels = 2;
    InputContract contract;
    contract.channels = spec.input_channels;
    contract.resolution = spec.resolution;
    contract.mean = {0.3f};
    contract.std = {0.3f};
    const ImageBatcher batcher(data, contract);
    const std::vector<int64_t> batch = {0, 1, 2, 3, 4, 5, 6, 7};
    const torch::Tensor x = batcher.Images(batch, nullptr, nullptr), y = batcher.Labels(batch);
    torch::manual_seed(0);
    Network net(spec);
    net->train();
    torch::optim::SGD sgd(net->parameters(), torch::optim::SGDOptions(0.01));
    std::vector<double> losses;
    for (int step = 0; step < 10; ++step) {
      sgd.zero_grad();
      const torch::Tensor loss = torch::nn::functional::cross_entropy(net->forward(x), y);
      loss.backward();
      sgd.step();
      losses.push_back(loss.item<double>());
    }
    // The last three steps, against the first: single steps on 8 images wobble.
    const double last = (losses[7] + losses[8] + losses[9]) / 3;
    EXPECT_TRUE(std::isfinite(last));
    EXPECT_LT(last, losses.front()) << losses.front() << " -> " << last;
  }
}

}  // namespace
}  // namespace edgenas
