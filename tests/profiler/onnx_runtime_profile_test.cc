// ONNX Runtime profiles: the timed models are the exporter's own layers, a
// measurement covers every key in both precisions and resumes, validation and
// sampling produce what profile fit reads. Timings are kept to the least that
// exercises them; nothing here checks speed.
#include "profiler/onnx_runtime_profile.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <set>

#include "common/csv_reader.h"
#include "common/error.h"
#include "common/file_util.h"
#include "cost/lut_cost_model.h"
#include "cost/lut_keys.h"
#include "cost/profile_fit.h"
#include "profiler/measure_common.h"
#include "space/network_stats.h"
#include "export/folded_network.h"
#include "export/onnx_model.h"
#include "runtime/onnx_runtime.h"
#include "space/space_loader.h"
#include "test_util.h"

namespace edgenas {
namespace {

namespace fs = std::filesystem;

std::vector<std::string> OpTypes(const onnx::GraphProto& graph, const std::string& layer_prefix) {
  std::vector<std::string> ops;
  for (const onnx::NodeProto& node : graph.node()) {
    if (node.output(0).rfind(layer_prefix + ".", 0) == 0 || node.output(0) == layer_prefix) ops.push_back(node.op_type());
  }
  return ops;
}

// A layer model holds the layer's nodes exactly as the network's model does
// (same operators, in order), then an Identity to the graph output.
TEST(LayerTimingModel, WritesTheLayerAsTheNetworkExportDoes) {
  for (const char* name : {"mbv3_small_input", "fbnet"}) {
    const SearchSpace space = LoadSpace(name);
    Rng rng(5);
    const NetworkSpec spec = space.Decode(space.Sample(rng));
    const onnx::ModelProto network = NetworkTimingModel(spec, Precision::kFp32, 1);
    for (const LayerSpec& layer : spec.layers) {
      if (layer.op == LayerOp::kIdentity) continue;
      SCOPED_TRACE(std::string(name) + " " + layer.name);
      const onnx::ModelProto model = LayerTimingModel(layer, Precision::kFp32, 1);
      CheckOnnxModel(model);  // strict shape inference: the declared output shape holds
      std::vector<std::string> ops = OpTypes(model.graph(), layer.name);
      EXPECT_EQ(ops, OpTypes(network.graph(), layer.name));
      const std::string last = model.graph().node(model.graph().node_size() - 1).op_type();
      EXPECT_EQ(last, layer.op == LayerOp::kLinear ? "Gemm" : "Identity");
    }
  }
}

// In int8, a layer's output is quantized as inside a network (so ONNX Runtime
// fuses its last operator into an integer kernel); a linear layer's stays float.
TEST(LayerTimingModel, QuantizesTheLayerOutputUnlessItIsTheClassifier) {
  const SearchSpace space = LoadSpace("mbv3_small_input");
  for (const KeyedLayer& k : DistinctLayers(space, LutKeyFormat::kNative, {16})) {
    const onnx::ModelProto model = LayerTimingModel(k.layer, Precision::kInt8, 2);
    const onnx::GraphProto& g = model.graph();
    const onnx::NodeProto& last = g.node(g.node_size() - 1);
    if (k.layer.op == LayerOp::kLinear) {
      EXPECT_EQ(last.op_type(), "Gemm") << k.key;
    } else {
      ASSERT_EQ(last.op_type(), "Identity") << k.key;
      ASSERT_GE(g.node_size(), 3);
      EXPECT_EQ(g.node(g.node_size() - 2).op_type(), "DequantizeLinear") << k.key;
      EXPECT_EQ(g.node(g.node_size() - 3).op_type(), "QuantizeLinear") << k.key;
    }
  }
}

TEST(RandomFoldedNetwork, HasTheShapesOfAFoldedStateDictAndIsReproducible) {
  const SearchSpace space = LoadSpace("fbnet");
  Rng rng(3);
  const NetworkSpec spec = space.Decode(space.Sample(rng));
  const FoldedNetwork a = RandomFoldedNetwork(spec, 7), b = RandomFoldedNetwork(spec, 7), c = RandomFoldedNetwork(spec, 8);
  ASSERT_EQ(a.layers.size(), spec.layers.size());
  // A state_dict of the same tensors, with identity BatchNorms, folds back
  // into the same weights: FoldBatchNorm names each tensor of another shape.
  std::map<std::string, FloatTensor> state;
  const auto put = [&](const std::string& prefix, const std::string& bn, const FoldedConv& conv, bool bias) {
    if (conv.empty()) return;
    const int64_t out = conv.weight.shape[0];
    state[prefix + ".weight"] = conv.weight;
    if (bias) state[prefix + ".bias"] = {{out}, conv.bias};
    if (bn.empty()) return;
    const double identity = std::sqrt(1.0 + kBatchNormEpsilon);  // gamma / sqrt(var + eps) = 1
    state[bn + ".weight"] = {{out}, std::vector<float>(static_cast<size_t>(out), static_cast<float>(identity))};
    state[bn + ".bias"] = {{out}, conv.bias};
    state[bn + ".running_mean"] = {{out}, std::vector<float>(static_cast<size_t>(out), 0.0f)};
    state[bn + ".running_var"] = {{out}, std::vector<float>(static_cast<size_t>(out), 1.0f)};
  };
  for (size_t i = 0; i < spec.layers.size(); ++i) {
    const LayerSpec& l = spec.layers[i];
    const FoldedLayer& f = a.layers[i];
    const std::string m = ModuleName(l);
    put(m + ".conv", l.batch_norm ? m + ".bn" : "", f.conv, l.bias);
    put(m + ".expand", m + ".expand_bn", f.expand, false);
    put(m + ".depthwise", m + ".depthwise_bn", f.depthwise, false);
    put(m + ".se_reduce", "", f.se_reduce, true);
    put(m + ".se_expand", "", f.se_expand, true);
    put(m + ".project", m + ".project_bn", f.project, false);
    put(m + ".linear", "", f.linear, true);
  }
  const FoldedNetwork folded = FoldBatchNorm(spec, state, "random");
  for (size_t i = 0; i < spec.layers.size(); ++i) {
    for (const auto& [mine, theirs] : {std::pair{&a.layers[i].depthwise, &folded.layers[i].depthwise},
                                       std::pair{&a.layers[i].project, &folded.layers[i].project}}) {
      ASSERT_EQ(mine->weight.shape, theirs->weight.shape) << spec.layers[i].name;
      for (size_t k = 0; k < mine->bias.size(); ++k) EXPECT_NEAR(mine->bias[k], theirs->bias[k], 1e-6);
    }
  }
  EXPECT_EQ(a.layers[0].conv.weight.values, b.layers[0].conv.weight.values);
  EXPECT_NE(a.layers[0].conv.weight.values, c.layers[0].conv.weight.values);
}

MeasureOptions QuickOrtMeasure(const std::string& out_root) {
  MeasureOptions o;
  o.runtime = MeasureRuntime::kOnnxRuntime;
  o.precisions = {Precision::kFp32, Precision::kInt8};
  o.spaces = {"nas_bench_macro"};
  o.device = "host_ort";
  o.out_root = out_root;
  o.timer.warmup_runs = 1;
  o.timer.min_runs = 2;
  o.timer.min_time_ms = 0;
  o.calibration_networks = 16;  // the entries' 15 unknowns at one resolution
  return o;
}

TEST(OnnxRuntimeProfile, MeasuresEveryKeyInBothPrecisionsAndResumes) {
  EDGENAS_REQUIRE_INSTALLED(OnnxRuntimeMissing());
  const std::string out = edgenas::testing::UniqueTempPath("ort_measure");
  fs::remove_all(out);
  int reports = 0;
  MachineLoad load;
  const MeasureSummary first = MeasureOnnxRuntimeProfile(QuickOrtMeasure(out), [&](const MeasureProgress& p) {
    ++reports;
    EXPECT_LE(p.done, p.total);
  }, &load);
  EXPECT_EQ(first.layers_timed, 2 * 19);  // NAS-Bench-Macro's 19 distinct layers, in each precision
  EXPECT_GE(reports, 1);
  EXPECT_GE(load.reference_timings, 1);

  const SearchSpace space = LoadSpace("nas_bench_macro");
  const HardwareProfile profile = LoadHardwareProfile(out + "/host_ort");
  ASSERT_EQ(profile.metrics.size(), 2u);
  for (const char* metric : {"latency", "latency_int8"}) {
    const LutCostModel model(space, profile, metric);  // every key the space needs is there
    Rng rng(1);
    EXPECT_GT(model.Cost(space.Sample(rng)), 0) << metric;
  }
  const CsvFile calibration = CsvFile::Read(out + "/host_ort/tables/calibration_networks.csv");
  EXPECT_EQ(calibration.rows().size(), 2u * 16);

  // An interrupted run: one table lost. --resume times only what is missing.
  fs::remove(out + "/host_ort/tables/int8_32_lookup_table.yaml");
  fs::remove(out + "/host_ort/profile.yaml");
  MeasureOptions resume = QuickOrtMeasure(out);
  EXPECT_THROW(MeasureOnnxRuntimeProfile(resume, [](const MeasureProgress&) {}), Error);  // neither resume nor replace
  resume.resume = true;
  const MeasureSummary second = MeasureOnnxRuntimeProfile(resume, [](const MeasureProgress&) {});
  EXPECT_EQ(second.layers_reused, 19);
  EXPECT_EQ(second.layers_timed, 19);
  EXPECT_EQ(CsvFile::Read(out + "/host_ort/tables/calibration_networks.csv").rows().size(), 2u * 16);  // kept
  EXPECT_EQ(LoadHardwareProfile(out + "/host_ort").metrics.size(), 2u);

  OnnxRuntimeValidation v;
  v.profile_folder = out + "/host_ort";
  v.space = "nas_bench_macro";
  v.precision = Precision::kInt8;
  v.count = 3;
  v.timer = QuickOrtMeasure(out).timer;
  int progress = 0;
  const ValidationReport report = ValidateOnnxRuntimeProfile(v, [&](int done, int total) {
    progress = done;
    EXPECT_EQ(total, 3);
  });
  EXPECT_EQ(progress, 3);
  ASSERT_EQ(report.networks.size(), 3u);
  for (const auto& n : report.networks) {
    EXPECT_GT(n.measured_ms, 0);
    EXPECT_GT(n.predicted_ms, 0);
  }
  fs::remove_all(out);
}

TEST(OnnxRuntimeProfile, RefusesTooFewCalibrationNetworksBeforeTimingAnything) {
  EDGENAS_REQUIRE_INSTALLED(OnnxRuntimeMissing());
  const std::string out = edgenas::testing::UniqueTempPath("ort_too_few");
  MeasureOptions o = QuickOrtMeasure(out);
  o.calibration_networks = 14;
  EXPECT_EQ(edgenas::testing::ErrorOf([&] { MeasureOnnxRuntimeProfile(o, [](const MeasureProgress&) {}); }),
            "14 calibration networks cannot fit the 15 unknowns of this profile's entries (one for the time alone, "
            "13 layer features, one constant per resolution): give at least 15, or 0 to use the layers' times alone");
  EXPECT_FALSE(PathExists(out + "/host_ort/tables"));
  fs::remove_all(out);
}

TEST(OnnxRuntimeProfile, RefusesAPrecisionItCannotTime) {
  MeasureOptions o = QuickOrtMeasure("/nonexistent");
  o.runtime = MeasureRuntime::kLibTorch;
  std::string error;
  EXPECT_FALSE(o.IsValid(&error));
  EXPECT_NE(error.find("LibTorch profiles are fp32 only"), std::string::npos) << error;
}

// profile validate --data: a profile against timings it was not made from.
TEST(ValidateAgainstTimings, ComparesTheProfileWithEveryTimedRowOfItsPrecision) {
  const SearchSpace space = LoadSpace("mbv3_small_input");
  Rng rng(9);
  std::vector<Timing> timings;
  std::string csv = "arch,precision,latency_ms\n";
  for (int i = 0; i < 60; ++i) {
    const Genome g = space.Sample(rng);
    const NetworkStats stats = ComputeStats(space.Decode(g));
    const double ms = 0.02 + 1e-7 * stats.macs;  // a device whose time is linear in MACs
    timings.push_back({g, ms});
    csv += fmt::format("{},int8,{}\n{},fp32,{}\n", space.ToString(g), ms, space.ToString(g), 2 * ms);
  }
  ProfileFit::Options options;
  options.model = ProfileFit::Model::kLayerFeatures;
  const std::string out = edgenas::testing::UniqueTempPath("validate_data");
  fs::remove_all(out);
  const std::string folder = WriteFittedProfile(FitProfile(space, LutKeyFormat::kOfa, timings, options), space,
                                                LutKeyFormat::kOfa, "device", "test", out, false, "latency_int8");
  const std::string path = out + "/timings.csv";
  WriteFileAtomically(path, csv);
  const ValidationReport report = ValidateAgainstTimings(folder, "mbv3_small_input", Precision::kInt8, path, false);
  ASSERT_EQ(report.networks.size(), 60u);  // the int8 rows only
  EXPECT_LT(report.mean_abs_percent_error, 1e-3);
  EXPECT_EQ(report.share_within_10_percent, 1.0);
  // The profile has no fp32 latency.
  EXPECT_NE(edgenas::testing::ErrorOf([&] {
              ValidateAgainstTimings(folder, "mbv3_small_input", Precision::kFp32, path, false);
            }).find("has no metric 'latency'"),
            std::string::npos);
  fs::remove_all(out);
}

TEST(SampleNetworks, WritesDistinctNetworksSpreadOverResolutionsWithAManifest) {
  const std::string out = edgenas::testing::UniqueTempPath("sample") + "/networks";
  SampleOptions o;
  o.space = "mbv3_small_input";
  o.count = 12;
  o.precisions = {Precision::kFp32, Precision::kInt8};
  o.seed = 4;
  o.out = out;
  int last = 0;
  SampleNetworks(o, [&](int done, int total) {
    last = done;
    EXPECT_EQ(total, 24);
  });
  EXPECT_EQ(last, 24);
  const CsvFile manifest = CsvFile::Read(out + "/manifest.csv");
  EXPECT_EQ(manifest.HeaderLine(), "file,precision,arch,resolution,input,macs,params,latency_ms");
  ASSERT_EQ(manifest.rows().size(), 24u);
  std::set<std::string> archs;
  std::map<std::string, int> per_resolution;
  std::map<std::string, std::vector<double>> macs_by_resolution;
  for (const CsvFile::Row& row : manifest.rows()) {
    EXPECT_TRUE(PathExists(out + "/" + row.fields[0])) << row.fields[0];
    EXPECT_EQ(row.fields[4], "1x1x" + row.fields[3] + "x" + row.fields[3]);
    EXPECT_EQ(row.fields[7], "");  // for the user to fill in
    if (row.fields[1] != "fp32") continue;
    archs.insert(row.fields[2]);
    ++per_resolution[row.fields[3]];
    macs_by_resolution[row.fields[3]].push_back(manifest.Number(row, 5));
  }
  EXPECT_EQ(archs.size(), 12u);  // each a different architecture
  ASSERT_EQ(per_resolution.size(), 5u);  // 16..32, 2 or 3 networks each
  for (const auto& [r, n] : per_resolution) EXPECT_TRUE(n == 2 || n == 3) << r;
  for (const auto& [r, macs] : macs_by_resolution) EXPECT_LT(macs.front(), macs.back()) << r;  // low to high quantiles
  EXPECT_NE(ReadFile(out + "/README.md").find("profile fit --space mbv3_small_input --data manifest.csv"),
            std::string::npos);
  // Never over an existing folder.
  EXPECT_THROW(SampleNetworks(o, [](int, int) {}), Error);
  fs::remove_all(fs::path(out).parent_path());
}

}  // namespace
}  // namespace edgenas
