#include "space/network_stats.h"

#include <gtest/gtest.h>

#include "space/space_loader.h"
#include "test_util.h"

namespace edgenas {
namespace {

using testing::OfaJson;
using testing::Repeat;

// Params and MACs of all 6561 NAS-Bench-Macro strings equal the benchmark's fields.
TEST(NetworkStats, MatchesNasBenchMacroForAllArchitectures) {
  const SearchSpace space = LoadSpace("nas_bench_macro");
  const auto rows = testing::ReadCsvRows(EDGENAS_TEST_DATA "/nas_bench_macro.csv");
  ASSERT_EQ(rows.size(), 6561u);
  for (const auto& row : rows) {
    SCOPED_TRACE("arch " + row[0]);
    const NetworkStats stats = ComputeStats(space.Decode(space.Parse(row[0])));
    EXPECT_EQ(stats.params, std::stoll(row[2]));
    EXPECT_EQ(stats.macs, std::stoll(row[3]));
  }
}

struct OfaCase {
  std::string name;
  std::string arch;  // OFA JSON
  int64_t macs_w10, params_w10, macs_w12, params_w12;
};

std::vector<OfaCase> OfaCases() {
  return {
      {"smallest", OfaJson(Repeat({3}, 20), Repeat({3}, 20), {2, 2, 2, 2, 2}, 160), 63240528, 3410792, 100320888,
       4602456},
      {"largest", OfaJson(Repeat({7}, 20), Repeat({6}, 20), {4, 4, 4, 4, 4}, 224), 566170688, 7664760, 843101056,
       10701632},
      {"tutorial", OfaJson({3, 3, 7, 7, 5, 3, 5, 3, 7, 5, 3, 5, 3, 3, 3, 3, 3, 3, 5, 3},
                           {3, 4, 4, 6, 6, 4, 3, 3, 6, 3, 3, 3, 4, 3, 6, 4, 6, 6, 6, 6}, {2, 3, 4, 3, 3}, 192),
       179288448, 5564064, 273195456, 7726320},
      {"mixed", OfaJson(Repeat({5, 7, 3, 5}, 5), Repeat({6, 3, 4, 4}, 5), {4, 2, 3, 2, 4}, 176), 172321776, 4833016,
       269739488, 6650600},
  };
}

// Once-for-All's profiler stores each module's MACs in a float32 tensor and sums
// them in float32 in module order, so its published totals carry float32
// rounding. Summing our per-primitive counts the same way must give its numbers
// bit for bit; that checks every conv's count, not just the total.
float ReferenceFloat32Macs(const NetworkSpec& net) {
  float total = 0.0f;
  for (const LayerSpec& layer : net.layers) {
    for (const Primitive& p : LowerToPrimitives(layer)) {
      if (p.macs > 0) total += static_cast<float>(p.macs);
    }
  }
  return total;
}

TEST(NetworkStats, MatchesOnceForAllReference) {
  const SearchSpace w10 = LoadSpace("ofa_mbv3_w1.0");
  const SearchSpace w12 = LoadSpace("ofa_mbv3_w1.2");
  for (const OfaCase& c : OfaCases()) {
    SCOPED_TRACE(c.name);
    const NetworkSpec net10 = w10.Decode(w10.Parse(c.arch));
    const NetworkSpec net12 = w12.Decode(w12.Parse(c.arch));
    const NetworkStats s10 = ComputeStats(net10);
    const NetworkStats s12 = ComputeStats(net12);
    EXPECT_EQ(s10.params, c.params_w10);
    EXPECT_EQ(s12.params, c.params_w12);
    EXPECT_EQ(static_cast<int64_t>(ReferenceFloat32Macs(net10)), c.macs_w10);
    EXPECT_EQ(static_cast<int64_t>(ReferenceFloat32Macs(net12)), c.macs_w12);
    // The exact integer totals are within one float32 step (64 at this size) of the published ones.
    EXPECT_LE(std::llabs(s10.macs - c.macs_w10), 64);
    EXPECT_LE(std::llabs(s12.macs - c.macs_w12), 64);
  }
}

// Peak activation memory, computed by hand for NAS-Bench-Macro 01000000:
// stem conv 3->32 at 32x32; layer 0 strided identity (1x1 conv 32->64, stride 2);
// layer 1 an MB3_K3 64->64 at 16x16 with a residual; the rest identities.
TEST(NetworkStats, PeakActivationMemoryHandComputed) {
  const SearchSpace space = LoadSpace("nas_bench_macro");
  const NetworkSpec net = space.Decode(space.Parse("01000000"));
  const NetworkStats stats = ComputeStats(net);
  const int64_t x = 64 * 16 * 16;        // block input, kept for the residual add
  const int64_t expanded = 192 * 16 * 16;  // 64 * 3 channels
  // Expand conv: x + expanded = 65,536. Depthwise: expanded in + expanded out + x = 114,688.
  // Project: expanded + y + x = 81,920. Residual add: x + 2y = 49,152.
  EXPECT_EQ(stats.layers[2].peak_activations, expanded + expanded + x);
  EXPECT_EQ(stats.layers[0].peak_activations, 3 * 32 * 32 + 32 * 32 * 32);  // stem: 35,840
  EXPECT_EQ(stats.layers[1].peak_activations, 32 * 32 * 32 + 64 * 16 * 16);  // strided identity: 49,152
  EXPECT_EQ(stats.peak_activations, 114688);
}

TEST(NetworkStats, SqueezeExciteAndIdentityLayers) {
  LayerSpec mb;
  mb.op = LayerOp::kMBConv;
  mb.in_channels = 40;
  mb.out_channels = 40;
  mb.in_size = mb.out_size = 14;
  mb.kernel = 5;
  mb.mid_channels = 160;
  mb.has_expand_conv = true;
  mb.se = true;
  mb.se_channels = 40;
  mb.residual = true;
  const LayerStats s = ComputeLayerStats(mb);
  // expand 40*160*196, depthwise 160*25*196, SE 2*160*40, project 160*40*196.
  EXPECT_EQ(s.macs, 40 * 160 * 196 + 160 * 25 * 196 + 2 * 160 * 40 + 160 * 40 * 196);
  // weights + BN (2 per channel) for the three convs; SE weights and biases.
  EXPECT_EQ(s.params, (40 * 160 + 320) + (160 * 25 + 320) + (160 * 40 + 40 + 40 * 160 + 160) + (160 * 40 + 80));
  // The peak is SE scaling: the depthwise output in and scaled out, 160 channel
  // weights, and the block input kept for the residual add.
  EXPECT_EQ(s.peak_activations, 2 * 160 * 196 + 160 + 40 * 196);

  LayerSpec identity;
  identity.op = LayerOp::kIdentity;
  identity.in_channels = identity.out_channels = 24;
  identity.in_size = identity.out_size = 8;
  const LayerStats i = ComputeLayerStats(identity);
  EXPECT_EQ(i.macs, 0);
  EXPECT_EQ(i.params, 0);
  EXPECT_EQ(i.peak_activations, 24 * 64);
}

}  // namespace
}  // namespace edgenas
