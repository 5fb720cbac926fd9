#include "models/network_weights.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>

#include "common/file_util.h"
#include "space/space_loader.h"
#include "models/random_network.h"
#include "test_util.h"

namespace edgenas {
namespace {

namespace fs = std::filesystem;
using testing::RandomNetwork;

TEST(NetworkWeights, StateDictRoundTrips) {
  const SearchSpace space = LoadSpace("ofa_mbv3_w1.0");
  const NetworkSpec spec = space.Decode(space.Parse("r128-k357.357.357.357.357-e346.346.346.346.346"));
  Network a = RandomNetwork(spec, 1);
  Network b = RandomNetwork(spec, 2);
  const std::string path = testing::UniqueTempPath("round_trip.pt");
  WriteTorchStateDict(path, NetworkStateDict(a));
  LoadNetworkStateDict(b, ReadTorchStateDict(path), path);
  const torch::Tensor x = torch::randn({2, 3, 128, 128});
  EXPECT_TRUE(torch::equal(a->forward(x), b->forward(x)));
  auto state = ReadTorchStateDict(path);
  state.erase("stem_0.conv.weight");
  EXPECT_EQ(testing::ErrorOf([&] { LoadNetworkStateDict(b, state, "w.pt"); }),
            "w.pt: no tensor 'stem_0.conv.weight' for this network");
  fs::remove(path);
}

// The same weights give the same logits in LibTorch and in Python's torch,
// whose network tools/torch_reference.py builds from `edgenas arch describe
// --json`: a second implementation of every layer kind (SE and h-swish in
// Once-for-All, grouped 1x1 convs and the channel shuffle in FBNet, skip
// convs in NAS-Bench-Macro and ProxylessNAS, stage choices in mbv3_small_input).
TEST(NetworkWeights, PythonTorchComputesTheSameLogits) {
  EDGENAS_REQUIRE_INSTALLED(testing::PythonTorchMissing());
  const std::string folder = testing::UniqueTempPath("python_logits");
  fs::create_directories(folder);
  const std::vector<std::pair<std::string, std::string>> networks = {
      {"ofa_mbv3_w1.2", "r160-k357.375.735.557.373-e643.436.364.463.634"},
      {"fbnet", "5352523476172684737875"},
      {"nas_bench_macro", "01212021"},
      {"proxylessnas_mobile", "204324324531501316204"},
      // Single-channel input; SE and h-swish chosen per stage.
      {"mbv3_small_input", "r28-k37.573.35-e24.342.43-w24.32.64-s1.0.1-ah.r.h"},
  };
  for (const auto& [space_name, arch] : networks) {
    SCOPED_TRACE(space_name);
    const SearchSpace space = LoadSpace(space_name);
    const NetworkSpec spec = space.Decode(space.Parse(arch));
    Network net = RandomNetwork(spec, 3);
    const std::string weights = folder + "/weights.pt", input = folder + "/input.pt", out = folder + "/out.pt",
                      layers = folder + "/layers.json";
    WriteTorchStateDict(weights, NetworkStateDict(net));
    const torch::Tensor x = torch::randn({2, spec.input_channels, spec.resolution, spec.resolution});
    FloatTensor x_tensor{{x.sizes().begin(), x.sizes().end()}, {x.data_ptr<float>(), x.data_ptr<float>() + x.numel()}};
    WriteTorchStateDict(input, {{"input", x_tensor}});
    ASSERT_EQ(std::system((std::string(EDGENAS_BINARY) + " arch describe --json --space " + space_name + " '" + arch +
                           "' > " + layers)
                              .c_str()),
              0);
    ASSERT_EQ(std::system(("/usr/bin/python3 " + std::string(EDGENAS_SOURCE_ROOT) + "/tools/torch_reference.py logits " +
                           layers + " " + weights + " " + input + " " + out)
                              .c_str()),
              0);
    torch::NoGradGuard no_grad;
    const torch::Tensor ours = net->forward(x);
    const FloatTensor theirs = ReadTorchStateDict(out).at("logits");
    ASSERT_EQ(theirs.shape, (std::vector<int64_t>{ours.size(0), ours.size(1)}));
    const torch::Tensor python = torch::from_blob(const_cast<float*>(theirs.values.data()), ours.sizes()).clone();
    const double scale = ours.abs().max().item<double>();
    EXPECT_LT((ours - python).abs().max().item<double>(), 1e-5 * std::max(1.0, scale)) << "largest logit " << scale;
  }
  fs::remove_all(folder);
}

}  // namespace
}  // namespace edgenas
