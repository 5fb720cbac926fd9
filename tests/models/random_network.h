// A LibTorch network with every weight and BatchNorm statistic drawn at
// random, for tests that compare a second implementation against it.
#pragma once

#include <cstdint>

#include "models/network_builder.h"

namespace edgenas::testing {

// No layer is the identity it starts as: BatchNorm scales up to 8 and shifts
// of +-2 put many activations past ReLU6's clip and into h-swish's curve.
// The network is in eval mode.
inline Network RandomNetwork(const NetworkSpec& spec, uint64_t seed) {
  torch::manual_seed(seed);
  Network net(spec);
  torch::NoGradGuard no_grad;
  for (auto& b : net->named_buffers()) {
    if (b.key().find("running_mean") != std::string::npos) b.value().uniform_(-0.5, 0.5);
    if (b.key().find("running_var") != std::string::npos) b.value().uniform_(0.5, 2.0);
  }
  for (auto& p : net->named_parameters()) {
    if (p.key().find("bn.weight") != std::string::npos) p.value().uniform_(0.5, 8.0);
    if (p.key().find("bn.bias") != std::string::npos) p.value().uniform_(-2.0, 2.0);
  }
  net->eval();
  return net;
}

}  // namespace edgenas::testing
