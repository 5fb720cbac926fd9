#include "cost/lut_cost_model.h"

#include <gtest/gtest.h>

#include <numeric>
#include <set>

#include "cost/lut_keys.h"
#include "space/network_stats.h"
#include "space/space_loader.h"
#include "test_util.h"

namespace edgenas {
namespace {

using testing::OfaJson;
using testing::Repeat;

class Note10 : public ::testing::Test {
 protected:
  const SearchSpace space_ = LoadSpace("ofa_mbv3_w1.2");
  const HardwareProfile profile_ = LoadHardwareProfile(BuiltinProfileFolder("note10"));
};

// The reference implementation's Note10 latencies for the four networks.
TEST_F(Note10, MatchesOnceForAllReference) {
  const LutCostModel model(space_, profile_, "latency");
  EXPECT_EQ(model.unit(), "ms");
  const struct {
    std::string arch;
    double ms;
  } cases[] = {
      {OfaJson(Repeat({3}, 20), Repeat({3}, 20), {2, 2, 2, 2, 2}, 160), 9.8903},
      {OfaJson(Repeat({7}, 20), Repeat({6}, 20), {4, 4, 4, 4, 4}, 224), 92.3980},
      {OfaJson({3, 3, 7, 7, 5, 3, 5, 3, 7, 5, 3, 5, 3, 3, 3, 3, 3, 3, 5, 3},
               {3, 4, 4, 6, 6, 4, 3, 3, 6, 3, 3, 3, 4, 3, 6, 4, 6, 6, 6, 6}, {2, 3, 4, 3, 3}, 192),
       24.9129},
      {OfaJson(Repeat({5, 7, 3, 5}, 5), Repeat({6, 3, 4, 4}, 5), {4, 2, 3, 2, 4}, 176), 27.0847},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.arch);
    EXPECT_NEAR(model.Cost(space_.Parse(c.arch)), c.ms, 1e-4);
  }
}

// The keys the space generates at a resolution are exactly the table's 96: the
// format is reproduced byte for byte, with nothing missing or unused.
TEST_F(Note10, GeneratedKeysAreExactlyThePublishedOnes) {
  for (int r : {160, 192, 224}) {
    SCOPED_TRACE(r);
    std::set<std::string> generated;
    // Every kernel/expand choice in every slot, at full depth.
    for (int choice = 0; choice < 9; ++choice) {
      Genome g = space_.DeepestGenome(space_.ResolutionIndex(r));
      for (int s = 0; s < 5; ++s) {
        for (int b = 0; b < 4; ++b) space_.SetSlotChoice(&g, s, b, choice);
      }
      for (const std::string& key : LutKeys(space_.Decode(g), LutKeyFormat::kOfa)) generated.insert(key);
    }
    std::set<std::string> published;
    for (const auto& [key, unused] : profile_.metrics.at("latency").by_resolution.at(r)) published.insert(key);
    EXPECT_EQ(generated, published);
    EXPECT_EQ(published.size(), 96u);
  }
}

TEST_F(Note10, BatchAndBreakdownAgreeWithSingleCost) {
  const LutCostModel model(space_, profile_, "latency");
  Rng rng(5);
  std::vector<Genome> genomes;
  for (int i = 0; i < 100; ++i) genomes.push_back(space_.Sample(rng));
  std::vector<double> costs(genomes.size());
  model.Score(genomes.data(), genomes.size(), costs.data());
  for (size_t i = 0; i < genomes.size(); ++i) {
    EXPECT_EQ(costs[i], model.Cost(genomes[i]));
    const std::vector<double> layers = model.LayerCosts(genomes[i]);
    ASSERT_EQ(layers.size(), space_.Decode(genomes[i]).layers.size());
    EXPECT_NEAR(std::accumulate(layers.begin(), layers.end(), 0.0), costs[i], 1e-9);
  }
}

// A profile's scale multiplies every layer's entry, its constant is added once.
TEST_F(Note10, ScaleMultipliesTheLayersAndConstantIsAddedOnce) {
  const std::string arch = OfaJson(Repeat({3}, 20), Repeat({3}, 20), {2, 2, 2, 2, 2}, 160);
  HardwareProfile calibrated = profile_;
  calibrated.metrics["latency"].scale_by_resolution = {{160, 1.25}, {0, 2.0}};
  calibrated.metrics["latency"].constant_by_resolution = {{160, 0.5}};
  const LutCostModel model(space_, calibrated, "latency");
  EXPECT_NEAR(model.Cost(space_.Parse(arch)), 1.25 * 9.8903 + 0.5, 1.25e-4);
  const std::vector<double> layers = model.LayerCosts(space_.Parse(arch));
  EXPECT_NEAR(std::accumulate(layers.begin(), layers.end(), 0.0), 1.25 * 9.8903, 1.25e-4);
  // A scale that grows with the network's weights, counted as ComputeStats does.
  calibrated.metrics["latency"].scale_per_weight_mib_by_resolution = {{160, 0.125}};
  const LutCostModel growing(space_, calibrated, "latency");
  const double weight_mib = ComputeStats(space_.Decode(space_.Parse(arch))).params * 4.0 / (1 << 20);
  EXPECT_NEAR(growing.Cost(space_.Parse(arch)), (1.25 + 0.125 * weight_mib) * 9.8903 + 0.5, 1e-4 * 2);
  const std::vector<double> grown = growing.LayerCosts(space_.Parse(arch));
  EXPECT_NEAR(std::accumulate(grown.begin(), grown.end(), 0.0) + 0.5, growing.Cost(space_.Parse(arch)), 1e-12);
  // Resolution 0 serves the others.
  const std::string r192 = OfaJson(Repeat({3}, 20), Repeat({3}, 20), {2, 2, 2, 2, 2}, 192);
  EXPECT_NEAR(model.Cost(space_.Parse(r192)), 2.0 * LutCostModel(space_, profile_, "latency").Cost(space_.Parse(r192)),
              1e-9);
}

TEST_F(Note10, MissingKeysAreReportedAtConstruction) {
  HardwareProfile broken = profile_;
  broken.metrics["latency"].by_resolution[192].erase(
      "expanded_conv-input:48x48x32-output:24x24x48-expand:192-kernel:5-stride:2-idskip:0-se:1-hs:0");
  EXPECT_EQ(testing::ErrorOf([&] { LutCostModel(space_, broken, "latency"); }),
            "hardware profile 'note10' cannot cost space 'ofa_mbv3_w1.2': 1 latency table key(s) missing: "
            "expanded_conv-input:48x48x32-output:24x24x48-expand:192-kernel:5-stride:2-idskip:0-se:1-hs:0 "
            "(resolution 192)");
  EXPECT_EQ(testing::ErrorOf([&] { LutCostModel(space_, profile_, "energy"); }),
            "hardware profile 'note10' has no energy tables");
  const SearchSpace w10 = LoadSpace("ofa_mbv3_w1.0");
  EXPECT_EQ(testing::ErrorOf([&] { LutCostModel(w10, profile_, "latency"); }).substr(0, 84),
            "hardware profile 'note10' has no latency table for resolution 128 of space 'ofa_mbv3");
  // Restricting the resolutions to those the table has works, and keys still must match.
  EXPECT_NE(testing::ErrorOf([&] { LutCostModel(w10, profile_, "latency", {{160}}); }).find("key(s) missing"),
            std::string::npos);
}

TEST(HardwareProfile, LoadsTheNote10Profile) {
  const HardwareProfile p = LoadHardwareProfile(BuiltinProfileFolder("note10"));
  EXPECT_EQ(p.device, "note10");
  EXPECT_EQ(p.spaces, (std::vector<std::string>{"ofa_mbv3_w1.2"}));
  EXPECT_EQ(p.batch_size, 1);
  ASSERT_EQ(p.metrics.count("latency"), 1u);
  EXPECT_EQ(p.metrics.at("latency").by_resolution.size(), 17u);
  // A value straight from 160_lookup_table.yaml.
  EXPECT_DOUBLE_EQ(p.metrics.at("latency").by_resolution.at(160).at("Conv-input:160x160x3-output:80x80x24"),
                   0.495562248995984);
}

}  // namespace
}  // namespace edgenas

namespace edgenas {
namespace {

// DistinctLayers reaches exactly the keys a published table needs.
TEST(DistinctLayers, MatchesTheNote10KeySetAndCountsNasBenchMacro) {
  const SearchSpace space = LoadSpace("ofa_mbv3_w1.2");
  const HardwareProfile note10 = LoadBuiltinProfile("note10");
  std::set<std::string> keys;
  for (const KeyedLayer& k : DistinctLayers(space, LutKeyFormat::kOfa, {160})) keys.insert(k.key);
  std::set<std::string> published;
  for (const auto& [key, unused] : note10.metrics.at("latency").by_resolution.at(160)) published.insert(key);
  EXPECT_EQ(keys, published);

  // NAS-Bench-Macro, native keys: stem; per layer its mbconv choices (2) and, where
  // the shape changes, the strided identity conv (3 such layers); head conv, pool, linear.
  const SearchSpace macro = LoadSpace("nas_bench_macro");
  const std::vector<KeyedLayer> layers = DistinctLayers(macro, LutKeyFormat::kNative, {});
  int skip_convs = 0, mbconvs = 0;
  for (const KeyedLayer& k : layers) {
    skip_convs += k.key.rfind("skipconv-", 0) == 0;
    mbconvs += k.layer.op == LayerOp::kMBConv;
  }
  EXPECT_EQ(skip_convs, 3);
  // Distinct mbconv geometries: 3 strided first layers + 3 stride-1 shapes, x 2 operators.
  EXPECT_EQ(mbconvs, 12);
  EXPECT_EQ(layers.size(), 1u + 3u + 12u + 3u);
  EXPECT_EQ(layers[0].key, "conv-in:32x32x3-out:32x32x32-k3-s1-g1-bn1-bias0-relu");
}

// In a space with stage choices a block's layer also depends on its stage's
// width, SE and activation (and the previous stage's width), and the head on
// the last stage's width. With a distinct entry per key, the compiled cost of
// any network equals the sum of its decoded layers' entries: no layer is priced
// at another's shape.
TEST(StageChoices, CostIsTheSumOfTheDecodedLayersEntries) {
  const SearchSpace space = LoadSpace("mbv3_small_input");
  HardwareProfile profile;
  profile.device = "synthetic";
  profile.key_format = LutKeyFormat::kNative;
  CostTable& table = profile.metrics["latency"];
  table.unit = "ms";
  std::unordered_map<std::string, double> entries;
  const std::vector<KeyedLayer> layers = DistinctLayers(space, LutKeyFormat::kNative, {});
  for (size_t i = 0; i < layers.size(); ++i) entries[layers[i].key] = 1.0 + 0.001 * static_cast<double>(i);
  for (int r : space.spec().resolutions) table.by_resolution[r] = entries;
  const LutCostModel model(space, profile, "latency");

  Rng rng(5);
  std::set<int> head_widths;
  for (int i = 0; i < 300; ++i) {
    const Genome g = space.Sample(rng);
    const NetworkSpec net = space.Decode(g);
    double sum = 0;
    for (const std::string& key : LutKeys(net, LutKeyFormat::kNative)) {
      ASSERT_TRUE(entries.count(key)) << "DistinctLayers misses " << key << " of " << space.ToString(g);
      sum += entries.at(key);
    }
    ASSERT_NEAR(model.Cost(g), sum, 1e-9) << space.ToString(g);
    const std::vector<double> per_layer = model.LayerCosts(g);
    ASSERT_EQ(per_layer.size(), net.layers.size());
    ASSERT_NEAR(std::accumulate(per_layer.begin(), per_layer.end(), 0.0), sum, 1e-9);
    head_widths.insert(net.layers[net.layers.size() - 3].in_channels);
  }
  EXPECT_EQ(head_widths, (std::set<int>{24, 32, 48, 64}));  // every head variant was priced
}

}  // namespace
}  // namespace edgenas
