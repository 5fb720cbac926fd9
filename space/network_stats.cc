#include "space/network_stats.h"

#include <algorithm>

#include "common/error.h"

namespace edgenas {

namespace {

// Counts above this are refused rather than left to overflow int64.
constexpr double kMaxCount = 4.0e18;

void CheckCount(double value, const char* what) {
  EDGENAS_THROW_IF_NOT_FMT(value <= kMaxCount, "{} of {:.3g} overflow the count: the network is absurdly large", what,
                           value);
}

Primitive Conv(const char* name, int64_t in_channels, int64_t out_channels, int64_t out_size, int64_t kernel,
               int64_t groups, bool bias, bool batch_norm, int64_t live) {
  Primitive p{name};
  CheckCount(static_cast<double>(out_size) * out_size * out_channels * (in_channels / groups) * kernel * kernel, "MACs");
  CheckCount(static_cast<double>(out_channels) * (in_channels / groups) * kernel * kernel, "parameters");
  p.macs = out_size * out_size * out_channels * (in_channels / groups) * kernel * kernel;
  p.params = out_channels * (in_channels / groups) * kernel * kernel + (bias ? out_channels : 0) +
             (batch_norm ? 2 * out_channels : 0);
  p.live_activations = live;
  return p;
}

Primitive Memory(const char* name, int64_t live) {
  Primitive p{name};
  p.live_activations = live;
  return p;
}

void LowerMBConv(const LayerSpec& l, std::vector<Primitive>* ops) {
  const int64_t m = l.mid_channels;
  const int64_t x = int64_t{l.in_channels} * l.in_size * l.in_size;  // block input
  const int64_t e = m * l.in_size * l.in_size;                        // expanded
  const int64_t d = m * l.out_size * l.out_size;                      // depthwise output
  const int64_t y = int64_t{l.out_channels} * l.out_size * l.out_size;
  const int64_t held = l.residual ? x : 0;  // kept for the residual add
  const bool bn = l.batch_norm;
  if (l.has_expand_conv) {
    ops->push_back(Conv("expand_conv", l.in_channels, m, l.in_size, 1, l.groups, false, bn, x + e));
    ops->push_back(Conv("depthwise_conv", m, m, l.out_size, l.kernel, m, false, bn, e + d + held));
  } else {
    ops->push_back(Conv("depthwise_conv", m, m, l.out_size, l.kernel, m, false, bn, x + d));
  }
  if (l.se) {
    // Pool -> 1x1 reduce (bias) -> ReLU -> 1x1 expand (bias) -> h-sigmoid -> scale the depthwise output.
    const int64_t s = l.se_channels;
    ops->push_back(Memory("se_pool", d + m + held));
    ops->push_back(Conv("se_reduce", m, s, 1, 1, 1, true, false, d + m + s + held));
    ops->push_back(Conv("se_expand", s, m, 1, 1, 1, true, false, d + s + m + held));
    ops->push_back(Memory("se_scale", 2 * d + m + held));
  }
  ops->push_back(Conv("project_conv", m, l.out_channels, l.out_size, 1, l.groups, false, bn, d + y + held));
  if (l.residual) ops->push_back(Memory("residual_add", x + 2 * y));
}

}  // namespace

std::vector<Primitive> LowerToPrimitives(const LayerSpec& l) {
  const int64_t in_values = int64_t{l.in_channels} * l.in_size * l.in_size;
  const int64_t out_values = int64_t{l.out_channels} * l.out_size * l.out_size;
  std::vector<Primitive> ops;
  switch (l.op) {
    case LayerOp::kConv:
      ops.push_back(Conv("conv", l.in_channels, l.out_channels, l.out_size, l.kernel, l.groups, l.bias, l.batch_norm,
                         in_values + out_values));
      break;
    case LayerOp::kMBConv:
      LowerMBConv(l, &ops);
      break;
    case LayerOp::kIdentity:
      ops.push_back(Memory("identity", in_values));
      break;
    case LayerOp::kGlobalAvgPool:
      ops.push_back(Memory("avgpool", in_values + out_values));
      break;
    case LayerOp::kLinear: {
      Primitive p{"linear"};
      p.macs = int64_t{l.in_channels} * l.out_channels;
      p.params = p.macs + l.out_channels;
      p.live_activations = in_values + out_values;
      ops.push_back(p);
      break;
    }
  }
  EDGENAS_ASSERT(!ops.empty());
  return ops;
}

LayerStats ComputeLayerStats(const LayerSpec& layer) {
  LayerStats s;
  for (const Primitive& p : LowerToPrimitives(layer)) {
    s.macs += p.macs;
    s.params += p.params;
    s.peak_activations = std::max(s.peak_activations, p.live_activations);
  }
  return s;
}

NetworkStats ComputeStats(const NetworkSpec& network) {
  NetworkStats stats;
  stats.layers.reserve(network.layers.size());
  for (const LayerSpec& layer : network.layers) {
    const LayerStats s = ComputeLayerStats(layer);
    CheckCount(static_cast<double>(stats.macs) + static_cast<double>(s.macs), "MACs");
    CheckCount(static_cast<double>(stats.params) + static_cast<double>(s.params), "parameters");
    stats.macs += s.macs;
    stats.params += s.params;
    stats.peak_activations = std::max(stats.peak_activations, s.peak_activations);
    stats.layers.push_back(s);
  }
  return stats;
}

}  // namespace edgenas
