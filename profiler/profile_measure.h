// Measuring this machine: `edgenas profile measure` and `edgenas profile validate`.
//
//   measure:  DistinctLayers(space) -> a LibTorch module per layer -> TimeRuns at
//             batch 1 -> tables/<r>_lookup_table.yaml (median, MAD, runs), written
//             after every layer so an interrupted run resumes where it stopped;
//             then whole networks are timed to fit, per resolution, the scale
//             and constant that turn the sum of layers into a network's time
//             (FitLatencyCalibration); then profile.yaml.
//   validate: random networks, timed end to end, against the profile's prediction.
//
// The LibTorch runtime is implemented in profile_measure.cc (edgenas-torch),
// ONNX Runtime in onnx_runtime_profile.h (LibTorch-free); both write the same
// profile format.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "profiler/timer.h"

namespace edgenas {

enum class MeasureRuntime { kLibTorch, kOnnxRuntime };

// The precision of the model a table is timed in, and the profile metric that
// holds it: fp32 -> "latency", int8 (ONNX Runtime QDQ) -> "latency_int8".
enum class Precision { kFp32, kInt8 };
const char* PrecisionToString(Precision precision);  // "fp32", "int8"
bool StringToPrecision(const std::string& name, Precision* precision);
const char* LatencyMetric(Precision precision);

struct MeasureOptions {
  MeasureRuntime runtime = MeasureRuntime::kLibTorch;
  std::vector<Precision> precisions = {Precision::kFp32};  // LibTorch: fp32 only
  std::vector<std::string> spaces;  // built-in names or space files
  std::vector<int> resolutions;     // restricts spaces with several resolutions; empty: all
  std::string device;               // the profile's name (folder)
  std::string out_root;             // folder that holds the profile folder
  int threads = 1;                  // intra-op threads, recorded in profile.yaml
  TimerOptions timer;
  int calibration_networks = 40;    // whole networks per space timed to fit scale and constant (0: none)
  uint64_t seed = 0;                // picks the calibration networks
  bool resume = false;              // keep the layers already in the tables
  bool replace = false;             // overwrite a finished profile

  // Names the first field that breaks a rule, with its value.
  bool IsValid(std::string* error) const;
};

// After each layer, then after each calibration network; `total` counts both.
struct MeasureProgress {
  int done = 0;
  int total = 0;
  std::string key;     // the layer just timed, or "calibration: <arch>"
  double ms = 0;       // its median
  double eta_seconds = 0;
};

struct MeasureSummary {
  std::string folder;
  int layers_timed = 0;
  int layers_reused = 0;  // found in the tables by --resume
  double seconds = 0;
  std::string blas;       // the BLAS library LibTorch runs on
};

MeasureSummary MeasureProfile(const MeasureOptions& options,
                              const std::function<void(const MeasureProgress&)>& on_layer);

struct ValidationReport {
  struct Network {
    std::string arch;
    double predicted_ms = 0;
    double measured_ms = 0;
    double error_percent() const { return 100.0 * (predicted_ms - measured_ms) / measured_ms; }
  };
  std::vector<Network> networks;
  double mean_abs_percent_error = 0;
  double share_within_5_percent = 0;   // 0..1
  double share_within_10_percent = 0;  // 0..1
  int estimated_entries = 0;  // table entries interpolated (interpolate_missing)
  // ONNX Runtime: measured_ms is scaled to the speed the profile was measured
  // at, by its reference network timed among the networks; these are the
  // timings as they came, and the machine's speed now against then (> 1:
  // faster; 0: the profile has no reference network, nothing was scaled).
  std::vector<double> raw_measured_ms;
  double speed_vs_profile = 0;
};

// Times `count` random networks of `space` end to end under the profile's
// thread count and compares them with the profile's latency. With
// `interpolate_missing`, keys the profile lacks are estimated from their
// channel neighbours (lut_interpolation.h): this measures how good that is.
ValidationReport ValidateProfile(const std::string& profile_folder, const std::string& space, int count,
                                 uint64_t seed, const TimerOptions& timer, bool interpolate_missing,
                                 const std::function<void(int done, int total)>& on_network);

// A scatter plot of predicted against measured latency, with the ±10% band.
std::string ValidationSvg(const ValidationReport& report, const std::string& title);

// "OpenBLAS (/usr/lib/.../libopenblasp-r0.3.21.so)" if LibTorch's BLAS is
// OpenBLAS, else the library found, or "unknown".
std::string BlasInUse();

}  // namespace edgenas
