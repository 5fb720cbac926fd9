#include "predictors/lut_keys.h"

#include <fmt/format.h>

namespace edgenas {

namespace {

std::string Shape(int size, int channels) { return fmt::format("{}x{}x{}", size, size, channels); }

std::vector<std::string> OfaKeys(const NetworkSpec& net) {
  std::vector<std::string> keys;
  int convs = 0;
  for (const LayerSpec& l : net.layers) {
    const std::string io = fmt::format("input:{}-output:{}", Shape(l.in_size, l.in_channels),
                                       Shape(l.out_size, l.out_channels));
    switch (l.op) {
      case LayerOp::kConv:
        keys.push_back(fmt::format("{}-{}", convs == 0 ? std::string("Conv") : fmt::format("Conv_{}", convs), io));
        ++convs;
        break;
      case LayerOp::kMBConv:
        keys.push_back(fmt::format("expanded_conv-{}-expand:{}-kernel:{}-stride:{}-idskip:{:d}-se:{:d}-hs:{:d}", io,
                                   l.mid_channels, l.kernel, l.stride, l.residual, l.se,
                                   l.activation == Activation::kHSwish));
        break;
      case LayerOp::kGlobalAvgPool:
        keys.push_back(fmt::format("AvgPool2D-{}", io));
        break;
      case LayerOp::kLinear:
        keys.push_back(fmt::format("Logits-input:{}-output:{}", Shape(l.in_size, l.in_channels), l.out_channels));
        break;
      case LayerOp::kIdentity:
        keys.emplace_back();
        break;
    }
  }
  return keys;
}

}  // namespace

std::vector<std::string> LutKeys(const NetworkSpec& net, LutKeyFormat format) {
  switch (format) {
    case LutKeyFormat::kOfa: return OfaKeys(net);
  }
  return {};
}

}  // namespace edgenas
