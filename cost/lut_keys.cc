#include "cost/lut_keys.h"

#include <fmt/format.h>

#include <algorithm>
#include <unordered_set>

namespace edgenas {

namespace {

std::string Shape(int size, int channels) { return fmt::format("{}x{}x{}", size, size, channels); }

// `proxyless`: ProxylessNAS's variant of the format. `expand` is the ratio, there
// are no se/hs fields, and the global pool is folded into Logits, whose input is
// the pool's input.
std::vector<std::string> OfaKeys(const NetworkSpec& net, bool proxyless) {
  std::vector<std::string> keys;
  int convs = 0;
  for (size_t i = 0; i < net.layers.size(); ++i) {
    const LayerSpec& l = net.layers[i];
    const std::string io = fmt::format("input:{}-output:{}", Shape(l.in_size, l.in_channels),
                                       Shape(l.out_size, l.out_channels));
    switch (l.op) {
      case LayerOp::kConv:
        keys.push_back(fmt::format("{}-{}", convs == 0 ? std::string("Conv") : fmt::format("Conv_{}", convs), io));
        ++convs;
        break;
      case LayerOp::kMBConv:
        if (proxyless) {
          keys.push_back(fmt::format("expanded_conv-{}-expand:{:g}-kernel:{}-stride:{}-idskip:{:d}", io, l.expand_ratio,
                                     l.kernel, l.stride, l.residual));
        } else {
          keys.push_back(fmt::format("expanded_conv-{}-expand:{}-kernel:{}-stride:{}-idskip:{:d}-se:{:d}-hs:{:d}", io,
                                     l.mid_channels, l.kernel, l.stride, l.residual, l.se,
                                     l.activation == Activation::kHSwish));
        }
        break;
      case LayerOp::kGlobalAvgPool:
        keys.push_back(proxyless ? "" : fmt::format("AvgPool2D-{}", io));
        break;
      case LayerOp::kLinear: {
        const bool pooled = proxyless && i > 0 && net.layers[i - 1].op == LayerOp::kGlobalAvgPool;
        const LayerSpec& in = pooled ? net.layers[i - 1] : l;
        keys.push_back(fmt::format("Logits-input:{}-output:{}", Shape(in.in_size, in.in_channels), l.out_channels));
        break;
      }
      case LayerOp::kIdentity:
        keys.emplace_back();
        break;
    }
  }
  return keys;
}

// HW-NAS-Bench's FBNet keys carry the input size, and skip operators have keys
// of their own, identities included (some devices give them a small cost).
std::vector<std::string> HwNasBenchKeys(const NetworkSpec& net) {
  std::vector<std::string> keys;
  for (const LayerSpec& l : net.layers) {
    const std::string hw = fmt::format("H{}_W{}_Cin{}_Cout{}", l.in_size, l.in_size, l.in_channels, l.out_channels);
    if (l.skip_op) {
      keys.push_back(fmt::format("Skip_{}_stride{}", hw, l.stride));
      continue;
    }
    switch (l.op) {
      case LayerOp::kConv:
        keys.push_back(fmt::format("ConvNorm_{}_kernel{}_stride{}_group{}", hw, l.kernel, l.stride, l.groups));
        break;
      case LayerOp::kMBConv:
        keys.push_back(fmt::format("ConvBlock_{}_exp{:g}_kernel{}_stride{}_group{}", hw, l.expand_ratio, l.kernel,
                                   l.stride, l.groups));
        break;
      case LayerOp::kGlobalAvgPool:
        keys.push_back(fmt::format("AvgP_{}_kernel{}_stride1", hw, l.in_size));
        break;
      case LayerOp::kLinear:
        keys.push_back(fmt::format("FC_Cin{}_Cout{}", l.in_channels, l.out_channels));
        break;
      case LayerOp::kIdentity:
        keys.emplace_back();
        break;
    }
  }
  return keys;
}

std::vector<std::string> NativeKeys(const NetworkSpec& net) {
  std::vector<std::string> keys;
  for (const LayerSpec& l : net.layers) {
    const std::string io = fmt::format("in:{}-out:{}", Shape(l.in_size, l.in_channels), Shape(l.out_size, l.out_channels));
    const char* act = ActivationToString(l.activation);
    switch (l.op) {
      case LayerOp::kConv:
        keys.push_back(fmt::format("{}-{}-k{}-s{}-g{}-bn{:d}-bias{:d}-{}", l.skip_op ? "skipconv" : "conv", io, l.kernel,
                                   l.stride, l.groups, l.batch_norm, l.bias, act));
        break;
      case LayerOp::kMBConv:
        keys.push_back(fmt::format("mbconv-{}-k{}-s{}-g{}-mid{}{}-se{}-{}-res{:d}", io, l.kernel, l.stride, l.groups,
                                   l.mid_channels, l.has_expand_conv ? "" : "-noexpand", l.se ? l.se_channels : 0, act,
                                   l.residual));
        break;
      case LayerOp::kIdentity:
        keys.emplace_back();  // no computation at all
        break;
      case LayerOp::kGlobalAvgPool:
        keys.push_back(fmt::format("avgpool-{}", io));
        break;
      case LayerOp::kLinear:
        keys.push_back(fmt::format("linear-in:{}-out:{}", Shape(l.in_size, l.in_channels), l.out_channels));
        break;
    }
  }
  return keys;
}

}  // namespace

std::vector<std::string> LutKeys(const NetworkSpec& net, LutKeyFormat format) {
  switch (format) {
    case LutKeyFormat::kOfa: return OfaKeys(net, false);
    case LutKeyFormat::kProxyless: return OfaKeys(net, true);
    case LutKeyFormat::kHwNasBench: return HwNasBenchKeys(net);
    case LutKeyFormat::kNative: return NativeKeys(net);
  }
  return {};
}

std::vector<KeyedLayer> DistinctLayers(const SearchSpace& space, LutKeyFormat format, const std::vector<int>& resolutions) {
  const SpaceSpec& spec = space.spec();
  std::vector<KeyedLayer> layers;
  std::unordered_set<std::string> seen;
  auto add = [&](const NetworkSpec& net) {
    const std::vector<std::string> keys = LutKeys(net, format);
    for (size_t i = 0; i < keys.size(); ++i) {
      if (!keys[i].empty() && seen.insert(keys[i]).second) layers.push_back({keys[i], net.layers[i]});
    }
  };
  for (size_t ri = 0; ri < spec.resolutions.size(); ++ri) {
    if (!resolutions.empty() &&
        std::find(resolutions.begin(), resolutions.end(), spec.resolutions[ri]) == resolutions.end()) {
      continue;
    }
    const Genome genome = space.DeepestGenome(static_cast<int>(ri));
    add(space.Decode(genome));
    for (size_t s = 0; s < spec.stages.size(); ++s) {
      const int stage = static_cast<int>(s);
      for (int b = 0; b < spec.stages[s].max_depth(); ++b) {
        Genome probe = genome;
        for (int c = 0; c < space.NumSlotChoices(stage, b); ++c) {
          space.SetSlotChoice(&probe, stage, b, c);
          add(space.Decode(probe));
        }
      }
    }
  }
  return layers;
}

}  // namespace edgenas
