#include "models/network_builder.h"

#include <algorithm>

namespace edgenas {

namespace {

torch::nn::Conv2d Conv(int in, int out, int kernel, int stride, int groups, bool bias) {
  return torch::nn::Conv2d(
      torch::nn::Conv2dOptions(in, out, kernel).stride(stride).padding(kernel / 2).groups(groups).bias(bias));
}

// FBNet's shuffle after a grouped 1x1 conv: [N, g, C/g, H, W] -> [N, C/g, g, H, W].
torch::Tensor ChannelShuffle(const torch::Tensor& x, int64_t groups) {
  const auto n = x.size(0), c = x.size(1), h = x.size(2), w = x.size(3);
  return x.view({n, groups, c / groups, h, w}).transpose(1, 2).contiguous().view({n, c, h, w});
}

}  // namespace

LayerModuleImpl::LayerModuleImpl(const LayerSpec& s) : spec_(s) {
  switch (s.op) {
    case LayerOp::kConv:
      conv_ = register_module("conv", Conv(s.in_channels, s.out_channels, s.kernel, s.stride, s.groups, s.bias));
      if (s.batch_norm) bn_ = register_module("bn", torch::nn::BatchNorm2d(s.out_channels));
      break;
    case LayerOp::kMBConv:
      if (s.has_expand_conv) {
        expand_ = register_module("expand", Conv(s.in_channels, s.mid_channels, 1, 1, s.groups, false));
        expand_bn_ = register_module("expand_bn", torch::nn::BatchNorm2d(s.mid_channels));
      }
      depthwise_ =
          register_module("depthwise", Conv(s.mid_channels, s.mid_channels, s.kernel, s.stride, s.mid_channels, false));
      depthwise_bn_ = register_module("depthwise_bn", torch::nn::BatchNorm2d(s.mid_channels));
      if (s.se) {
        se_reduce_ = register_module("se_reduce", Conv(s.mid_channels, s.se_channels, 1, 1, 1, true));
        se_expand_ = register_module("se_expand", Conv(s.se_channels, s.mid_channels, 1, 1, 1, true));
      }
      project_ = register_module("project", Conv(s.mid_channels, s.out_channels, 1, 1, s.groups, false));
      project_bn_ = register_module("project_bn", torch::nn::BatchNorm2d(s.out_channels));
      break;
    case LayerOp::kLinear:
      linear_ = register_module("linear", torch::nn::Linear(s.in_channels, s.out_channels));
      break;
    case LayerOp::kIdentity:
    case LayerOp::kGlobalAvgPool:
      break;
  }
}

torch::Tensor LayerModuleImpl::Activate(torch::Tensor x) const {
  switch (spec_.activation) {
    case Activation::kNone: return x;
    case Activation::kReLU: return torch::relu(x);
    case Activation::kReLU6: return torch::clamp(x, 0, 6);
    case Activation::kHSwish: return torch::hardswish(x);
  }
  return x;
}

torch::Tensor LayerModuleImpl::forward(torch::Tensor x) {
  switch (spec_.op) {
    case LayerOp::kConv: {
      torch::Tensor y = conv_->forward(x);
      if (bn_) y = bn_->forward(y);
      return Activate(y);
    }
    case LayerOp::kMBConv: {
      torch::Tensor y = x;
      if (expand_) {
        y = Activate(expand_bn_->forward(expand_->forward(y)));
        if (spec_.groups > 1) y = ChannelShuffle(y, spec_.groups);
      }
      y = Activate(depthwise_bn_->forward(depthwise_->forward(y)));
      if (se_reduce_) {
        torch::Tensor w = torch::adaptive_avg_pool2d(y, {1, 1});
        w = torch::hardsigmoid(se_expand_->forward(torch::relu(se_reduce_->forward(w))));
        y = y * w;
      }
      y = project_bn_->forward(project_->forward(y));
      return spec_.residual ? y + x : y;
    }
    case LayerOp::kIdentity:
      return x;
    case LayerOp::kGlobalAvgPool:
      return torch::adaptive_avg_pool2d(x, {1, 1});
    case LayerOp::kLinear:
      return linear_->forward(x.flatten(1));
  }
  return x;
}

NetworkImpl::NetworkImpl(const NetworkSpec& spec) {
  for (const LayerSpec& layer : spec.layers) {
    // LibTorch forbids dots in module names: "s1.b0" is registered as "s1_b0".
    std::string name = layer.name;
    std::replace(name.begin(), name.end(), '.', '_');
    layers_.push_back(register_module(name, LayerModule(layer)));
  }
}

torch::Tensor NetworkImpl::forward(torch::Tensor x) {
  for (LayerModule& layer : layers_) x = layer->forward(x);
  return x;
}

void ToChannelsLast(Network& net) {
  torch::NoGradGuard no_grad;
  for (torch::Tensor& p : net->parameters()) {
    if (p.dim() == 4) p.set_data(torch::empty_like(p, p.options(), torch::MemoryFormat::ChannelsLast).copy_(p));
  }
}

int64_t CountParameters(torch::nn::Module& module) {
  int64_t count = 0;
  for (const torch::Tensor& p : module.parameters()) count += p.numel();
  return count;
}

}  // namespace edgenas
