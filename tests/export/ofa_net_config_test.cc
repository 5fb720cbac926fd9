// Once-for-All's net.config for a subnet: the fields OFA's
// get_active_net_config() writes, with the values its constructor computes
// for the width-1.2 supernet (make_divisible(16 x 1.2) = 24, 960 x 1.2 = 1152,
// 1280 x 1.2 = 1536, mid = make_divisible(round(in x e))).
#include "export/ofa_net_config.h"

#include <gtest/gtest.h>

#include "space/space_loader.h"
#include "test_util.h"

namespace edgenas {
namespace {

TEST(OfaNetConfig, DescribesTheSubnetAsOnceForAllsCodeDoes) {
  const SearchSpace space = LoadSpace("ofa_mbv3_w1.2");
  const nlohmann::json c = OfaNetConfig(space.Decode(space.Parse("r160-k33.33.33.33.33-e33.33.33.33.33")));
  EXPECT_EQ(c["name"], "MobileNetV3");
  EXPECT_EQ(c["bn"], nlohmann::json::parse(R"({"momentum": 0.1, "eps": 1e-05, "ws_eps": null})"));
  EXPECT_EQ(c["first_conv"], nlohmann::json::parse(R"({"name": "ConvLayer", "kernel_size": 3, "stride": 2,
      "dilation": 1, "groups": 1, "bias": false, "has_shuffle": false, "use_se": false, "in_channels": 3,
      "out_channels": 24, "use_bn": true, "act_func": "h_swish", "dropout_rate": 0, "ops_order": "weight_bn_act"})"));
  // The static first block, then 5 stages of 2.
  ASSERT_EQ(c["blocks"].size(), 11u);
  EXPECT_EQ(c["blocks"][0], nlohmann::json::parse(R"({"name": "ResidualBlock",
      "conv": {"name": "MBConvLayer", "in_channels": 24, "out_channels": 24, "kernel_size": 3, "stride": 1,
               "expand_ratio": 1, "mid_channels": null, "act_func": "relu", "use_se": false, "groups": null},
      "shortcut": {"name": "IdentityLayer", "in_channels": 24, "out_channels": 24, "use_bn": false,
                   "act_func": null, "dropout_rate": 0, "ops_order": "weight_bn_act"}})"));
  // A stage's first block: strided, no shortcut; SE in stage 1; h-swish from stage 2.
  EXPECT_EQ(c["blocks"][1], nlohmann::json::parse(R"({"name": "ResidualBlock",
      "conv": {"name": "MBConvLayer", "in_channels": 24, "out_channels": 32, "kernel_size": 3, "stride": 2,
               "expand_ratio": 3, "mid_channels": 72, "act_func": "relu", "use_se": false},
      "shortcut": null})"));
  EXPECT_EQ(c["blocks"][4]["conv"]["use_se"], true);
  EXPECT_EQ(c["blocks"][8]["conv"]["mid_channels"], 408);
  EXPECT_EQ(c["blocks"][8]["conv"]["act_func"], "h_swish");
  EXPECT_EQ(c["blocks"][8]["shortcut"]["in_channels"], 136);
  EXPECT_EQ(c["final_expand_layer"]["in_channels"], 192);
  EXPECT_EQ(c["final_expand_layer"]["out_channels"], 1152);
  EXPECT_EQ(c["final_expand_layer"]["use_bn"], true);
  EXPECT_EQ(c["feature_mix_layer"]["out_channels"], 1536);
  EXPECT_EQ(c["feature_mix_layer"]["use_bn"], false);
  EXPECT_EQ(c["feature_mix_layer"]["bias"], false);
  EXPECT_EQ(c["classifier"], nlohmann::json::parse(R"({"name": "LinearLayer", "in_features": 1536,
      "out_features": 1000, "bias": true, "use_bn": false, "act_func": null, "dropout_rate": 0.1,
      "ops_order": "weight_bn_act"})"));
}

TEST(OfaNetConfig, OtherNetworksAreRefusedAtTheFirstLayerThatDoesNotFit) {
  const SearchSpace macro = LoadSpace("nas_bench_macro");
  EXPECT_EQ(testing::ErrorOf([&] { OfaNetConfig(macro.Decode(macro.Parse("22212220"))); }),
            "layer s0.b0 (mbconv): not an OFA MobileNetV3 network, whose layer here is the first block (expand ratio 1)");
}

}  // namespace
}  // namespace edgenas
