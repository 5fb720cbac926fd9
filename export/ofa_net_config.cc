#include "export/ofa_net_config.h"

#include <cmath>

#include <fmt/format.h>

#include "common/error.h"

namespace edgenas {

namespace {

const char* OfaActivation(const LayerSpec& layer) {
  switch (layer.activation) {
    case Activation::kReLU: return "relu";
    case Activation::kHSwish: return "h_swish";
    default:
      EDGENAS_THROW_FMT("layer {}: activation {} is not one of Once-for-All's MobileNetV3 (relu, h_swish)", layer.name,
                        ActivationToString(layer.activation));
  }
}

void Expect(bool fits, const LayerSpec& layer, const char* what) {
  EDGENAS_THROW_IF_NOT_FMT(fits, "layer {} ({}): not an OFA MobileNetV3 network, whose layer here is {}", layer.name,
                           LayerOpToString(layer.op), what);
}

// ConvLayer.config: every field, as the static layer writes it.
nlohmann::json ConvLayerConfig(const LayerSpec& layer) {
  return {{"name", "ConvLayer"},      {"kernel_size", layer.kernel}, {"stride", layer.stride},
          {"dilation", 1},            {"groups", layer.groups},      {"bias", layer.bias},
          {"has_shuffle", false},     {"use_se", false},             {"in_channels", layer.in_channels},
          {"out_channels", layer.out_channels}, {"use_bn", layer.batch_norm}, {"act_func", OfaActivation(layer)},
          {"dropout_rate", 0},        {"ops_order", "weight_bn_act"}};
}

nlohmann::json IdentityShortcut(int channels) {
  return {{"name", "IdentityLayer"}, {"in_channels", channels}, {"out_channels", channels}, {"use_bn", false},
          {"act_func", nullptr},     {"dropout_rate", 0},       {"ops_order", "weight_bn_act"}};
}

nlohmann::json ExpandRatio(double ratio) {
  return ratio == std::round(ratio) ? nlohmann::json(static_cast<int>(ratio)) : nlohmann::json(ratio);
}

}  // namespace

nlohmann::json OfaNetConfig(const NetworkSpec& spec) {
  const std::vector<LayerSpec>& l = spec.layers;
  EDGENAS_THROW_IF_NOT_FMT(l.size() >= 7, "a network of {} layers is not an OFA MobileNetV3 network", l.size());
  const size_t head = l.size() - 4;  // final expand, pool, feature mix, classifier
  Expect(l[0].op == LayerOp::kConv, l[0], "the first conv");
  Expect(l[1].op == LayerOp::kMBConv && !l[1].has_expand_conv, l[1], "the first block (expand ratio 1)");
  Expect(l[head].op == LayerOp::kConv && l[head].kernel == 1, l[head], "the final expand conv (1x1)");
  Expect(l[head + 1].op == LayerOp::kGlobalAvgPool, l[head + 1], "the average pool");
  Expect(l[head + 2].op == LayerOp::kConv && l[head + 2].kernel == 1, l[head + 2], "the feature mix conv (1x1)");
  Expect(l[head + 3].op == LayerOp::kLinear, l[head + 3], "the classifier");

  nlohmann::json blocks = nlohmann::json::array();
  // The first block is a static layer: its config has every field.
  blocks.push_back({{"name", "ResidualBlock"},
                    {"conv",
                     {{"name", "MBConvLayer"},
                      {"in_channels", l[1].in_channels},
                      {"out_channels", l[1].out_channels},
                      {"kernel_size", l[1].kernel},
                      {"stride", l[1].stride},
                      {"expand_ratio", 1},
                      {"mid_channels", nullptr},
                      {"act_func", OfaActivation(l[1])},
                      {"use_se", l[1].se},
                      {"groups", nullptr}}},
                    {"shortcut", l[1].residual ? IdentityShortcut(l[1].out_channels) : nlohmann::json(nullptr)}});
  for (size_t i = 2; i < head; ++i) {
    Expect(l[i].op == LayerOp::kMBConv, l[i], "an MBConv block");
    // DynamicMBConvLayer.get_active_subnet_config: no groups.
    blocks.push_back({{"name", "ResidualBlock"},
                      {"conv",
                       {{"name", "MBConvLayer"},
                        {"in_channels", l[i].in_channels},
                        {"out_channels", l[i].out_channels},
                        {"kernel_size", l[i].kernel},
                        {"stride", l[i].stride},
                        {"expand_ratio", ExpandRatio(l[i].expand_ratio)},
                        {"mid_channels", l[i].mid_channels},
                        {"act_func", OfaActivation(l[i])},
                        {"use_se", l[i].se}}},
                      {"shortcut", l[i].residual ? IdentityShortcut(l[i].out_channels) : nlohmann::json(nullptr)}});
  }
  const LayerSpec& classifier = l[head + 3];
  return {{"name", "MobileNetV3"},
          // LibTorch's and OFA's BatchNorm settings; OFA writes ws_eps null
          // for plain convolutions.
          {"bn", {{"momentum", 0.1}, {"eps", 1e-5}, {"ws_eps", nullptr}}},
          {"first_conv", ConvLayerConfig(l[0])},
          {"blocks", blocks},
          {"final_expand_layer", ConvLayerConfig(l[head])},
          {"feature_mix_layer", ConvLayerConfig(l[head + 2])},
          {"classifier",
           {{"name", "LinearLayer"},
            {"in_features", classifier.in_channels},
            {"out_features", classifier.out_channels},
            {"bias", true},
            {"use_bn", false},
            {"act_func", nullptr},
            {"dropout_rate", 0.1},  // the supernet's, which its config carries
            {"ops_order", "weight_bn_act"}}}};
}

}  // namespace edgenas
