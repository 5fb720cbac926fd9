#include <gtest/gtest.h>

#include <tuple>

#include "common/error.h"
#include "space/space_loader.h"
#include "test_util.h"

namespace edgenas {
namespace {

std::string ParseError(const SearchSpace& space, const std::string& arch) {
  return testing::ErrorOf([&] { space.Parse(arch); });
}

TEST(ArchString, RoundTripsInEverySpace) {
  for (const std::string& name : BuiltinSpaceNames()) {
    SCOPED_TRACE(name);
    const SearchSpace space = LoadSpace(name);
    Rng rng(11);
    for (int i = 0; i < 200; ++i) {
      const Genome g = space.Canonical(space.Sample(rng));
      const std::string text = space.ToString(g);
      ASSERT_EQ(space.Parse(text), g) << text;
      if (space.has_ofa_json()) {
        ASSERT_EQ(space.Parse(space.ToOfaJson(g)), g);
      }
    }
  }
}

TEST(ArchString, KnownForms) {
  const SearchSpace macro = LoadSpace("nas_bench_macro");
  EXPECT_EQ(macro.ToString(macro.Parse("22212220")), "22212220");

  const SearchSpace ofa = LoadSpace("ofa_mbv3_w1.2");
  const std::string tutorial = testing::OfaJson({3, 3, 7, 7, 5, 3, 5, 3, 7, 5, 3, 5, 3, 3, 3, 3, 3, 3, 5, 3},
                                                {3, 4, 4, 6, 6, 4, 3, 3, 6, 3, 3, 3, 4, 3, 6, 4, 6, 6, 6, 6},
                                                {2, 3, 4, 3, 3}, 192);
  const Genome g = ofa.Parse(tutorial);
  EXPECT_EQ(ofa.ToString(g), "r192-k33.535.7535.333.335-e34.643.6333.436.666");
  // Unused slots are kept as read, so the OFA JSON form round-trips unchanged.
  EXPECT_EQ(ofa.ToOfaJson(g),
            "{\"d\":[2,3,4,3,3],\"e\":[3,4,4,6,6,4,3,3,6,3,3,3,4,3,6,4,6,6,6,6],"
            "\"ks\":[3,3,7,7,5,3,5,3,7,5,3,5,3,3,3,3,3,3,5,3],\"r\":[192]}");
  // OFA's samples carry "wid": null and may give r as a number.
  EXPECT_EQ(ofa.Parse("{\"wid\": null, \"ks\": " + std::string("[3,3,7,7,5,3,5,3,7,5,3,5,3,3,3,3,3,3,5,3]") +
                      ", \"e\": [3,4,4,6,6,4,3,3,6,3,3,3,4,3,6,4,6,6,6,6], \"d\": [2,3,4,3,3], \"r\": 192}"),
            g);

  const SearchSpace fbnet = LoadSpace("fbnet");
  EXPECT_EQ(fbnet.ToString(fbnet.Parse("0123456780123456780123")), "0123456780123456780123");
}

// Stage choices: one width, SE bit and activation letter per stage, after the
// kernels and expand ratios; each decodes into the stage's blocks and the head.
TEST(ArchString, StageChoicesDecodeIntoEveryBlockOfTheStage) {
  const SearchSpace space = LoadSpace("mbv3_small_input");
  const std::string arch = "r28-k3.75.357-e2.43.234-w24.32.64-s0.1.0-ar.h.h";
  const Genome g = space.Parse(arch);
  EXPECT_EQ(space.ToString(g), arch);
  const NetworkSpec net = space.Decode(g);
  ASSERT_EQ(net.layers.size(), 1u + 6u + 3u);
  const LayerSpec& s0 = net.layers[1];
  EXPECT_EQ(s0.in_channels, 8);
  EXPECT_EQ(s0.out_channels, 24);
  EXPECT_FALSE(s0.se);
  EXPECT_EQ(s0.activation, Activation::kReLU);
  for (int i : {2, 3}) {  // stage 1: width 32, SE, h-swish
    EXPECT_EQ(net.layers[i].out_channels, 32);
    EXPECT_TRUE(net.layers[i].se);
    EXPECT_EQ(net.layers[i].activation, Activation::kHSwish);
  }
  EXPECT_EQ(net.layers[2].in_channels, 24);  // the first block reads the previous stage's width
  EXPECT_EQ(net.layers[2].mid_channels, 96);  // 24 * 4
  EXPECT_EQ(net.layers[7].in_channels, 64);   // the head reads the last stage's width
  EXPECT_THROW(space.ToOfaJson(g), Error);

  // Each slot's choice packs the stage genes it reads: setting it back from the
  // number reproduces the same layer.
  const auto shape = [](const LayerSpec& l) {
    return std::make_tuple(l.in_channels, l.out_channels, l.mid_channels, l.kernel, l.stride, l.se, l.activation);
  };
  size_t layer = 1;  // g's layers in use, after the stem
  for (size_t k = 0; k < space.block_slots().size(); ++k) {
    const BlockSlot& slot = space.block_slots()[k];
    Genome probe = space.DeepestGenome(space.ResolutionIndex(28));
    space.SetSlotChoice(&probe, slot.stage, slot.block, slot.Choice(g));
    EXPECT_EQ(slot.Choice(probe), slot.Choice(g));
    if (!slot.InUse(g)) continue;
    EXPECT_EQ(shape(space.Decode(probe).layers[1 + k]), shape(net.layers[layer++])) << "slot " << k;
  }
  const BlockSlot& first_of_stage1 = space.block_slots()[2];
  EXPECT_EQ(first_of_stage1.num_choices, 3 * 4 * 3 * 4 * 2 * 2);  // kernel, expand, previous width, width, SE, act
}

TEST(ArchString, StageChoiceErrorsNameTheStageAndTheChoices) {
  const SearchSpace space = LoadSpace("mbv3_small_input");
  auto error = [&](const std::string& arch) { return testing::ErrorOf([&] { space.Parse(arch); }); };
  EXPECT_EQ(error("r28-k3.75.357-e2.43.234-w24.30.64-s0.1.0-ar.h.h"),
            "arch 'r28-k3.75.357-e2.43.234-w24.30.64-s0.1.0-ar.h.h' for space 'mbv3_small_input': stage 1 width '30' "
            "is not one of 16, 24, 32, 40");
  EXPECT_EQ(error("r28-k3.75.357-e2.43.234-w24.32.64-s0.2.0-ar.h.h"),
            "arch 'r28-k3.75.357-e2.43.234-w24.32.64-s0.2.0-ar.h.h' for space 'mbv3_small_input': stage 1 SE '2' is "
            "not one of 0, 1");
  EXPECT_EQ(error("r28-k3.75.357-e2.43.234-w24.32.64-s0.1.0-ar.6.h"),
            "arch 'r28-k3.75.357-e2.43.234-w24.32.64-s0.1.0-ar.6.h' for space 'mbv3_small_input': stage 1 activation "
            "'6' is not one of r, h");
  EXPECT_EQ(error("r28-k3.75.357-e2.43.234-w24.32-s0.1.0-ar.h.h"),
            "arch 'r28-k3.75.357-e2.43.234-w24.32-s0.1.0-ar.h.h' for space 'mbv3_small_input': expected '-w' and 3 "
            "widths, one per stage separated by '.'");
  EXPECT_EQ(error("r28-k3.75.357-e2.43.234"),
            "arch 'r28-k3.75.357-e2.43.234' for space 'mbv3_small_input': expected r<resolution>-k<kernels>-e<expand "
            "ratios>-w<widths>-s<SE 0/1>-a<activations r/6/h/n>, one group per stage separated by '.', e.g. "
            "r16-k33.333.333-e11.111.111-w8.16.24-s0.0.0-ar.r.r");
}

TEST(ArchString, ErrorsSayWhatWasExpected) {
  const SearchSpace macro = LoadSpace("nas_bench_macro");
  EXPECT_EQ(ParseError(macro, "2221222"),
            "arch '2221222' for space 'nas_bench_macro': expected 8 digits, one operator per layer; got 7");
  EXPECT_EQ(ParseError(macro, "22212223"),
            "arch '22212223' for space 'nas_bench_macro': character 8 is '3', expected a digit from 0 to 2");

  const SearchSpace proxyless = LoadSpace("proxylessnas_mobile");
  EXPECT_EQ(ParseError(proxyless, "600000000000000000000"),
            "arch '600000000000000000000' for space 'proxylessnas_mobile': layer 0 changes shape, so it cannot be "
            "'zero' (6)");

  const SearchSpace ofa = LoadSpace("ofa_mbv3_w1.0");
  EXPECT_EQ(ParseError(ofa, "k33.33.33.33.33-e33.33.33.33.33"),
            "arch 'k33.33.33.33.33-e33.33.33.33.33' for space 'ofa_mbv3_w1.0': missing the resolution prefix "
            "'r<resolution>-' (one of 128, 132, 136, 140, 144, 148, 152, 156, 160, 164, 168, 172, 176, 180, 184, 188, "
            "192, 196, 200, 204, 208, 212, 216, 220, 224)");
  EXPECT_EQ(ParseError(ofa, "r150-k33.33.33.33.33-e33.33.33.33.33").substr(0, 83),
            "arch 'r150-k33.33.33.33.33-e33.33.33.33.33' for space 'ofa_mbv3_w1.0': resolution '");
  EXPECT_EQ(ParseError(ofa, "r160-k33.33.33.33.3-e33.33.33.33.33"),
            "arch 'r160-k33.33.33.33.3-e33.33.33.33.33' for space 'ofa_mbv3_w1.0': stage 4 has 1 kernels and 2 expand "
            "ratios; both must be its depth, one of 2, 3, 4");
  EXPECT_EQ(ParseError(ofa, "r160-k33.33.33.33.39-e33.33.33.33.33"),
            "arch 'r160-k33.33.33.33.39-e33.33.33.33.33' for space 'ofa_mbv3_w1.0': stage 4 block 1 kernel '9' is not "
            "one of 3, 5, 7");
  EXPECT_EQ(ParseError(ofa, "{\"ks\": [3], \"e\": [3], \"d\": [2], \"r\": [160]}"),
            "arch JSON for space 'ofa_mbv3_w1.0': expected \"ks\" to be a list of 20 numbers");
  EXPECT_EQ(ParseError(macro, "{\"ks\": []}"),
            "space 'nas_bench_macro' has no Once-for-All JSON form; use its arch string");
}

}  // namespace
}  // namespace edgenas
