// `edgenas export`: a network trained by `edgenas train`, as fp32 and int8
// ONNX models, each checked in ONNX Runtime on the whole test set.
//
//   weights.pt + metrics.json --FoldBatchNorm--> fp32 ONNX
//     --(ranges of its activations on calibration images, in ONNX Runtime)--> int8 QDQ ONNX
//     [--(quantization-aware training, optional)--> int8 QDQ ONNX]
//     --(both over the test set and timed at batch 1, in ONNX Runtime)--> report.json, report.md
//
// Everything goes into a staging folder that is renamed to the output folder
// at the end: the output is whole or absent.
//
// LibTorch-free header; the implementation is the LibTorch side (it prepares
// images as training does).
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "datasets/image_dataset.h"
#include "profiler/onnx_runtime_profile.h"
#include "space/search_space.h"

namespace edgenas {

struct ExportOptions {
  std::string weights_folder;  // a finished `edgenas train` folder (weights.pt, metrics.json)
  // Or, with `untrained`, a freshly initialised network of `space` and `arch`
  // (seeded), for timing the exact network on a device: it is calibrated on
  // random inputs and no accuracy is measured. With a weights folder, `space`
  // and `arch` may be given to check that the weights are that network's.
  bool untrained = false;
  std::string space, arch;
  uint64_t weights_seed = 0;
  std::string out_folder;      // created; must not exist yet
  int calibration_images = 1000;  // from the training split, seeded
  uint64_t calibration_seed = 0;
  // Activation ranges: p > 0 takes each tensor's (100 - p)th and pth
  // percentiles over the calibration images; 0 its min and max. 99.99 kept
  // 20 of 20 networks within 0.2 points of fp32, min-max 17 (docs/export.md).
  double calibration_percentile = 99.99;
  bool per_channel_weights = true;
  bool int8 = true;  // false: the fp32 model alone (a recipe's `quantization: none`)
  // Quantization-aware training after calibration (export/quantization_aware_training.h):
  // epochs over the training split, 0 for post-training quantization alone.
  // The int8 model is then the fine-tuned one; the fp32 model stays the
  // trained network, and the report also scores the PTQ int8 model.
  int qat_epochs = 0;
  double qat_learning_rate = 0.01;
  int qat_threads = 0;      // LibTorch threads for QAT; 0: every core
  int threads = 1;          // ONNX Runtime intra-op threads for the timings
  int timing_runs = 200;    // batch-1 runs timed per model in each of 5 rounds, after 20 untimed
  // What a search predicted for the network (metric, value, unit), shown in
  // the report beside what was measured. May be empty.
  struct Prediction {
    std::string metric;
    double value = 0;
    std::string unit;
  };
  std::vector<Prediction> predicted;
  // A profile measured in ONNX Runtime with a reference network (profile
  // measure --runtime onnxruntime): that network is timed beside the models,
  // and their latencies are also given at the speed the profile was measured
  // at, so that they compare with its predictions whatever this machine's
  // speed is now. The predictions `latency@<device>` (fp32) and
  // `latency_int8@<device>` (int8) get a measured column.
  std::optional<SpeedReference> speed_reference;
  // Written as arch.json: the network, layer by layer. May be empty (no arch.json).
  std::function<std::string(const SearchSpace&, const Genome&)> describe_network;
};

struct ModelFigures {
  double test_top1 = 0;        // percent, whole test set, in ONNX Runtime
  double latency_ms = 0;       // batch-1 latency in ONNX Runtime: the median of 5 rounds' medians
  int64_t file_bytes = 0;
  // With ExportOptions::speed_reference: the reference's time just before
  // this model's timings (the median of the rounds), and latency_ms at the
  // profile's speed.
  double reference_ms = 0;
  double latency_at_profile_speed_ms = 0;
};

struct ExportReport {
  std::string space, arch;
  bool int8_written = true;  // false: the fp32 model alone (ExportOptions::int8)
  bool trained = true;  // false: no accuracy was measured (the figures below are 0)
  double libtorch_test_top1 = 0;  // from metrics.json
  double libtorch_validation_top1 = 0;  // from metrics.json: what accuracy predictors are trained on
  ModelFigures fp32, int8;
  int qat_epochs = 0;
  double ptq_int8_test_top1 = 0;  // with QAT: the calibrated int8 model before it
  double top1_agreement = 0;      // percent of test images where int8 and fp32 pick the same class
  int64_t test_images = 0;
  // How the int8 model was made.
  bool per_channel_weights = true;
  double calibration_percentile = 0;
  int64_t calibration_images = 0;
  std::vector<ExportOptions::Prediction> predicted;  // ExportOptions::predicted
  std::optional<SpeedReference> speed_reference;
};

// `train` and `test` are the images (null for an untrained network). Throws
// Error for weights of another network (named tensor by tensor), a missing or
// unfinished training folder, a space or arch other than the weights', or an
// output folder that exists.
ExportReport ExportNetwork(const ExportOptions& options, const ImageDataset* train, const ImageDataset* test,
                           const std::function<void(const std::string&)>& progress = {});

}  // namespace edgenas
