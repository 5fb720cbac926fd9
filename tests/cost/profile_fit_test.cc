#include "cost/profile_fit.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <map>

#include "common/file_util.h"
#include "cost/lut_cost_model.h"
#include "space/space_loader.h"
#include "test_util.h"

namespace edgenas {
namespace {

TEST(NonNegativeLeastSquares, ClampsWhatWouldBeNegative) {
  // Identity design: the unconstrained solution is b itself.
  EXPECT_EQ(NonNegativeLeastSquares({1, 0, 0, 0, 1, 0, 0, 0, 1}, {1, -2, 3}, 3, 3), (std::vector<double>{1, 0, 3}));
}

TEST(LatencyCalibration, RecoversTheModelAndNeverGoesBelowTheSum) {
  // measured = (1.1 + 0.05 W) * sum + 0.4, exactly.
  const std::vector<double> sums = {0.5, 1.0, 2.0, 4.0, 3.0};
  const std::vector<double> weights = {2.0, 8.0, 4.0, 10.0, 1.0};
  std::vector<double> measured;
  for (size_t i = 0; i < sums.size(); ++i) measured.push_back((1.1 + 0.05 * weights[i]) * sums[i] + 0.4);
  const LatencyCalibration exact = FitLatencyCalibration(sums, weights, measured);
  EXPECT_NEAR(exact.scale, 1.1, 1e-12);
  EXPECT_NEAR(exact.scale_per_weight_mib, 0.05, 1e-12);
  EXPECT_NEAR(exact.constant, 0.4, 1e-12);
  // Networks slower in proportion but with a negative offset (measured =
  // 2 * sum - 0.3) keep constant 0 and, weights being equal, the scale that
  // minimises the relative errors.
  const std::vector<double> same(sums.size(), 5.0);
  measured.clear();
  for (double s : sums) measured.push_back(2.0 * s - 0.3);
  const LatencyCalibration clamped = FitLatencyCalibration(sums, same, measured);
  EXPECT_EQ(clamped.constant, 0.0);
  double numerator = 0, denominator = 0;  // argmin over k of sum (k * s / m - 1)^2
  for (size_t i = 0; i < sums.size(); ++i) {
    numerator += sums[i] / measured[i];
    denominator += (sums[i] / measured[i]) * (sums[i] / measured[i]);
  }
  EXPECT_NEAR(clamped.scale + clamped.scale_per_weight_mib * 5.0, numerator / denominator, 1e-9);
  // Networks faster than their layers' sum keep the plain sum.
  const LatencyCalibration plain = FitLatencyCalibration({1.0, 2.0, 3.0}, {1.0, 2.0, 3.0}, {0.9, 1.7, 2.9});
  EXPECT_EQ(plain.scale, 1.0);
  EXPECT_EQ(plain.scale_per_weight_mib, 0.0);
  EXPECT_EQ(plain.constant, 0.0);
  EXPECT_EQ(testing::ErrorOf([] { FitLatencyCalibration({1.0, 2.0}, {1.0, 1.0}, {2.0, 3.0}); }),
            "calibrating needs at least 3 timed networks, got 2");
  EXPECT_EQ(testing::ErrorOf([] { FitLatencyCalibration({1.0, 0.0, 1.0}, {1, 1, 1}, {2.0, 1.0, 2.0}); }),
            "calibration network 2: the table sum (0) and the measured time (1) must be positive");
}

TEST(NonNegativeLeastSquares, SatisfiesTheOptimalityConditions) {
  Rng rng(7);
  const int rows = 40, cols = 12;
  std::vector<double> a(rows * cols), b(rows);
  for (double& v : a) v = rng.UniformReal() - 0.3;
  for (double& v : b) v = rng.UniformReal() - 0.5;
  const std::vector<double> x = NonNegativeLeastSquares(a, b, rows, cols);
  // KKT: x >= 0, gradient A^T(b - Ax) <= 0 where x = 0, and = 0 where x > 0.
  std::vector<double> residual(b);
  for (int i = 0; i < rows; ++i) {
    for (int j = 0; j < cols; ++j) residual[i] -= a[i * cols + j] * x[j];
  }
  int positive = 0;
  for (int j = 0; j < cols; ++j) {
    double gradient = 0;
    for (int i = 0; i < rows; ++i) gradient += a[i * cols + j] * residual[i];
    EXPECT_GE(x[j], 0.0);
    if (x[j] > 0) {
      EXPECT_NEAR(gradient, 0.0, 1e-9) << j;
      ++positive;
    } else {
      EXPECT_LE(gradient, 1e-9) << j;
    }
  }
  EXPECT_GT(positive, 0);
  EXPECT_LT(positive, cols);  // some constraint is active, or the test would not test it
}

class FitNote10 : public ::testing::Test {
 protected:
  // Timings at resolution 192 made with the Note10 table, times (1 + noise).
  std::vector<Timing> MakeTimings(int count, double noise, Rng& rng) const {
    std::vector<Timing> timings;
    for (int i = 0; i < count; ++i) {
      Genome g = space_.Sample(rng);
      g.genes[0] = resolution_index_;
      // Gaussian noise by Box-Muller.
      const double gaussian =
          std::sqrt(-2.0 * std::log(1.0 - rng.UniformReal())) * std::cos(2.0 * M_PI * rng.UniformReal());
      timings.push_back({g, truth_.Cost(g) * (1.0 + noise * gaussian)});
    }
    return timings;
  }

  const SearchSpace space_ = LoadSpace("ofa_mbv3_w1.2");
  const HardwareProfile note10_ = LoadBuiltinProfile("note10");
  const LutCostModel truth_{space_, note10_, "latency", {{192}}};
  const uint8_t resolution_index_ = 8;  // 160 + 4 * 8 = 192
};

// Without noise the fitted table predicts every network exactly. (A stage's
// first-block entries and the constant are only known up to a shared shift, as
// every network has exactly one first block per stage; predictions are unaffected.)
TEST_F(FitNote10, RecoversTheTableExactlyWithoutNoise) {
  Rng rng(1);
  const ProfileFit fit = FitProfile(space_, LutKeyFormat::kOfa, MakeTimings(400, 0.0, rng), {5, 0});
  EXPECT_EQ(fit.num_unknowns, 91);  // 90 block keys at r192 + 1 constant
  EXPECT_LT(fit.cv_mean_abs_percent_error, 1e-6);
  const std::string out = edgenas::testing::UniqueTempPath("fit_exact");
  std::filesystem::remove_all(out);
  const std::string folder = WriteFittedProfile(fit, space_, LutKeyFormat::kOfa, "fitted", "test", out, false);
  const LutCostModel fitted(space_, LoadHardwareProfile(folder), "latency", {{192}});
  for (const Timing& t : MakeTimings(200, 0.0, rng)) {
    EXPECT_NEAR(fitted.Cost(t.genome), truth_.Cost(t.genome), 1e-6 * truth_.Cost(t.genome));
  }
}

TEST_F(FitNote10, PredictsUnseenNetworksWithinTheNoise) {
  Rng rng(2);
  const ProfileFit fit = FitProfile(space_, LutKeyFormat::kOfa, MakeTimings(600, 0.01, rng), {5, 3});
  EXPECT_LT(fit.cv_mean_abs_percent_error, 1.5);
  EXPECT_EQ(fit.cv_share_within_10_percent, 1.0);
  const std::string out = edgenas::testing::UniqueTempPath("fit_noisy");
  std::filesystem::remove_all(out);
  const LutCostModel fitted(
      space_, LoadHardwareProfile(WriteFittedProfile(fit, space_, LutKeyFormat::kOfa, "fitted", "t", out, false)),
      "latency", {{192}});
  double total = 0;
  const std::vector<Timing> unseen = MakeTimings(300, 0.0, rng);
  for (const Timing& t : unseen) total += std::abs(fitted.Cost(t.genome) / truth_.Cost(t.genome) - 1.0);
  EXPECT_LT(100.0 * total / unseen.size(), 0.5);  // noise averages out over 600 timings
}

TEST_F(FitNote10, TooFewTimingsIsAClearError) {
  Rng rng(3);
  // How many keys 50 random networks use varies; the message's form does not.
  const std::string error =
      testing::ErrorOf([&] { FitProfile(space_, LutKeyFormat::kOfa, MakeTimings(50, 0.0, rng), {5, 0}); });
  EXPECT_EQ(error.rfind("50 timings cannot determine ", 0), 0u) << error;
  EXPECT_NE(error.find(" unknowns (one per block key seen, one constant per resolution); time at least "),
            std::string::npos)
      << error;
}

}  // namespace
}  // namespace edgenas

namespace edgenas {
namespace {

// A layer's features, counted by hand: an MBConv 16 -> 24 at 8x8 -> 4x4,
// kernel 5, expand to 48, SE 16, h-swish, no residual.
TEST(LayerFeatures, CountEachKindOfWork) {
  LayerSpec l;
  l.op = LayerOp::kMBConv;
  l.in_channels = 16;
  l.in_size = 8;
  l.out_channels = 24;
  l.out_size = 4;
  l.kernel = 5;
  l.stride = 2;
  l.mid_channels = 48;
  l.has_expand_conv = true;
  l.se = true;
  l.se_channels = 16;
  l.activation = Activation::kHSwish;
  const std::vector<std::string> names = LayerFeatureNames();
  const std::vector<double> f = LayerFeatures(l);
  ASSERT_EQ(f.size(), names.size());
  std::map<std::string, double> by_name;
  for (size_t i = 0; i < f.size(); ++i) by_name[names[i]] = f[i];
  EXPECT_EQ(by_name["conv_macs"], 0);
  EXPECT_EQ(by_name["pointwise_macs"], 16 * 48 * 64 + 48 * 24 * 16);  // expand at 8x8, project at 4x4
  EXPECT_EQ(by_name["depthwise_macs"], 48 * 25 * 16);
  EXPECT_EQ(by_name["depthwise_outputs"], 48 * 16);
  EXPECT_EQ(by_name["se_macs"], 2 * 48 * 16);
  EXPECT_EQ(by_name["pooled_elements"], 48 * 16);
  EXPECT_EQ(by_name["hswish_elements"], 48 * 64 + 48 * 16 + 48);  // expand, depthwise, the SE gate
  EXPECT_EQ(by_name["relu_elements"], 0);
  EXPECT_EQ(by_name["residual_elements"], 0);
  EXPECT_EQ(by_name["tensor_elements"], 16 * 64 + 24 * 16);
  EXPECT_EQ(by_name["weights"], 16 * 48 + 48 * 25 + 2 * 48 * 16 + 48 * 24);
  EXPECT_EQ(by_name["convolutions"], 5);
  EXPECT_EQ(by_name["linear_macs"], 0);
}

// Timings made by a known per-feature cost are predicted exactly, and the
// written profile prices every network of the space, including ones whose
// keys no timing used.
TEST(ProfileFit, LayerFeaturesModelRecoversAKnownCostAndCoversTheSpace) {
  const SearchSpace space = LoadSpace("mbv3_small_input");
  const std::vector<std::string> names = LayerFeatureNames();
  std::vector<double> unit_cost(names.size());
  for (size_t i = 0; i < names.size(); ++i) unit_cost[i] = (i % 3 == 0) ? 0.0 : 1e-6 * (i + 1);
  const auto true_cost = [&](const Genome& g) {
    const NetworkSpec net = space.Decode(g);
    double total = 0.01 + 0.001 * net.resolution;  // the per-network constant
    for (const LayerSpec& l : net.layers) {
      const std::vector<double> f = LayerFeatures(l);
      for (size_t i = 0; i < f.size(); ++i) total += unit_cost[i] * f[i];
    }
    return total;
  };
  Rng rng(11);
  std::vector<Timing> timings;
  for (int i = 0; i < 120; ++i) {
    const Genome g = space.Sample(rng);
    timings.push_back({g, true_cost(g)});
  }
  ProfileFit::Options options;
  options.model = ProfileFit::Model::kLayerFeatures;
  const ProfileFit fit = FitProfile(space, LutKeyFormat::kOfa, timings, options);
  EXPECT_EQ(fit.num_unknowns, static_cast<int>(names.size()) + 5);  // and one constant per resolution
  EXPECT_LT(fit.cv_mean_abs_percent_error, 1e-4);
  EXPECT_EQ(fit.feature_costs.size(), names.size());  // (some are not identifiable alone: the classifier is fixed)

  const std::string out = testing::UniqueTempPath("features_fit");
  std::filesystem::remove_all(out);
  const std::string folder =
      WriteFittedProfile(fit, space, LutKeyFormat::kOfa, "fitted", "test", out, false, "latency_int8");
  const LutCostModel model(space, LoadHardwareProfile(folder), "latency_int8");
  for (int i = 0; i < 50; ++i) {
    const Genome g = space.Sample(rng);  // networks no timing saw
    EXPECT_NEAR(model.Cost(g), true_cost(g), 1e-6 * true_cost(g));
  }
  std::filesystem::remove_all(out);
}

TEST(ProfileFit, PerKeyModelSaysHowManyTimingsItNeedsAndOffersTheOther) {
  const SearchSpace space = LoadSpace("mbv3_small_input");
  Rng rng(2);
  std::vector<Timing> timings;
  for (int i = 0; i < 20; ++i) timings.push_back({space.Sample(rng), 1.0});
  const std::string error = testing::ErrorOf([&] { FitProfile(space, LutKeyFormat::kOfa, timings, {}); });
  EXPECT_NE(error.find("20 timings cannot determine"), std::string::npos) << error;
  EXPECT_NE(error.find("layer-features model"), std::string::npos) << error;
}

TEST(ReadTimingsCsv, ReadsColumnsByNameFiltersPrecisionAndSkipsUntimedRows) {
  const SearchSpace space = LoadSpace("mbv3_small_input");
  Rng rng(3);
  const std::string a = space.ToString(space.Sample(rng)), b = space.ToString(space.Sample(rng));
  const std::string path = testing::UniqueTempPath("manifest") + ".csv";
  WriteFileAtomically(path, "file,precision,arch,resolution,macs,params,latency_ms\n"
                            "n0.onnx,fp32," + a + ",16,1,1,0.5\n"
                            "n0_int8.onnx,int8," + a + ",16,1,1,0.4\n"
                            "n1.onnx,fp32," + b + ",16,1,1,\n");
  const TimingsFile fp32 = ReadTimingsCsv(space, path, "fp32");
  ASSERT_EQ(fp32.timings.size(), 1u);
  EXPECT_EQ(space.ToString(fp32.timings[0].genome), a);
  EXPECT_EQ(fp32.timings[0].value, 0.5);
  EXPECT_EQ(fp32.untimed, 1);
  EXPECT_EQ(fp32.other_precision, 1);
  EXPECT_EQ(ReadTimingsCsv(space, path, "int8").timings.at(0).value, 0.4);
  WriteFileAtomically(path, "arch,ms,x\n" + a + ",1,2\n");
  EXPECT_NE(testing::ErrorOf([&] { ReadTimingsCsv(space, path, "fp32"); }).find("expected the columns 'arch' and 'latency_ms'"),
            std::string::npos);
  std::filesystem::remove(path);
}

}  // namespace
}  // namespace edgenas
