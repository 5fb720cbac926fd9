#include "export/network_export.h"

#include <stdlib.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <chrono>
#include <filesystem>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "accuracy/torch_state_dict.h"
#include "common/error.h"
#include "common/file_util.h"
#include "common/rng.h"
#include "export/folded_network.h"
#include "export/int8_model.h"
#include "export/onnx_model.h"
#include "runtime/onnx_runtime.h"
#include "space/space_loader.h"
#include "train/classifier_training.h"
#include "train/image_batches.h"

namespace edgenas {

namespace {

namespace fs = std::filesystem;

std::vector<float> Flatten(const torch::Tensor& t) {
  const torch::Tensor c = t.contiguous();
  return {c.data_ptr<float>(), c.data_ptr<float>() + c.numel()};
}

// Images data[indices] as the network takes them, in chunks so that a whole
// test set at a large resolution is never two copies at once.
std::vector<float> Inputs(const ImageBatcher& batcher, const std::vector<int64_t>& indices) {
  std::vector<float> out;
  for (size_t start = 0; start < indices.size(); start += 1000) {
    const std::vector<int64_t> chunk(indices.begin() + static_cast<long>(start),
                                     indices.begin() + static_cast<long>(std::min(indices.size(), start + 1000)));
    const std::vector<float> part = Flatten(batcher.Images(chunk, nullptr, nullptr));
    out.insert(out.end(), part.begin(), part.end());
  }
  return out;
}

std::vector<int> Predictions(const std::vector<float>& logits, int64_t classes) {
  std::vector<int> predicted(logits.size() / static_cast<size_t>(classes));
  for (size_t i = 0; i < predicted.size(); ++i) {
    const float* row = logits.data() + i * static_cast<size_t>(classes);
    predicted[i] = static_cast<int>(std::max_element(row, row + classes) - row);
  }
  return predicted;
}

double Top1(const std::vector<int>& predicted, const ImageDataset& data) {
  int64_t correct = 0;
  for (size_t i = 0; i < predicted.size(); ++i) correct += predicted[i] == data.labels[i];
  return 100.0 * static_cast<double>(correct) / static_cast<double>(predicted.size());
}

std::string ReportMarkdown(const ExportReport& r) {
  std::string md = fmt::format("# Export of {} ({})\n\n", r.arch, r.space);
  md += fmt::format("Measured in ONNX Runtime on the {} test images; latency at batch 1, median.\n\n", r.test_images);
  md += "| model | test top-1 | latency | file |\n|---|---|---|---|\n";
  md += fmt::format("| LibTorch fp32 (training) | {:.2f}% | | |\n", r.libtorch_test_top1);
  md += fmt::format("| ONNX fp32 | {:.2f}% | {:.3f} ms | {:.1f} KB |\n", r.fp32.test_top1, r.fp32.latency_ms,
                    static_cast<double>(r.fp32.file_bytes) / 1024.0);
  md += fmt::format("| ONNX int8 (QDQ) | {:.2f}% | {:.3f} ms | {:.1f} KB |\n\n", r.int8.test_top1, r.int8.latency_ms,
                    static_cast<double>(r.int8.file_bytes) / 1024.0);
  md += fmt::format("int8 - fp32: {:+.2f} points of top-1; the two agree on {:.2f}% of the test images; the int8 file "
                    "is {:.0f}% of the fp32 file; int8 runs at {:.2f}x fp32's latency.\n\n",
                    r.int8.test_top1 - r.fp32.test_top1, r.top1_agreement,
                    100.0 * static_cast<double>(r.int8.file_bytes) / static_cast<double>(r.fp32.file_bytes),
                    r.int8.latency_ms / r.fp32.latency_ms);
  md += fmt::format(
      "What was done: BatchNorm folded into the convolutions; weights int8, symmetric, {}; activations uint8, per "
      "tensor, {} ranges from {} images of the training split; ReLU and ReLU6 after a convolution folded into its "
      "output quantization; h-swish and squeeze-and-excite gates in float (ONNX Runtime has no integer "
      "HardSigmoid).\n",
      r.per_channel_weights ? "per output channel" : "per tensor",
      r.calibration_percentile > 0 ? fmt::format("{}th-percentile", r.calibration_percentile) : "min-max",
      r.calibration_images);
  return md;
}

}  // namespace

ExportReport ExportNetwork(const ExportOptions& o, const ImageDataset& train, const ImageDataset& test,
                           const std::function<void(const std::string&)>& progress) {
  auto say = [&](const std::string& line) {
    if (progress) progress(line);
  };
  const std::string metrics_path = o.weights_folder + "/metrics.json";
  const std::string weights_path = o.weights_folder + "/weights.pt";
  EDGENAS_THROW_IF_NOT_FMT(PathExists(metrics_path) && PathExists(weights_path),
                           "{}: no finished training (weights.pt and metrics.json from `edgenas train`)",
                           o.weights_folder);
  EDGENAS_THROW_IF_NOT_FMT(!PathExists(o.out_folder), "{} exists; export into a new folder", o.out_folder);
  const nlohmann::json metrics = nlohmann::json::parse(ReadFile(metrics_path));

  ExportReport report;
  report.space = metrics.at("space").get<std::string>();
  report.arch = metrics.at("arch").get<std::string>();
  report.libtorch_test_top1 = metrics.at("test_top1").get<double>();
  report.per_channel_weights = o.per_channel_weights;
  report.calibration_percentile = o.calibration_percentile;
  const std::vector<std::string> classes = metrics.at("classes").get<std::vector<std::string>>();
  EDGENAS_THROW_IF_NOT_FMT(classes == test.class_names, "{}: trained on classes {}, but the data has {}",
                           metrics_path, fmt::join(classes, ","), fmt::join(test.class_names, ","));
  const SearchSpace space = LoadSpace(report.space);
  const NetworkSpec spec =
      SpecWithClasses(space.Decode(space.Parse(report.arch)), static_cast<int>(classes.size()));

  InputContract contract;
  contract.channels = spec.input_channels;
  contract.resolution = spec.resolution;
  contract.mean = metrics.at("input").at("mean").get<std::vector<float>>();
  contract.std = metrics.at("input").at("std").get<std::vector<float>>();
  ModelDescription description;
  description.space = report.space;
  description.arch = report.arch;
  description.mean = contract.mean;
  description.std = contract.std;
  description.class_names = classes;

  // A new folder beside the output, renamed to it when everything is written.
  if (fs::path(o.out_folder).has_parent_path()) fs::create_directories(fs::path(o.out_folder).parent_path());
  std::string staging = o.out_folder + ".partial-XXXXXX";
  EDGENAS_THROW_IF_NOT_FMT(mkdtemp(staging.data()) != nullptr, "cannot create a folder beside {}: {}", o.out_folder,
                           std::strerror(errno));
  struct RemoveUnlessRenamed {
    std::string path;
    ~RemoveUnlessRenamed() {
      std::error_code ignored;
      if (!path.empty()) fs::remove_all(path, ignored);
    }
  } cleanup{staging};
  const mode_t mask = umask(0);  // mkdtemp made it private; the output is as any folder the user creates
  umask(mask);
  fs::permissions(staging, static_cast<fs::perms>(0777 & ~mask));
  const std::string fp32_path = staging + "/model_fp32.onnx", int8_path = staging + "/model_int8.onnx";

  say("folding BatchNorm and writing the fp32 model");
  const onnx::ModelProto fp32 = BuildFp32Model(FoldBatchNorm(spec, ReadTorchStateDict(weights_path), weights_path),
                                               description);
  WriteOnnxModel(fp32, fp32_path);

  say(fmt::format("calibrating on {} training images in ONNX Runtime", o.calibration_images));
  const ImageBatcher batcher_train(train, contract), batcher_test(test, contract);
  std::vector<int64_t> calibration(static_cast<size_t>(train.count()));
  for (size_t i = 0; i < calibration.size(); ++i) calibration[i] = static_cast<int64_t>(i);
  Rng rng(o.calibration_seed);
  rng.Shuffle(&calibration);
  calibration.resize(std::min<size_t>(calibration.size(), static_cast<size_t>(o.calibration_images)));
  report.calibration_images = static_cast<int64_t>(calibration.size());
  const std::vector<std::string> tensors = CalibrationTensors(fp32);
  const std::string calibration_path = staging + "/calibration.onnx";
  WriteOnnxModel(WithExtraOutputs(fp32, tensors), calibration_path);
  OnnxRuntimeJob calibrate;
  calibrate.model_path = calibration_path;
  calibrate.ranges = true;
  calibrate.percentile = o.calibration_percentile;
  calibrate.input = Inputs(batcher_train, calibration);
  calibrate.input_shape = {static_cast<int64_t>(calibration.size()), spec.input_channels, spec.resolution,
                           spec.resolution};
  const OnnxRuntimeResult calibrated = RunInOnnxRuntime({calibrate}, 1).at(0);
  fs::remove(calibration_path);
  std::map<std::string, TensorRange> ranges;
  for (const auto& [name, range] : calibrated.ranges) ranges[name] = {range.first, range.second};
  const auto [input_min, input_max] = std::minmax_element(calibrate.input.begin(), calibrate.input.end());
  ranges[fp32.graph().input(0).name()] = {*input_min, *input_max};
  Int8Options int8_options;
  int8_options.per_channel_weights = o.per_channel_weights;
  WriteOnnxModel(BuildInt8Model(fp32, ranges, int8_options), int8_path);

  say(fmt::format("running both models over {} test images and timing them in ONNX Runtime", test.count()));
  std::vector<int64_t> all(static_cast<size_t>(test.count()));
  for (size_t i = 0; i < all.size(); ++i) all[i] = static_cast<int64_t>(i);
  OnnxRuntimeJob job;
  job.input = Inputs(batcher_test, all);
  job.input_shape = {test.count(), spec.input_channels, spec.resolution, spec.resolution};
  job.batch = 256;
  job.timing_runs = o.timing_runs;
  job.warmup_runs = 20;
  OnnxRuntimeJob job_int8 = job;
  job.model_path = fp32_path;
  job_int8.model_path = int8_path;
  const std::vector<OnnxRuntimeResult> runs = RunInOnnxRuntime({job, job_int8}, o.threads);
  const int64_t k = static_cast<int64_t>(classes.size());
  const std::vector<int> fp32_predicted = Predictions(runs[0].output, k), int8_predicted = Predictions(runs[1].output, k);
  report.test_images = test.count();
  report.fp32 = {Top1(fp32_predicted, test), runs[0].median_ms, static_cast<int64_t>(fs::file_size(fp32_path))};
  report.int8 = {Top1(int8_predicted, test), runs[1].median_ms, static_cast<int64_t>(fs::file_size(int8_path))};
  int64_t agree = 0;
  for (size_t i = 0; i < fp32_predicted.size(); ++i) agree += fp32_predicted[i] == int8_predicted[i];
  report.top1_agreement = 100.0 * static_cast<double>(agree) / static_cast<double>(fp32_predicted.size());

  auto figures = [](const ModelFigures& f) {
    return nlohmann::json{{"test_top1", f.test_top1}, {"latency_ms", f.latency_ms}, {"file_bytes", f.file_bytes}};
  };
  const nlohmann::json json = {
      {"space", report.space},
      {"arch", report.arch},
      {"weights", fs::absolute(o.weights_folder).string()},
      {"test_images", report.test_images},
      {"libtorch_fp32", {{"test_top1", report.libtorch_test_top1}}},
      {"onnxruntime_fp32", figures(report.fp32)},
      {"onnxruntime_int8", figures(report.int8)},
      {"int8_fp32_top1_agreement", report.top1_agreement},
      {"latency", {{"runtime", "onnxruntime-node 1.30.0"}, {"batch", 1}, {"intra_op_threads", o.threads},
                   {"timed_runs", o.timing_runs}, {"statistic", "median"}}},
      {"quantization", {{"weights", o.per_channel_weights ? "int8, symmetric, per output channel"
                                                          : "int8, symmetric, per tensor"},
                        {"activations", "uint8, asymmetric, per tensor"},
                        {"calibration", o.calibration_percentile > 0
                                            ? fmt::format("percentile {}", o.calibration_percentile)
                                            : std::string("min-max")},
                        {"calibration_images", calibration.size()},
                        {"calibration_seed", o.calibration_seed}}},
      {"edgenas_version", EDGENAS_VERSION}};
  WriteFileAtomically(staging + "/report.json", json.dump(2) + "\n");
  WriteFileAtomically(staging + "/report.md", ReportMarkdown(report));
  if (!o.arch_json.empty()) WriteFileAtomically(staging + "/arch.json", o.arch_json);
  fs::rename(staging, o.out_folder);
  cleanup.path.clear();
  return report;
}

}  // namespace edgenas
