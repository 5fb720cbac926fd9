// LibTorch modules built from the shared layer vocabulary (space/layer_spec.h).
//
//   NetworkSpec --BuildNetwork--> Network (one child module per LayerSpec, same order)
//
// Every LayerSpec field that changes the computation is honoured: groups of the
// 1x1 convs (with a channel shuffle after the expand conv, as FBNet), SE with
// bias-carrying 1x1 convs and h-sigmoid, activations, BN, residual adds. The
// parameter count of a built network equals ComputeStats(spec).params exactly.
//
// This is the LibTorch side: only models/, the profiler and the edgenas-torch
// executable include this header.
#pragma once

#include <torch/torch.h>

#include "space/layer_spec.h"

namespace edgenas {

// One layer of a network; forward maps its input shape to its output shape.
class LayerModuleImpl : public torch::nn::Module {
 public:
  explicit LayerModuleImpl(const LayerSpec& spec);
  torch::Tensor forward(torch::Tensor x);

 private:
  torch::Tensor Activate(torch::Tensor x) const;
  LayerSpec spec_;
  // kConv / kLinear: the conv or linear, then optional BN. kMBConv: expand,
  // depthwise, SE and project parts.
  torch::nn::Conv2d conv_{nullptr}, expand_{nullptr}, depthwise_{nullptr}, project_{nullptr};
  torch::nn::Conv2d se_reduce_{nullptr}, se_expand_{nullptr};
  torch::nn::BatchNorm2d bn_{nullptr}, expand_bn_{nullptr}, depthwise_bn_{nullptr}, project_bn_{nullptr};
  torch::nn::Linear linear_{nullptr};
};
TORCH_MODULE(LayerModule);

class NetworkImpl : public torch::nn::Module {
 public:
  explicit NetworkImpl(const NetworkSpec& spec);
  torch::Tensor forward(torch::Tensor x);
  // The layers, in NetworkSpec order.
  std::vector<LayerModule>& layers() { return layers_; }

 private:
  std::vector<LayerModule> layers_;
};
TORCH_MODULE(Network);

// Total number of trainable parameters.
int64_t CountParameters(torch::nn::Module& module);

// Puts the conv weights in channels-last memory, oneDNN's fast path for every
// layer after them. The strides are set explicitly: `contiguous(ChannelsLast)`
// leaves a single-channel stem's [16, 1, 3, 3] weight in NCHW strides (with one
// channel it already counts as channels-last), oneDNN then picks NCHW for the
// stem and every layer after it, and a network of 28x28 grey images trains at
// half speed.
void ToChannelsLast(Network& net);

}  // namespace edgenas
