// A Network's weights as a state_dict, the form weights.pt files hold: its
// float parameters and buffers by LibTorch's names ("s1_b0.expand.weight").
// BatchNorm's num_batches_tracked counters are left out; PyTorch fills them
// in when it loads a state_dict without them.
//
// LibTorch side.
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "accuracy/torch_state_dict.h"
#include "models/network_builder.h"

namespace edgenas {

// Parameters first, then buffers, each in the network's order.
std::vector<std::pair<std::string, FloatTensor>> NetworkStateDict(Network& net);

// Copies `state` into `net`. Throws Error naming `path` (where the state was
// read from) if a tensor is missing or has another shape.
void LoadNetworkStateDict(Network& net, const std::map<std::string, FloatTensor>& state, const std::string& path);

}  // namespace edgenas
