#include "space/search_space.h"

#include <gtest/gtest.h>

#include <cmath>
#include <set>

#include "space/space_loader.h"
#include "test_util.h"

namespace edgenas {
namespace {

TEST(SearchSpace, MakeDivisibleMatchesOnceForAll) {
  EXPECT_EQ(MakeDivisible(16 * 1.2, 8), 24);  // 16 would be below 90% of 19.2
  EXPECT_EQ(MakeDivisible(24 * 1.2, 8), 32);
  EXPECT_EQ(MakeDivisible(112 * 1.2, 8), 136);
  EXPECT_EQ(MakeDivisible(960 * 1.2, 8), 1152);
  EXPECT_EQ(MakeDivisible(60, 8), 64);
  EXPECT_EQ(MakeDivisible(3, 8), 8);
}

// The reference count: enumerate each stage's genes and keep the distinct
// canonical forms (what NumDistinctNetworks did before it counted directly).
double CountByEnumeration(const SearchSpace& space) {
  double count = static_cast<double>(space.spec().resolutions.size());
  for (size_t s = 0; s < space.spec().stages.size(); ++s) {
    std::vector<int> stage_genes;
    for (size_t i = 0; i < space.genes().size(); ++i) {
      if (space.genes()[i].stage == static_cast<int>(s)) stage_genes.push_back(static_cast<int>(i));
    }
    std::set<std::vector<uint8_t>> distinct;
    Genome genome{std::vector<uint8_t>(space.genes().size(), 0)};
    for (bool more = true; more;) {
      const Genome canonical = space.Canonical(genome);
      std::vector<uint8_t> key;
      for (int i : stage_genes) key.push_back(canonical.genes[i]);
      distinct.insert(std::move(key));
      more = false;
      for (int k = static_cast<int>(stage_genes.size()) - 1; k >= 0 && !more; --k) {
        const int i = stage_genes[k];
        more = ++genome.genes[i] < space.genes()[i].cardinality;
        if (!more) genome.genes[i] = 0;
      }
    }
    count *= static_cast<double>(distinct.size());
  }
  return count;
}

TEST(SearchSpace, DistinctNetworkCountEqualsEnumeration) {
  for (const std::string& name : BuiltinSpaceNames()) {
    SCOPED_TRACE(name);
    const SearchSpace space = LoadSpace(name);
    EXPECT_DOUBLE_EQ(space.NumDistinctNetworks(), CountByEnumeration(space));
  }
}

// Counting is arithmetic, not enumeration: a stage of depth 1..64 answers at once.
TEST(SearchSpace, DeepStagesAreCountedWithoutEnumerating) {
  SpaceSpec spec = LoadSpace("ofa_mbv3_w1.0").spec();
  spec.stages.resize(1);
  spec.stages[0].depths.clear();
  for (int d = 1; d <= 64; ++d) spec.stages[0].depths.push_back(d);
  const SearchSpace deep(spec);
  double expected = 0;
  for (int d = 1; d <= 64; ++d) expected += std::pow(9.0, d);
  EXPECT_DOUBLE_EQ(deep.NumDistinctNetworks(), expected * spec.resolutions.size());
}

// Duplicate choices would count networks twice; choice lists must fit a byte.
TEST(SearchSpace, RejectsRepeatedChoicesAndOverlongStages) {
  const SpaceSpec base = LoadSpace("ofa_mbv3_w1.0").spec();
  SpaceSpec spec = base;
  spec.resolutions = {160, 160};
  EXPECT_EQ(testing::ErrorOf([&] { SearchSpace{spec}; }),
            "space 'ofa_mbv3_w1.0': resolutions must be ascending, each listed once");
  spec = base;
  spec.stages[1].kernels = {3, 5, 3};
  EXPECT_EQ(testing::ErrorOf([&] { SearchSpace{spec}; }),
            "space 'ofa_mbv3_w1.0': stage 1 lists a kernel, expand ratio, operator, activation or SE value twice");
  spec = base;
  spec.stages[0].depths = {2, 65};
  EXPECT_EQ(testing::ErrorOf([&] { SearchSpace{spec}; }),
            "space 'ofa_mbv3_w1.0': stage 0 depths must be ascending, each listed once, at most 64");
}

// Counts that would overflow int64 are refused when the space is made.
TEST(SearchSpace, RejectsSpacesWhoseCountsWouldOverflow) {
  SpaceSpec spec = LoadSpace("ofa_mbv3_w1.0").spec();
  spec.resolutions = {4096};
  for (StageSpec& stage : spec.stages) stage.widths = {1 << 20};
  const std::string error = testing::ErrorOf([&] { SearchSpace{spec}; });
  EXPECT_EQ(error.rfind("space 'ofa_mbv3_w1.0': MACs of ", 0), 0u) << error;
  EXPECT_NE(error.find(" overflow the count: the network is absurdly large"), std::string::npos) << error;
}

// Once-for-All's JSON lists one entry per block slot, stage after stage, also
// when stages differ in maximum depth; whole numbers must be whole.
TEST(SearchSpace, OfaJsonFollowsEachStagesDepthAndRefusesFractions) {
  SpaceSpec spec = LoadSpace("ofa_mbv3_w1.0").spec();
  spec.stages.resize(2);
  spec.stages[0].depths = {1, 2};
  const SearchSpace space(spec);
  Rng rng(4);
  for (int i = 0; i < 20; ++i) {
    const Genome g = space.Canonical(space.Sample(rng));
    EXPECT_EQ(space.Canonical(space.Parse(space.ToOfaJson(g))), g);
  }
  const std::string json = space.ToOfaJson(space.Canonical(space.Sample(rng)));
  const std::string fractional = json.substr(0, json.find("\"r\":[") + 5) + "160.5]}";
  EXPECT_EQ(testing::ErrorOf([&] { space.Parse(fractional); }),
            "arch JSON for space 'ofa_mbv3_w1.0': \"r\" holds 160.5, expected a whole number")
      << fractional;
}

TEST(SearchSpace, NasBenchMacroCanonicalFormMatchesBenchmark) {
  const SearchSpace space = LoadSpace("nas_bench_macro");
  std::set<std::string> distinct;
  for (const auto& row : testing::ReadCsvRows(EDGENAS_TEST_DATA "/nas_bench_macro.csv")) {
    SCOPED_TRACE("arch " + row[0]);
    const Genome canonical = space.Canonical(space.Parse(row[0]));
    EXPECT_EQ(space.ToString(canonical), row[1]);
    EXPECT_EQ(space.Canonical(canonical), canonical);  // idempotent
    distinct.insert(row[1]);
  }
  EXPECT_EQ(distinct.size(), 3969u);
  EXPECT_EQ(space.NumDistinctNetworks(), 3969.0);
  EXPECT_EQ(space.NumGenomes(), 6561.0);
  EXPECT_EQ(space.Enumerate(/*canonical_only=*/true, 10000).size(), 3969u);
  EXPECT_EQ(space.Enumerate(/*canonical_only=*/false, 10000).size(), 6561u);
}

TEST(SearchSpace, EnumerationRefusesLargeSpaces) {
  const SearchSpace space = LoadSpace("fbnet");
  try {
    space.Enumerate(false, 1000000);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "space 'fbnet' has 9.85e+20 architectures; enumerating it is limited to 1000000");
  }
}

// Per-block mutation resamples a block's kernel and expand ratio together
// (Once-for-All's search): both change at once about as often as either one
// does, where per-gene mutation needs two draws for that.
TEST(SearchSpace, PerBlockMutationResamplesKernelAndExpandTogether) {
  const SearchSpace space = LoadSpace("ofa_mbv3_w1.2");
  const BlockSlot& slot = space.block_slots()[0];
  ASSERT_GE(slot.second_gene, 0);
  for (MutationScope scope : {MutationScope::kPerGene, MutationScope::kPerBlock}) {
    Rng rng(11);
    int kernel_changed = 0, both_changed = 0;
    const int trials = 20000;
    for (int t = 0; t < trials; ++t) {
      const Genome parent = space.Sample(rng);
      Genome child = parent;
      space.Mutate(&child, 0.1, rng, scope);
      const bool kernel = child.genes[slot.first_gene] != parent.genes[slot.first_gene];
      const bool expand = child.genes[slot.second_gene] != parent.genes[slot.second_gene];
      kernel_changed += kernel;
      both_changed += kernel && expand;
    }
    // P(kernel changes) = 0.1 * 2/3 either way; P(both) = 0.1 * 4/9 per block, 0.01 * 4/9 per gene.
    EXPECT_NEAR(kernel_changed / double(trials), 0.0667, 0.008) << MutationScopeToString(scope);
    EXPECT_NEAR(both_changed / double(trials), scope == MutationScope::kPerBlock ? 0.0444 : 0.00444, 0.006)
        << MutationScopeToString(scope);
  }
}

TEST(SearchSpace, OfaSizeAndCanonicalFormOfUnusedBlocks) {
  const SearchSpace space = LoadSpace("ofa_mbv3_w1.2");
  // Per stage: 9^2 + 9^3 + 9^4 distinct block settings; 17 resolutions.
  EXPECT_DOUBLE_EQ(space.NumDistinctNetworks(), std::pow(81.0 + 729.0 + 6561.0, 5) * 17);
  EXPECT_EQ(space.genes().size(), 1u + 5 * (1 + 4 * 2));
  Rng rng(7767517);
  for (int i = 0; i < 200; ++i) {
    const Genome g = space.Sample(rng);
    const Genome c = space.Canonical(g);
    // Canonical form changes nothing the network uses.
    EXPECT_EQ(space.ToString(g), space.ToString(c));
    for (int s = 0; s < 5; ++s) {
      for (int b = space.Depth(g, s); b < 4; ++b) EXPECT_EQ(c.genes[space.block_gene(s, b)], 0);
    }
  }
}

TEST(SearchSpace, DecodeOfaShapesAndLayers) {
  const SearchSpace space = LoadSpace("ofa_mbv3_w1.2");
  const NetworkSpec net = space.Decode(space.Parse("r192-k33.535.7535.333.335-e34.643.6333.436.666"));
  ASSERT_EQ(net.layers.size(), 2u + 15u + 4u);  // stem conv + first block, 15 blocks, head
  const LayerSpec& stem = net.layers[0];
  EXPECT_EQ(stem.out_size, 96);
  EXPECT_EQ(stem.out_channels, 24);
  EXPECT_TRUE(net.layers[1].residual);  // fixed first block 24 -> 24
  EXPECT_FALSE(net.layers[1].has_expand_conv);
  const LayerSpec& s1b0 = net.layers[4];  // stage 1, first block: 32 -> 48, stride 2, SE
  EXPECT_EQ(s1b0.name, "s1.b0");
  EXPECT_EQ(s1b0.in_channels, 32);
  EXPECT_EQ(s1b0.out_channels, 48);
  EXPECT_EQ(s1b0.in_size, 48);
  EXPECT_EQ(s1b0.out_size, 24);
  EXPECT_EQ(s1b0.kernel, 5);
  EXPECT_EQ(s1b0.mid_channels, 192);  // make_divisible(32 * 6, 8)
  EXPECT_EQ(s1b0.se_channels, 48);    // make_divisible(192 / 4, 8)
  EXPECT_FALSE(s1b0.residual);
  EXPECT_TRUE(net.layers[5].residual);
  EXPECT_EQ(net.layers.back().op, LayerOp::kLinear);
  EXPECT_EQ(net.layers.back().in_channels, 1536);
}

TEST(SearchSpace, SkipOperatorsBecomeConvOnlyWhereTheShapeChanges) {
  const SearchSpace fbnet = LoadSpace("fbnet_cifar100");
  const NetworkSpec net = fbnet.Decode(fbnet.Parse(std::string(22, '8')));
  EXPECT_EQ(net.layers[1].op, LayerOp::kIdentity);  // stage 0: 16 -> 16, stride 1
  EXPECT_EQ(net.layers[2].op, LayerOp::kConv);      // stage 1 first layer: 16 -> 24
  EXPECT_EQ(net.layers[2].kernel, 1);
  EXPECT_EQ(net.layers[2].activation, Activation::kReLU);
  EXPECT_EQ(net.layers[3].op, LayerOp::kIdentity);

  const SearchSpace proxyless = LoadSpace("proxylessnas_mobile");
  // `zero` (digit 6) is offered only where a block keeps its shape.
  EXPECT_EQ(proxyless.genes()[proxyless.block_gene(0, 0)].cardinality, 6);
  EXPECT_EQ(proxyless.genes()[proxyless.block_gene(0, 1)].cardinality, 7);
  EXPECT_EQ(proxyless.genes()[proxyless.block_gene(3, 0)].cardinality, 6);  // 80 -> 96, stride 1
}

TEST(SearchSpace, SlotsAndDeepestGenome) {
  const SearchSpace ofa = LoadSpace("ofa_mbv3_w1.2");
  EXPECT_EQ(ofa.ResolutionIndex(192), 8);
  EXPECT_EQ(ofa.ResolutionIndex(150), -1);
  EXPECT_EQ(ofa.NumSlotChoices(2, 3), 9);
  Genome g = ofa.DeepestGenome(ofa.ResolutionIndex(192));
  EXPECT_EQ(ofa.ToString(g), "r192-k3333.3333.3333.3333.3333-e3333.3333.3333.3333.3333");
  ofa.SetSlotChoice(&g, 1, 2, 7);  // kernel index 2 (7), expand index 1 (4)
  EXPECT_EQ(ofa.ToString(g), "r192-k3333.3373.3333.3333.3333-e3333.3343.3333.3333.3333");

  const SearchSpace macro = LoadSpace("nas_bench_macro");
  Genome m = macro.DeepestGenome(0);
  macro.SetSlotChoice(&m, 2, 1, 2);
  EXPECT_EQ(macro.ToString(m), "00000020");  // stage 2 is layers 5-7
  EXPECT_EQ(macro.NumSlotChoices(0, 0), 3);
}

class EverySpace : public ::testing::TestWithParam<std::string> {};

TEST_P(EverySpace, SampleMutateCrossoverStayValidAndAreSeeded) {
  const SearchSpace space = LoadSpace(GetParam());
  Rng rng(1), same_seed(1);
  std::string error;
  for (int i = 0; i < 300; ++i) {
    Genome a = space.Sample(rng);
    const Genome b = space.Sample(rng);
    ASSERT_TRUE(space.IsValid(a, &error)) << error;
    space.Mutate(&a, 0.3, rng);
    ASSERT_TRUE(space.IsValid(a, &error)) << error;
    const Genome child = space.Crossover(a, b, rng);
    ASSERT_TRUE(space.IsValid(child, &error)) << error;
    for (size_t g = 0; g < child.genes.size(); ++g) {
      ASSERT_TRUE(child.genes[g] == a.genes[g] || child.genes[g] == b.genes[g]);
    }
    ASSERT_TRUE(space.IsValid(space.Canonical(child), &error)) << error;
    space.Decode(child);  // every valid genome decodes
  }
  // Same seed, same draws.
  Rng again(1);
  EXPECT_EQ(space.Sample(again), space.Sample(same_seed));
}

TEST_P(EverySpace, MutationWithProbabilityZeroChangesNothing) {
  const SearchSpace space = LoadSpace(GetParam());
  Rng rng(3);
  Genome g = space.Sample(rng);
  const Genome before = g;
  space.Mutate(&g, 0.0, rng);
  EXPECT_EQ(g, before);
}

TEST_P(EverySpace, IsValidRejectsOutOfRangeGenes) {
  const SearchSpace space = LoadSpace(GetParam());
  Genome g{std::vector<uint8_t>(space.genes().size(), 0)};
  std::string error;
  EXPECT_TRUE(space.IsValid(g, &error));
  g.genes[0] = static_cast<uint8_t>(space.genes()[0].cardinality);
  EXPECT_FALSE(space.IsValid(g, &error));
  EXPECT_NE(error.find("gene 0 (resolution)"), std::string::npos) << error;
  g.genes.pop_back();
  EXPECT_FALSE(space.IsValid(g, &error));
}

INSTANTIATE_TEST_SUITE_P(Builtin, EverySpace,
                         ::testing::Values("ofa_mbv3_w1.0", "ofa_mbv3_w1.2", "fbnet", "fbnet_cifar100",
                                           "proxylessnas_mobile", "nas_bench_macro"),
                         [](const auto& info) {
                           std::string name = info.param;
                           for (char& c : name) c = std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
                           return name;
                         });

}  // namespace
}  // namespace edgenas
