// The exported ONNX models against LibTorch, the implementation they were
// trained in: the same logits in ONNX Runtime, for a network of every shipped
// space; and the errors for weights that are not the network's.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>

#include "common/file_util.h"
#include "common/rng.h"
#include "export/folded_network.h"
#include "export/onnx_model.h"
#include "models/network_weights.h"
#include "models/random_network.h"
#include "runtime/onnx_runtime.h"
#include "space/space_loader.h"
#include "test_util.h"

namespace edgenas {
namespace {

namespace fs = std::filesystem;
using testing::RandomNetwork;

std::map<std::string, FloatTensor> StateOf(Network& net) {
  std::map<std::string, FloatTensor> state;
  for (auto& [name, tensor] : NetworkStateDict(net)) state[name] = std::move(tensor);
  return state;
}

// A random network whose BatchNorm statistics are those of its inputs, as a
// trained network's are, with random scales and shifts on top: every layer's
// output is of order 1. (RandomNetwork's are not: with BN scales up to 8 over
// 20 layers, float32 rounding alone moves ImageNet-size networks' logits by
// percents, and no two float32 implementations can agree to 1e-4.)
Network TrainedLikeNetwork(const NetworkSpec& spec, uint64_t seed) {
  torch::manual_seed(seed);
  Network net(spec);
  torch::NoGradGuard no_grad;
  for (const auto& module : net->modules(/*include_self=*/false)) {
    if (auto* bn = dynamic_cast<torch::nn::BatchNorm2dImpl*>(module.get())) bn->options.momentum(1.0);
  }
  for (auto& p : net->named_parameters()) {
    if (p.key().find("bn.weight") != std::string::npos) p.value().uniform_(0.5, 2.0);
    if (p.key().find("bn.bias") != std::string::npos) p.value().uniform_(-1.0, 1.0);
  }
  // After the scales and shifts, which change what every later layer sees.
  net->train();
  net->forward(torch::randn({8, spec.input_channels, spec.resolution, spec.resolution}));
  net->eval();
  return net;
}

// BatchNorm folded into the convs, written as ONNX and run in ONNX Runtime:
// the logits LibTorch computes with the unfolded network, for a random
// network of every shipped space with random BatchNorm statistics (so the
// fold changes every weight) on random inputs.
TEST(OnnxExport, Fp32ModelComputesLibTorchsLogitsInOnnxRuntime) {
  EDGENAS_REQUIRE_INSTALLED(OnnxRuntimeMissing());
  const std::string folder = testing::UniqueTempPath("onnx_fp32");
  fs::create_directories(folder);
  std::vector<std::string> names;
  std::vector<OnnxRuntimeJob> jobs;
  std::vector<torch::Tensor> expected;
  for (const std::string& name : BuiltinSpaceNames()) {
    const SearchSpace space = LoadSpace(name);
    Rng rng(7);
    const Genome genome = space.Sample(rng);
    const NetworkSpec spec = space.Decode(genome);
    Network net = TrainedLikeNetwork(spec, 5);
    torch::manual_seed(6);
    const torch::Tensor x = torch::randn({3, spec.input_channels, spec.resolution, spec.resolution});
    {
      torch::NoGradGuard no_grad;
      expected.push_back(net->forward(x));
      // The network is well-conditioned: float32 rounding alone moves no
      // logit by more than a third of the tolerance below, so a difference
      // past that is the export's.
      net->to(torch::kDouble);
      const double exact_error = (net->forward(x.to(torch::kDouble)) - expected.back()).abs().max().item<double>();
      net->to(torch::kFloat);
      ASSERT_LT(exact_error, 3e-5 * std::max(1.0, expected.back().abs().max().item<double>())) << name;
    }
    ModelDescription description;
    description.space = name;
    description.arch = space.ToString(genome);
    const std::string path = folder + "/" + name + ".onnx";
    WriteOnnxModel(BuildFp32Model(FoldBatchNorm(spec, StateOf(net), "random weights"), description), path);
    OnnxRuntimeJob job;
    job.model_path = path;
    job.input.assign(x.data_ptr<float>(), x.data_ptr<float>() + x.numel());
    job.input_shape = {x.size(0), x.size(1), x.size(2), x.size(3)};
    job.batch = 2;  // two runs, one of a partial batch
    jobs.push_back(job);
    names.push_back(name + " " + description.arch);
  }
  const std::vector<OnnxRuntimeResult> results = RunInOnnxRuntime(jobs, 1);
  ASSERT_EQ(results.size(), jobs.size());
  for (size_t i = 0; i < jobs.size(); ++i) {
    SCOPED_TRACE(names[i]);
    const torch::Tensor& ours = expected[i];
    ASSERT_EQ(results[i].output_shape, (std::vector<int64_t>{ours.size(0), ours.size(1)}));
    const torch::Tensor theirs = torch::from_blob(const_cast<float*>(results[i].output.data()), ours.sizes());
    const double scale = ours.abs().max().item<double>();
    EXPECT_LT((ours - theirs).abs().max().item<double>(), 1e-4 * std::max(1.0, scale)) << "largest logit " << scale;
  }
  fs::remove_all(folder);
}

TEST(OnnxExport, WeightsOfAnotherNetworkAreRefusedTensorByTensor) {
  const SearchSpace space = LoadSpace("mbv3_small_input");
  const NetworkSpec trained = space.Decode(space.Parse("r28-k37.573.35-e24.342.43-w24.32.64-s1.0.1-ah.r.h"));
  // s0.b0's kernel is 5, not 3.
  const NetworkSpec other = space.Decode(space.Parse("r28-k57.573.35-e24.342.43-w24.32.64-s1.0.1-ah.r.h"));
  Network net = RandomNetwork(trained, 1);
  std::map<std::string, FloatTensor> state = StateOf(net);
  state.erase("head_2.linear.bias");
  EXPECT_EQ(testing::ErrorOf([&] { FoldBatchNorm(other, state, "w/weights.pt"); }),
            "w/weights.pt: these weights are not this network's:\n"
            "  s0_b0.depthwise.weight: shape [16, 1, 3, 3], but the network needs [16, 1, 5, 5]\n"
            "  head_2.linear.bias: missing (the network needs shape [10])");
}

// What a runtime needs to feed the model travels in it.
TEST(OnnxExport, ModelRecordsItsInputContract) {
  const SearchSpace space = LoadSpace("mbv3_small_input");
  const std::string arch = "r24-k37.573.35-e24.342.43-w24.32.64-s1.0.1-ah.r.h";
  const NetworkSpec spec = space.Decode(space.Parse(arch));
  Network net = RandomNetwork(spec, 1);
  ModelDescription d;
  d.space = "mbv3_small_input";
  d.arch = arch;
  d.mean = {0.25f};
  d.std = {0.5f};
  d.class_names = {"a", "b", "c", "d", "e", "f", "g", "h", "i", "j"};
  const onnx::ModelProto model = BuildFp32Model(FoldBatchNorm(spec, StateOf(net), "w"), d);
  std::map<std::string, std::string> meta = ModelMetadata(model);
  EXPECT_EQ(meta["input_name"], "input");
  EXPECT_EQ(meta["input_shape"], "[\"batch\", 1, 24, 24]");
  EXPECT_EQ(meta["input_layout"], "NCHW");
  EXPECT_EQ(meta["resolution"], "24");
  EXPECT_NE(meta["resize"].find("bilinear"), std::string::npos);
  EXPECT_EQ(meta["mean"], "[0.25]");
  EXPECT_EQ(meta["std"], "[0.5]");
  EXPECT_EQ(meta["class_names"], "[\"a\",\"b\",\"c\",\"d\",\"e\",\"f\",\"g\",\"h\",\"i\",\"j\"]");
  EXPECT_EQ(meta["arch"], arch);
  EXPECT_EQ(meta["weights"], "trained");
  EXPECT_EQ(model.opset_import(0).version(), 13);
  const onnx::TensorShapeProto& input = model.graph().input(0).type().tensor_type().shape();
  ASSERT_EQ(input.dim_size(), 4);
  EXPECT_EQ(input.dim(0).dim_param(), "batch");
  EXPECT_EQ(input.dim(3).dim_value(), 24);
  EXPECT_NO_THROW(CheckOnnxModel(model));

  // A model ONNX's checker refuses is not written.
  onnx::ModelProto broken = model;
  broken.mutable_graph()->mutable_initializer()->RemoveLast();
  const std::string path = testing::UniqueTempPath("broken.onnx");
  EXPECT_NE(testing::ErrorOf([&] { WriteOnnxModel(broken, path); }).find("the ONNX model fails ONNX's checks: "),
            std::string::npos);
  EXPECT_FALSE(PathExists(path));
}

}  // namespace
}  // namespace edgenas
