#include "accuracy/feature_encoder.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "space/space_loader.h"
#include "test_util.h"

namespace edgenas {
namespace {

using testing::OfaJson;

std::vector<int> Active(const FeatureEncoder& encoder, const Genome& genome) {
  std::vector<int> active(encoder.max_active());
  active.resize(encoder.ActiveFeatures(genome, active.data()));
  std::sort(active.begin(), active.end());
  return active;
}

TEST(FeatureEncoder, OnceForAllLayout) {
  const SearchSpace space = LoadSpace("ofa_mbv3_w1.2");
  const FeatureEncoder encoder(space, FeatureEncoder::DefaultFor(space));
  EXPECT_EQ(encoder.encoding(), FeatureEncoding::kOfaMbv3);
  EXPECT_EQ(encoder.num_features(), 128);
  // Depth 2 everywhere: stage s uses slots 4s and 4s+1. The OFA
  // README's rule: kernel bit 3*i + {3:0,5:1,7:2}, expand bit 60 + 3*i + {3:0,4:1,6:2},
  // resolution bit 120 + (r - 112) // 16.
  const Genome g = space.Parse(OfaJson({7, 5, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3},
                                       {6, 4, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3}, {2, 2, 2, 2, 2},
                                       164));
  std::vector<int> expected = {2, 4};  // slot 0 k7, slot 1 k5
  for (int slot : {4, 5, 8, 9, 12, 13, 16, 17}) expected.push_back(3 * slot);
  expected.insert(expected.end(), {62, 64});  // slot 0 e6, slot 1 e4
  for (int slot : {4, 5, 8, 9, 12, 13, 16, 17}) expected.push_back(60 + 3 * slot);
  expected.push_back(120 + (164 - 112) / 16);
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(Active(encoder, g), expected);
}

TEST(FeatureEncoder, OnceForAllEncodingNeedsItsSpace) {
  const SearchSpace macro = LoadSpace("nas_bench_macro");
  EXPECT_EQ(testing::ErrorOf([&] { FeatureEncoder(macro, FeatureEncoding::kOfaMbv3); }),
            "space 'nas_bench_macro' does not fit the ofa_mbv3 encoding (it needs 20 block slots with kernels "
            "{3,5,7}, expand ratios {3,4,6} and resolutions from 112 to 239)");
}

TEST(FeatureEncoder, EquivalentNetworksShareFeatures) {
  const SearchSpace space = LoadSpace("nas_bench_macro");
  const FeatureEncoder encoder(space, FeatureEncoding::kOneHot);
  EXPECT_EQ(encoder.num_features(), 24);  // 8 layers x 3 operators
  // Every genome encodes as its canonical form, and different canonical
  // networks encode differently.
  std::map<std::vector<int>, Genome> seen;
  for (const Genome& g : space.Enumerate(false, 10000)) {
    const Genome canonical = space.Canonical(g);
    EXPECT_EQ(Active(encoder, g), Active(encoder, canonical)) << space.ToString(g);
    const auto [it, inserted] = seen.emplace(Active(encoder, canonical), canonical);
    EXPECT_TRUE(inserted || it->second == canonical) << space.ToString(g);
  }
  EXPECT_EQ(seen.size(), 3969u);
  // NAS-Bench-Macro: "00000010" is "00000001" with its identity moved to the end.
  EXPECT_EQ(Active(encoder, space.Parse("00000001")), Active(encoder, space.Parse("00000010")));
}

TEST(FeatureEncoder, OperatorSpacesOneBitPerUsedLayer) {
  const SearchSpace space = LoadSpace("fbnet");
  const FeatureEncoder encoder(space, FeatureEncoding::kOneHot);
  Rng rng(3);
  for (int i = 0; i < 200; ++i) {
    const Genome g = space.Sample(rng);
    const std::vector<int> active = Active(encoder, g);
    EXPECT_LE(static_cast<int>(active.size()), encoder.max_active());
    EXPECT_EQ(std::adjacent_find(active.begin(), active.end()), active.end());  // distinct bits
    EXPECT_EQ(Active(encoder, g), Active(encoder, space.Canonical(g)));
  }
}

}  // namespace
}  // namespace edgenas
