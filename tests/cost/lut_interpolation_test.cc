#include "cost/lut_interpolation.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "cost/lut_cost_model.h"
#include "cost/lut_keys.h"
#include "space/network_stats.h"
#include "space/space_loader.h"
#include "test_util.h"

namespace edgenas {
namespace {

TEST(SplitChannels, TakesOutTheChannelCountsOfEveryFormat) {
  const struct {
    LutKeyFormat format;
    std::string key, pattern;
    std::vector<int> channels;
  } cases[] = {
      {LutKeyFormat::kOfa, "expanded_conv-input:56x56x24-output:28x28x40-expand:144-kernel:5-stride:2-idskip:0-se:1-hs:0",
       "expanded_conv-input:56x56x#-output:28x28x#-expand:#-kernel:5-stride:2-idskip:0-se:1-hs:0", {24, 40, 144}},
      {LutKeyFormat::kOfa, "Conv_1-input:7x7x160-output:7x7x960", "Conv_1-input:7x7x#-output:7x7x#", {160, 960}},
      {LutKeyFormat::kOfa, "Logits-input:1x1x1536-output:1000", "Logits-input:1x1x#-output:#", {1536, 1000}},
      // ProxylessNAS's expand is a ratio: part of the pattern.
      {LutKeyFormat::kProxyless, "expanded_conv-input:56x56x24-output:28x28x40-expand:6-kernel:5-stride:2-idskip:0",
       "expanded_conv-input:56x56x#-output:28x28x#-expand:6-kernel:5-stride:2-idskip:0", {24, 40}},
      {LutKeyFormat::kHwNasBench, "ConvBlock_H32_W32_Cin16_Cout24_exp3_kernel5_stride2_group1",
       "ConvBlock_H32_W32_Cin#_Cout#_exp3_kernel5_stride2_group1", {16, 24}},
      {LutKeyFormat::kHwNasBench, "FC_Cin1504_Cout100", "FC_Cin#_Cout#", {1504, 100}},
      {LutKeyFormat::kNative, "mbconv-in:48x48x32-out:24x24x48-k5-s2-g1-mid192-se48-hswish-res0",
       "mbconv-in:48x48x#-out:24x24x#-k5-s2-g1-mid#-se#-hswish-res0", {32, 48, 192, 48}},
      // No squeeze-and-excite is a different block, not a zero width.
      {LutKeyFormat::kNative, "mbconv-in:24x24x48-out:24x24x48-k3-s1-g1-mid144-se0-relu-res1",
       "mbconv-in:24x24x#-out:24x24x#-k3-s1-g1-mid#-se0-relu-res1", {48, 48, 144}},
      {LutKeyFormat::kNative, "linear-in:1x1x1280-out:10", "linear-in:1x1x#-out:#", {1280, 10}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.key);
    const ChannelSplit split = SplitChannels(c.key, c.format);
    EXPECT_EQ(split.pattern, c.pattern);
    EXPECT_EQ(split.channels, c.channels);
  }
}

// A table whose entries are exactly affine in MACs: interpolating between
// neighbours recovers every entry exactly, which it can only do if each
// neighbour's MACs are counted from the right widths.
TEST(LutInterpolator, RecoversEntriesThatAreAffineInMacs) {
  const SearchSpace space = LoadSpace("ofa_mbv3_w1.2");
  const std::vector<KeyedLayer> layers = DistinctLayers(space, LutKeyFormat::kNative, {160});
  for (const double intercept : {0.0, 0.05}) {
    SCOPED_TRACE(intercept);
    std::unordered_map<std::string, double> table;
    for (const KeyedLayer& l : layers) table[l.key] = intercept + 2e-8 * ComputeLayerStats(l.layer).macs;
    const LutInterpolator interpolator(table, LutKeyFormat::kNative);
    int between = 0, beyond = 0;
    for (const KeyedLayer& l : layers) {
      SCOPED_TRACE(l.key);
      const auto estimate = interpolator.Estimate(l.key, l.layer);
      if (!estimate) continue;
      EXPECT_EQ(std::count(estimate->neighbours.begin(), estimate->neighbours.end(), l.key), 0);
      if (estimate->neighbours.size() == 2) {
        ++between;
        EXPECT_NEAR(estimate->cost, table.at(l.key), 1e-12);
      } else {
        ++beyond;
        // In proportion to MACs: exact only without an intercept (with one, too
        // low below every neighbour and too high above them all).
        if (intercept == 0) {
          EXPECT_NEAR(estimate->cost, table.at(l.key), 1e-12);
        }
      }
    }
    EXPECT_EQ(between, 30);
    EXPECT_EQ(beyond, 60);
  }
}

// Once-for-All's published Note10 table, leaving each block out in turn: its
// neighbours predict it within 5% nearly always, and within 11% always
// (tools/interpolation_study: median error 1%, docs/hardware_profiles.md).
TEST(LutInterpolator, PredictsNote10EntriesFromTheirNeighbours) {
  const SearchSpace space = LoadSpace("ofa_mbv3_w1.2");
  const HardwareProfile note10 = LoadBuiltinProfile("note10");
  for (int r : {160, 224}) {
    const auto& table = *note10.metrics.at("latency").ForResolution(r);
    const LutInterpolator interpolator(table, LutKeyFormat::kOfa);
    int estimated = 0, within_5_percent = 0;
    for (const KeyedLayer& l : DistinctLayers(space, LutKeyFormat::kOfa, {r})) {
      SCOPED_TRACE(l.key);
      const auto estimate = interpolator.Estimate(l.key, l.layer);
      // The stem, the head and the first block are one of a kind: no neighbours.
      if (!estimate) continue;
      EXPECT_NEAR(estimate->cost / table.at(l.key), 1.0, 0.11);
      within_5_percent += std::abs(estimate->cost / table.at(l.key) - 1.0) <= 0.05;
      ++estimated;
    }
    EXPECT_EQ(estimated, 90);
    EXPECT_GE(within_5_percent, 80);
  }
}

class Interpolated : public ::testing::Test {
 protected:
  const SearchSpace space_ = LoadSpace("ofa_mbv3_w1.2");
  const HardwareProfile profile_ = LoadBuiltinProfile("note10");
  const std::string removed_ = "expanded_conv-input:48x48x32-output:24x24x48-expand:192-kernel:5-stride:2-idskip:0-se:1-hs:0";
};

TEST_F(Interpolated, CostModelEstimatesOnlyWhatIsMissingAndListsIt) {
  HardwareProfile partial = profile_;
  partial.metrics["latency"].by_resolution[192].erase(removed_);
  const LutCostModel full(space_, profile_, "latency");
  EXPECT_TRUE(full.estimated().empty());
  CostModelOptions options;
  options.interpolate_missing = true;
  const LutCostModel model(space_, partial, "latency", options);
  ASSERT_EQ(model.estimated().size(), 1u);
  const EstimatedKey& e = model.estimated()[0];
  EXPECT_EQ(e.key, removed_);
  EXPECT_EQ(e.resolution, 192);
  // e6 of a stride-2 block: its neighbours e3 and e4 are both smaller.
  EXPECT_EQ(e.neighbours, (std::vector<std::string>{
      "expanded_conv-input:48x48x32-output:24x24x48-expand:128-kernel:5-stride:2-idskip:0-se:1-hs:0"}));
  const double published = profile_.metrics.at("latency").by_resolution.at(192).at(removed_);
  EXPECT_NEAR(e.cost / published, 1.0, 0.10);
  // Networks that use the block cost the estimate's difference; the others cost the same.
  const Genome uses = space_.Parse(testing::OfaJson(testing::Repeat({5}, 20), testing::Repeat({6}, 20), {4, 4, 4, 4, 4}, 192));
  EXPECT_NEAR(model.Cost(uses) - full.Cost(uses), e.cost - published, 1e-9);
  const Genome other = space_.Parse(testing::OfaJson(testing::Repeat({3}, 20), testing::Repeat({4}, 20), {4, 4, 4, 4, 4}, 192));
  EXPECT_EQ(model.Cost(other), full.Cost(other));
}

TEST_F(Interpolated, AKeyWithoutNeighboursIsStillAnError) {
  HardwareProfile partial = profile_;
  const std::string stem = LutKeys(space_.Decode(space_.DeepestGenome(space_.ResolutionIndex(192))), LutKeyFormat::kOfa)[0];
  partial.metrics["latency"].by_resolution[192].erase(stem);
  CostModelOptions options;
  options.interpolate_missing = true;
  EXPECT_EQ(testing::ErrorOf([&] { LutCostModel(space_, partial, "latency", options); }),
            "hardware profile 'note10' cannot cost space 'ofa_mbv3_w1.2': 1 latency table key(s) missing with no "
            "neighbour in channel count to interpolate from: " + stem + " (resolution 192)");
}

// The Note10 table was made for width 1.2; width 1.0 has none of its block
// keys. Interpolated, every width-1.0 network costs less than the same
// choices at width 1.2, whose layers have more channels.
TEST_F(Interpolated, CostsAnotherWidthFromThePublishedOne) {
  const SearchSpace w10 = LoadSpace("ofa_mbv3_w1.0");
  CostModelOptions options;
  options.resolutions = {160, 224};
  options.interpolate_missing = true;
  const LutCostModel narrow(w10, profile_, "latency", options);
  const LutCostModel wide(space_, profile_, "latency");
  for (const EstimatedKey& e : narrow.estimated()) {
    EXPECT_EQ(profile_.metrics.at("latency").ForResolution(e.resolution)->count(e.key), 0u) << e.key;
  }
  EXPECT_GT(narrow.estimated().size(), 2 * 90u);
  Rng rng(3);
  for (int i = 0; i < 50; ++i) {
    Genome g = w10.Sample(rng);
    g.genes[0] = w10.ResolutionIndex(i % 2 ? 160 : 224);
    const std::string arch = w10.ToString(g);
    SCOPED_TRACE(arch);
    Genome same = g;
    same.genes[0] = space_.ResolutionIndex(i % 2 ? 160 : 224);
    EXPECT_LT(narrow.Cost(g), wide.Cost(same));
    EXPECT_GT(narrow.Cost(g), 0.5 * wide.Cost(same));
  }
}

}  // namespace
}  // namespace edgenas
