#include "models/network_builder.h"

#include <gtest/gtest.h>

#include "space/network_stats.h"
#include "space/space_loader.h"

namespace edgenas {
namespace {

// For every space: the built network has exactly the parameters ComputeStats
// counts, and every layer turns its input shape into its LayerSpec's output shape.
TEST(NetworkBuilder, ParametersAndShapesMatchTheSpec) {
  torch::NoGradGuard no_grad;
  for (const std::string& name : BuiltinSpaceNames()) {
    const SearchSpace space = LoadSpace(name);
    Rng rng(3);
    for (int i = 0; i < 3; ++i) {
      Genome genome = space.Sample(rng);
      genome.genes[0] = 0;  // the smallest resolution keeps the forward pass cheap
      const NetworkSpec spec = space.Decode(genome);
      SCOPED_TRACE(name + " " + space.ToString(genome));
      Network net(spec);
      EXPECT_EQ(CountParameters(*net), ComputeStats(spec).params);
      net->eval();
      torch::Tensor x = torch::randn({1, spec.input_channels, spec.resolution, spec.resolution});
      for (size_t l = 0; l < spec.layers.size(); ++l) {
        x = net->layers()[l]->forward(x);
        const LayerSpec& s = spec.layers[l];
        const std::vector<int64_t> expected = s.op == LayerOp::kLinear
                                                  ? std::vector<int64_t>{1, s.out_channels}
                                                  : std::vector<int64_t>{1, s.out_channels, s.out_size, s.out_size};
        ASSERT_EQ(x.sizes().vec(), expected) << s.name;
      }
    }
  }
}

}  // namespace
}  // namespace edgenas
