// Latency in ONNX Runtime, the runtime users deploy the exported models with.
//
//   measure:  every distinct layer (DistinctLayers, native keys) written as a
//             one-layer ONNX model exactly as the exporter writes that layer
//             (BuildLayerModel; int8: BuildInt8Model's QDQ form), timed at
//             batch 1 in one onnxruntime-node process per batch of models;
//             whole networks of the space are timed in the same batches, spread
//             among the layers so that the machine's drift hits both alike,
//             and fit the per-resolution scale and constant as for LibTorch.
//             Tables are written after every batch; --resume continues.
//   validate: random networks, exported and timed whole, against the profile.
//   sample:   random networks as ONNX files plus manifest.csv, for timing on
//             a device that is not this machine (then `profile fit`).
//
// Weights are random (RandomFoldedNetwork): a layer's time does not depend on
// its values. int8 models get representative ranges (every activation in
// [-4, 4], after a folded ReLU [0, 6]): the integer kernels' cost does not
// depend on the scales either.
//
// LibTorch-free. ONNX Runtime runs through runtime/onnx_runtime.h.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <onnx/onnx_pb.h>

#include "profiler/profile_measure.h"
#include "space/layer_spec.h"

namespace edgenas {

// The model timed for one layer, and for one whole network, at `precision`.
onnx::ModelProto LayerTimingModel(const LayerSpec& layer, Precision precision, uint64_t seed);
onnx::ModelProto NetworkTimingModel(const NetworkSpec& spec, Precision precision, uint64_t seed,
                                    const std::string& space = "", const std::string& arch = "");

// What the measurement saw of the machine while it ran.
struct MachineLoad {
  // Cores' worth of CPU time that other processes used during the run (the
  // machine's busy time less this process's and its children's), and that
  // the hypervisor gave to other machines (steal), on average.
  double other_processes_cores = 0;
  double steal_cores = 0;
  double reference_spread = 0;     // (slowest - fastest) / fastest median of the reference network, over batches
  int reference_timings = 0;
  // A sentence for the user when the machine looked busy; empty if not.
  std::string Warning(int threads) const;
};

// Defaults for ONNX Runtime timing: a layer takes microseconds here, so
// fewer, shorter runs than LibTorch's per-layer defaults.
TimerOptions OnnxRuntimeTimerDefaults();

// `profile measure --runtime onnxruntime`: one metric per precision
// (LatencyMetric) in one profile. `o.runtime` must be kOnnxRuntime.
MeasureSummary MeasureOnnxRuntimeProfile(const MeasureOptions& o,
                                         const std::function<void(const MeasureProgress&)>& on_progress,
                                         MachineLoad* load = nullptr);

struct OnnxRuntimeValidation {
  std::string profile_folder;
  std::string space;
  Precision precision = Precision::kFp32;
  int count = 100;
  uint64_t seed = 1;
  int threads = 0;  // 0: the profile's
  TimerOptions timer = OnnxRuntimeTimerDefaults();
  bool interpolate_missing = false;
};

// Times `v.count` random networks of the space in ONNX Runtime at the
// profile's resolutions and compares them with its LatencyMetric(precision).
ValidationReport ValidateOnnxRuntimeProfile(const OnnxRuntimeValidation& v,
                                            const std::function<void(int done, int total)>& on_progress,
                                            MachineLoad* load = nullptr);

// A profile's reference network (written by `profile measure --runtime
// onnxruntime`) as an ONNX model, for timing beside other models: its time
// then over its time now says how much faster the machine runs than when the
// profile was measured.
struct SpeedReference {
  std::string device;
  std::string model_path;
  std::vector<int64_t> input_shape;
  double profile_ms = 0;  // its time when the profile was measured
};

// Writes the reference network of the profile in `profile_folder` (named
// `device`) to `model_path`; empty if the profile has none.
std::optional<SpeedReference> WriteSpeedReference(const std::string& profile_folder, const std::string& device,
                                                  const std::string& model_path);

struct SampleOptions {
  std::string space;
  int count = 300;
  std::vector<int> resolutions;  // empty: all of the space's
  std::vector<Precision> precisions = {Precision::kFp32};
  uint64_t seed = 0;
  std::string out;  // a folder that must not exist yet
};

// `profile sample`: `count` different random networks of the space, spread
// evenly over its resolutions and, within each, over its range of MACs
// (stratified), written as <out>/<id>_<precision>.onnx, with manifest.csv
// (file, precision, arch, resolution, input (its batch-1 shape, "1x1x28x28"),
// macs, params, latency_ms empty) and a
// README on timing them. The folder appears whole or not at all.
void SampleNetworks(const SampleOptions& o, const std::function<void(int done, int total)>& on_progress);

}  // namespace edgenas
