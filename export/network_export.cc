#include "export/network_export.h"

#include <sys/stat.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <thread>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "accuracy/torch_state_dict.h"
#include "common/error.h"
#include "common/file_util.h"
#include "common/rng.h"
#include "common/statistics.h"
#include "export/folded_network.h"
#include "export/int8_model.h"
#include "export/onnx_model.h"
#include "export/quantization_aware_training.h"
#include "models/network_weights.h"
#include "runtime/onnx_runtime.h"
#include "space/space_loader.h"
#include "train/classifier_training.h"
#include "train/image_batches.h"

namespace edgenas {

namespace {

// Batch-1 timings per model, each after a timing of the reference network.
constexpr int kTimingRounds = 5;

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

// What was measured for a predicted metric, or 0. Accuracy: the validation
// top-1 of training, what the predictors' datasets record (the `accuracy`
// column; on the shipped mbv3_small_input dataset it is 0.95 point above the
// test top-1 on average). A latency on the speed reference's device: the
// model's at the profile's speed.
double MeasuredFor(const ExportReport& r, const std::string& metric) {
  if (metric == "accuracy") return r.trained ? r.libtorch_validation_top1 : 0.0;
  if (!r.speed_reference) return 0;
  if (metric == "latency@" + r.speed_reference->device) return r.fp32.latency_at_profile_speed_ms;
  if (metric == "latency_int8@" + r.speed_reference->device && r.int8_written) return r.int8.latency_at_profile_speed_ms;
  return 0;
}

std::string ReportMarkdown(const ExportReport& r) {
  std::string md = fmt::format("# Export of {} ({})\n\n", r.arch, r.space);
  const double fp32_kb = static_cast<double>(r.fp32.file_bytes) / 1024.0;
  const double int8_kb = static_cast<double>(r.int8.file_bytes) / 1024.0;
  if (!r.trained) {
    md += "**Untrained weights** (a fresh initialisation, calibrated on random inputs): for timing this network "
          "on a device. No accuracy was measured.\n\n";
    md += "| model | latency (ONNX Runtime, batch 1, median) | file |\n|---|---|---|\n";
    md += fmt::format("| ONNX fp32 | {:.3f} ms | {:.1f} KB |\n", r.fp32.latency_ms, fp32_kb);
    if (r.int8_written) md += fmt::format("| ONNX int8 (QDQ) | {:.3f} ms | {:.1f} KB |\n", r.int8.latency_ms, int8_kb);
    md += "\n";
  } else {
    md += fmt::format("Measured in ONNX Runtime on the {} test images; latency at batch 1, median.\n\n",
                      r.test_images);
    md += "| model | test top-1 | latency | file |\n|---|---|---|---|\n";
    md += fmt::format("| LibTorch fp32 (training; validation top-1 {:.2f}%) | {:.2f}% | | |\n",
                      r.libtorch_validation_top1, r.libtorch_test_top1);
    md += fmt::format("| ONNX fp32 | {:.2f}% | {:.3f} ms | {:.1f} KB |\n", r.fp32.test_top1, r.fp32.latency_ms, fp32_kb);
    if (r.int8_written) {
      md += fmt::format("| ONNX int8 (QDQ) | {:.2f}% | {:.3f} ms | {:.1f} KB |\n\n", r.int8.test_top1,
                        r.int8.latency_ms, int8_kb);
      md += fmt::format("int8 - fp32: {:+.2f} points of top-1; the two agree on {:.2f}% of the test images.\n",
                        r.int8.test_top1 - r.fp32.test_top1, r.top1_agreement);
    } else {
      md += "\n";
    }
    if (r.qat_epochs > 0) {
      md += fmt::format("The int8 model had {} epoch(s) of quantization-aware training; calibration alone (PTQ) gave "
                        "{:.2f}% ({:+.2f} points from QAT).\n",
                        r.qat_epochs, r.ptq_int8_test_top1, r.int8.test_top1 - r.ptq_int8_test_top1);
    }
  }
  if (!r.predicted.empty()) {
    md += "\nWhat the search predicted for this network (accuracy on its predictor's data and schedule, latency "
          "from the device profiles), beside what was measured (accuracy: the validation top-1 of training, the "
          "split the predictor's data measured):\n\n| metric | predicted | measured | error |\n|---|---|---|---|\n";
    for (const ExportOptions::Prediction& p : r.predicted) {
      // Counts (MACs, params) in full; the rest to four significant digits.
      const bool count = p.value == std::round(p.value) && std::fabs(p.value) >= 1e4;
      const std::string value = count ? fmt::format("{:.0f}", p.value) : fmt::format("{:.4g}", p.value);
      const double measured = MeasuredFor(r, p.metric);
      // Accuracy's error in points, a latency's relative to the measurement.
      const std::string error = p.unit == "%" ? fmt::format("{:+.2f} points", p.value - measured)
                                              : fmt::format("{:+.1f}%", 100 * (p.value - measured) / measured);
      md += measured > 0 ? fmt::format("| {} | {} {} | {:.4g} {} | {} |\n", p.metric, value, p.unit, measured, p.unit,
                                       error)
                         : fmt::format("| {} | {} {} | | |\n", p.metric, value, p.unit);
    }
    if (r.speed_reference) {
      md += fmt::format(
          "\nMeasured latencies are at the speed hw_profiles/{} was measured at: its reference network ran in "
          "{:.4f} ms then and {:.4f} ms now, timed before each model (this machine runs {:.2f}x as fast as then; "
          "unscaled: fp32 {:.4f} ms{}).\n",
          r.speed_reference->device, r.speed_reference->profile_ms, r.fp32.reference_ms,
          r.speed_reference->profile_ms / r.fp32.reference_ms, r.fp32.latency_ms,
          r.int8_written ? fmt::format(", int8 {:.4f} ms", r.int8.latency_ms) : std::string());
    }
  }
  if (!r.int8_written) {
    md += "\nNo int8 model: the recipe asked for none (`quantization: none`).\n";
    return md;
  }
  md += fmt::format("\nThe int8 file is {:.0f}% of the fp32 file; int8 runs at {:.2f}x fp32's latency.\n\n",
                    100.0 * static_cast<double>(r.int8.file_bytes) / static_cast<double>(r.fp32.file_bytes),
                    r.int8.latency_ms / r.fp32.latency_ms);
  md += fmt::format(
      "What was done: BatchNorm folded into the convolutions; weights int8, symmetric, {}; activations uint8, per "
      "tensor, {} ranges from {} {}; ReLU and ReLU6 after a convolution folded into its output quantization; "
      "h-swish and squeeze-and-excite gates in float (ONNX Runtime has no integer HardSigmoid){}.\n",
      r.per_channel_weights ? "per output channel" : "per tensor",
      r.calibration_percentile > 0 ? fmt::format("{}th-percentile", r.calibration_percentile) : "min-max",
      r.calibration_images, r.trained ? "images of the training split" : "random inputs",
      r.qat_epochs > 0 ? fmt::format("; then {} epoch(s) of quantization-aware training (folded weights and "
                                     "activation scales learned through fake quantization)",
                                     r.qat_epochs)
                       : std::string());
  return md;
}

// What an export starts from: the network, its weights and how it is fed.
struct ExportSource {
  NetworkSpec spec;
  std::map<std::string, FloatTensor> state;
  std::string state_origin;  // where the state came from, for errors
  ModelDescription description;
  std::string arch_json;  // ExportOptions::describe_network's text, if any
};

InputContract Contract(const ExportSource& source) {
  InputContract contract;
  contract.channels = source.spec.input_channels;
  contract.resolution = source.spec.resolution;
  contract.mean = source.description.mean;
  contract.std = source.description.std;
  return contract;
}

ExportSource TrainedSource(const ExportOptions& o, const ImageDataset& test, ExportReport* report) {
  const std::string metrics_path = o.weights_folder + "/metrics.json";
  const std::string weights_path = o.weights_folder + "/weights.pt";
  EDGENAS_THROW_IF_NOT_FMT(PathExists(metrics_path) && PathExists(weights_path),
                           "{}: no finished training (weights.pt and metrics.json from `edgenas train`)",
                           o.weights_folder);
  const nlohmann::json metrics = nlohmann::json::parse(ReadFile(metrics_path));
  report->space = metrics.at("space").get<std::string>();
  report->arch = metrics.at("arch").get<std::string>();
  EDGENAS_THROW_IF_NOT_FMT(o.space.empty() || o.space == report->space,
                           "{}: the weights are of a network of space '{}', not '{}'", o.weights_folder, report->space,
                           o.space);
  const SearchSpace space = LoadSpace(report->space);
  const Genome genome = space.Parse(report->arch);
  EDGENAS_THROW_IF_NOT_FMT(o.arch.empty() || space.Canonical(space.Parse(o.arch)) == space.Canonical(genome),
                           "{}: the weights are of {}, not of {}", o.weights_folder, report->arch, o.arch);
  report->libtorch_test_top1 = metrics.at("test_top1").get<double>();
  report->libtorch_validation_top1 = metrics.value("validation_top1", 0.0);
  const std::vector<std::string> classes = metrics.at("classes").get<std::vector<std::string>>();
  EDGENAS_THROW_IF_NOT_FMT(classes == test.class_names, "{}: trained on classes {}, but the data has {}",
                           metrics_path, fmt::join(classes, ","), fmt::join(test.class_names, ","));
  ExportSource source;
  source.spec = SpecWithClasses(space.Decode(genome), static_cast<int>(classes.size()));
  if (o.describe_network) source.arch_json = o.describe_network(space, genome);
  source.state = ReadTorchStateDict(weights_path);
  source.state_origin = weights_path;
  source.description.mean = metrics.at("input").at("mean").get<std::vector<float>>();
  source.description.std = metrics.at("input").at("std").get<std::vector<float>>();
  source.description.class_names = classes;
  return source;
}

ExportSource UntrainedSource(const ExportOptions& o, ExportReport* report) {
  EDGENAS_THROW_IF_NOT_FMT(!o.space.empty() && !o.arch.empty(), "an untrained export needs a space and an arch");
  const SearchSpace space = LoadSpace(o.space);
  const Genome genome = space.Parse(o.arch);
  report->space = space.name();
  report->arch = space.ToString(genome);
  report->trained = false;
  ExportSource source;
  source.spec = space.Decode(genome);
  if (o.describe_network) source.arch_json = o.describe_network(space, genome);
  torch::manual_seed(o.weights_seed);
  Network net(source.spec);
  for (auto& [name, tensor] : NetworkStateDict(net)) source.state[name] = std::move(tensor);
  source.state_origin = "a fresh initialisation";
  source.description.trained = false;
  source.description.mean.assign(static_cast<size_t>(source.spec.input_channels), 0.0f);
  source.description.std.assign(static_cast<size_t>(source.spec.input_channels), 1.0f);
  return source;
}

// Calibration images: `count` of the training split (seeded), as the network
// takes them; or, for an untrained network, standard normal noise.
std::vector<float> CalibrationInputs(const ExportOptions& o, const ExportSource& source, const ImageDataset* train,
                                     int64_t* count) {
  const NetworkSpec& spec = source.spec;
  if (train == nullptr) {
    *count = o.calibration_images;
    torch::manual_seed(o.calibration_seed);
    return Flatten(torch::randn({*count, spec.input_channels, spec.resolution, spec.resolution}));
  }
  std::vector<int64_t> indices(static_cast<size_t>(train->count()));
  for (size_t i = 0; i < indices.size(); ++i) indices[i] = static_cast<int64_t>(i);
  Rng rng(o.calibration_seed);
  rng.Shuffle(&indices);
  indices.resize(std::min<size_t>(indices.size(), static_cast<size_t>(o.calibration_images)));
  *count = static_cast<int64_t>(indices.size());
  return Inputs(ImageBatcher(*train, Contract(source)), indices);
}

// The range of every tensor the int8 model quantizes, measured in ONNX
// Runtime by running `fp32` (with those tensors made outputs) over `inputs`.
std::map<std::string, TensorRange> Calibrate(const onnx::ModelProto& fp32, std::vector<float> inputs,
                                             const std::vector<int64_t>& shape, double percentile,
                                             const std::string& scratch_path) {
  WriteOnnxModel(WithExtraOutputs(fp32, CalibrationTensors(fp32)), scratch_path);
  std::map<std::string, TensorRange> ranges;
  const auto [input_min, input_max] = std::minmax_element(inputs.begin(), inputs.end());
  ranges[fp32.graph().input(0).name()] = {*input_min, *input_max};
  OnnxRuntimeJob job;
  job.model_path = scratch_path;
  job.ranges = true;
  job.percentile = percentile;
  job.input = std::move(inputs);
  job.input_shape = shape;
  const OnnxRuntimeResult measured = RunInOnnxRuntime({job}, 1).at(0);
  for (const auto& [name, range] : measured.ranges) ranges[name] = {range.first, range.second};
  fs::remove(scratch_path);
  return ranges;
}

nlohmann::json ReportJson(const ExportOptions& o, const ExportReport& r) {
  nlohmann::json predicted = nlohmann::json::object();
  for (const ExportOptions::Prediction& p : r.predicted) {
    predicted[p.metric] = {{"value", p.value}, {"unit", p.unit}};
    const double measured = MeasuredFor(r, p.metric);
    if (measured > 0) predicted[p.metric]["measured"] = measured;
  }
  const nlohmann::json quantization = {
      {"weights", r.per_channel_weights ? "int8, symmetric, per output channel" : "int8, symmetric, per tensor"},
      {"activations", "uint8, asymmetric, per tensor"},
      {"calibration", r.calibration_percentile > 0 ? fmt::format("percentile {}", r.calibration_percentile)
                                                   : std::string("min-max")},
      {"calibration_images", r.calibration_images},
      {"calibration_data", r.trained ? "training split" : "standard normal noise"},
      {"calibration_seed", o.calibration_seed},
      {"qat_epochs", r.qat_epochs},
      {"qat_learning_rate", r.qat_epochs > 0 ? nlohmann::json(o.qat_learning_rate) : nlohmann::json(nullptr)},
      {"ptq_int8_test_top1",
       r.qat_epochs > 0 && r.trained ? nlohmann::json(r.ptq_int8_test_top1) : nlohmann::json(nullptr)}};
  auto figures = [&](const ModelFigures& f) {
    nlohmann::json j{{"test_top1", r.trained ? nlohmann::json(f.test_top1) : nlohmann::json(nullptr)},
                     {"latency_ms", f.latency_ms},
                     {"file_bytes", f.file_bytes}};
    if (r.speed_reference) {
      j["reference_ms"] = f.reference_ms;
      j["latency_at_profile_speed_ms"] = f.latency_at_profile_speed_ms;
    }
    return j;
  };
  return {{"space", r.space},
          {"arch", r.arch},
          {"weights", r.trained ? fs::absolute(o.weights_folder).string() : "untrained (no accuracy measured)"},
          {"test_images", r.test_images},
          {"libtorch_fp32",
           {{"test_top1", r.trained ? nlohmann::json(r.libtorch_test_top1) : nlohmann::json(nullptr)},
            {"validation_top1", r.trained ? nlohmann::json(r.libtorch_validation_top1) : nlohmann::json(nullptr)}}},
          {"onnxruntime_fp32", figures(r.fp32)},
          {"onnxruntime_int8", r.int8_written ? figures(r.int8) : nlohmann::json(nullptr)},
          {"predicted", predicted},
          {"int8_fp32_top1_agreement",
           r.trained && r.int8_written ? nlohmann::json(r.top1_agreement) : nlohmann::json(nullptr)},
          {"latency", {{"runtime", OnnxRuntimeVersion()}, {"batch", 1}, {"intra_op_threads", o.threads},
                       {"timed_runs", o.timing_runs}, {"rounds", kTimingRounds},
                       {"statistic", "median of the rounds' medians"}}},
          {"quantization", r.int8_written ? quantization : nlohmann::json(nullptr)},
          {"edgenas_version", EDGENAS_VERSION}};
}

// A fresh folder beside `out` (FreshFolder), renamed to it by Commit;
// removed if never committed.
class StagingFolder {
 public:
  explicit StagingFolder(const std::string& out) : out_(out), folder_(Prefix(out)) {
    const mode_t mask = umask(0);  // mkdtemp made it private; the output is as any folder the user creates
    umask(mask);
    fs::permissions(folder_.path(), static_cast<fs::perms>(0777 & ~mask));
  }
  const std::string& path() const { return folder_.path(); }
  void Commit() {
    fs::rename(folder_.path(), out_);
    folder_.Keep();
  }

 private:
  // Checks `out` is free and its parent exists, before the folder is made.
  static std::string Prefix(const std::string& out) {
    EDGENAS_THROW_IF_NOT_FMT(!PathExists(out), "{} exists; export into a new folder", out);
    if (fs::path(out).has_parent_path()) fs::create_directories(fs::path(out).parent_path());
    return out + ".partial-";
  }

  std::string out_;
  FreshFolder folder_;
};

// Calibration, post-training quantization and, if asked, quantization-aware
// training: writes the int8 model to `int8_path` and, after QAT, the PTQ
// model to `ptq_path` (for the report to score).
void WriteInt8Model(const ExportOptions& o, const ExportSource& source, const onnx::ModelProto& fp32,
                    const ImageDataset* train, const std::string& staging, const std::string& int8_path,
                    const std::string& ptq_path, ExportReport* report,
                    const std::function<void(const std::string&)>& say) {
  const NetworkSpec& spec = source.spec;
  say(fmt::format("calibrating on {} {} in ONNX Runtime", o.calibration_images,
                  o.untrained ? "random inputs" : "training images"));
  int64_t count = 0;
  std::vector<float> inputs = CalibrationInputs(o, source, train, &count);
  report->calibration_images = count;
  const std::map<std::string, TensorRange> ranges =
      Calibrate(fp32, std::move(inputs), {count, spec.input_channels, spec.resolution, spec.resolution},
                o.calibration_percentile, staging + "/calibration.onnx");
  Int8Options int8_options;
  int8_options.per_channel_weights = o.per_channel_weights;
  const onnx::ModelProto ptq = BuildInt8Model(fp32, ranges, int8_options);
  if (o.qat_epochs == 0) {
    WriteOnnxModel(ptq, int8_path);
    return;
  }
  FakeQuantizedNetwork twin(fp32, ptq);
  QatOptions qat;
  qat.epochs = o.qat_epochs;
  qat.learning_rate = o.qat_learning_rate;
  qat.seed = o.calibration_seed;
  qat.threads = o.qat_threads > 0 ? o.qat_threads : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  say(fmt::format("quantization-aware training: {} epoch(s) over {} training images, {} LibTorch thread(s)", qat.epochs,
                  train->count(), qat.threads));
  TrainQuantizationAware(twin, *train, Contract(source), qat, say);
  WriteOnnxModel(twin->Int8Model(), int8_path);
  WriteOnnxModel(ptq, ptq_path);
  report->qat_epochs = o.qat_epochs;
}

std::vector<int> Predictions(const OnnxRuntimeResult& run, const NetworkSpec& spec) {
  return Predictions(run.output, spec.layers.back().out_channels);
}

// Runs the written models in ONNX Runtime: each over the test set (a trained
// network) and timed at batch 1; fills the report's figures.
void MeasureInOnnxRuntime(const ExportOptions& o, const ExportSource& source, const ImageDataset* test,
                          const std::string& fp32_path, const std::string& int8_path, const std::string& ptq_path,
                          ExportReport* report, const std::function<void(const std::string&)>& say) {
  const NetworkSpec& spec = source.spec;
  OnnxRuntimeJob job;
  job.input_shape = {1, spec.input_channels, spec.resolution, spec.resolution};
  const char* models = o.int8 ? "both models" : "the model";
  if (!o.untrained) {
    say(fmt::format("running {} over {} test images and timing them in ONNX Runtime", models, test->count()));
    std::vector<int64_t> all(static_cast<size_t>(test->count()));
    for (size_t i = 0; i < all.size(); ++i) all[i] = static_cast<int64_t>(i);
    job.input = Inputs(ImageBatcher(*test, Contract(source)), all);
    job.input_shape[0] = test->count();
    job.batch = 256;
  } else {
    say(fmt::format("timing {} in ONNX Runtime", models));
  }
  // The models over the test set first, untimed (a trained network).
  std::vector<OnnxRuntimeJob> jobs;
  if (!o.untrained) {
    for (const std::string& path : {fp32_path, int8_path, ptq_path}) {
      // The PTQ model only after QAT, for its accuracy: the same graph as the QAT model's.
      if ((path == int8_path && !o.int8) || (path == ptq_path && report->qat_epochs == 0)) continue;
      jobs.push_back(job);
      jobs.back().model_path = path;
    }
  }
  const size_t evaluated = jobs.size();
  // Then the latency, in rounds, each model after the reference network: one
  // timing of 200 runs lasts some 20 ms, and a moment's interference on this
  // kind of VM can move it far; the median of the rounds does not follow it.
  OnnxRuntimeJob timing;
  timing.input_shape = {1, spec.input_channels, spec.resolution, spec.resolution};  // zeros
  timing.timing_runs = o.timing_runs;
  timing.warmup_runs = 20;
  const std::vector<std::string> timed = o.int8 ? std::vector<std::string>{fp32_path, int8_path}
                                                : std::vector<std::string>{fp32_path};
  for (int round = 0; round < kTimingRounds; ++round) {
    for (const std::string& path : timed) {
      jobs.push_back(timing);
      jobs.back().model_path = path;
    }
  }
  OnnxRuntimeReference reference;
  if (o.speed_reference) {  // timed before each model: the machine's speed at that moment
    reference.model.model_path = o.speed_reference->model_path;
    reference.model.input_shape = o.speed_reference->input_shape;
    reference.model.timing_runs = o.timing_runs;
    reference.model.warmup_runs = 20;
    reference.every = 1;
  }
  const std::vector<OnnxRuntimeResult> runs =
      RunInOnnxRuntime(jobs, o.threads, o.speed_reference ? &reference : nullptr);
  // Model k's latency and the reference's before it: medians over the rounds.
  const auto figures_of = [&](size_t k, int64_t file_bytes) {
    std::vector<double> model_ms, reference_ms;
    for (size_t i = evaluated + k; i < runs.size(); i += timed.size()) {
      model_ms.push_back(runs[i].median_ms);
      reference_ms.push_back(runs[i].reference_ms);
    }
    ModelFigures f{0, Median(model_ms), file_bytes};
    if (o.speed_reference) {
      f.reference_ms = Median(reference_ms);
      f.latency_at_profile_speed_ms =
          f.reference_ms > 0 ? f.latency_ms * o.speed_reference->profile_ms / f.reference_ms : 0.0;
    }
    return f;
  };
  report->fp32 = figures_of(0, static_cast<int64_t>(fs::file_size(fp32_path)));
  if (o.int8) report->int8 = figures_of(1, static_cast<int64_t>(fs::file_size(int8_path)));
  if (o.speed_reference) report->speed_reference = o.speed_reference;
  if (o.untrained) return;
  report->test_images = test->count();
  const std::vector<int> fp32_predicted = Predictions(runs[0], spec);
  report->fp32.test_top1 = Top1(fp32_predicted, *test);
  if (!o.int8) return;
  const std::vector<int> int8_predicted = Predictions(runs[1], spec);
  report->int8.test_top1 = Top1(int8_predicted, *test);
  int64_t agree = 0;
  for (size_t i = 0; i < fp32_predicted.size(); ++i) agree += fp32_predicted[i] == int8_predicted[i];
  report->top1_agreement = 100.0 * static_cast<double>(agree) / static_cast<double>(fp32_predicted.size());
  if (report->qat_epochs > 0) report->ptq_int8_test_top1 = Top1(Predictions(runs[2], spec), *test);
}

}  // namespace

ExportReport ExportNetwork(const ExportOptions& o, const ImageDataset* train, const ImageDataset* test,
                           const std::function<void(const std::string&)>& progress) {
  auto say = [&](const std::string& line) {
    if (progress) progress(line);
  };
  EDGENAS_THROW_IF_NOT_FMT(o.untrained == (train == nullptr || test == nullptr),
                           "images are needed for a trained network's export, and only for it");
  EDGENAS_THROW_IF_NOT_FMT(o.qat_epochs == 0 || !o.untrained,
                           "quantization-aware training needs a trained network and its images, not --weights none");
  EDGENAS_THROW_IF_NOT_FMT(o.qat_epochs == 0 || o.int8, "quantization-aware training needs the int8 model");
  ExportReport report;
  report.int8_written = o.int8;
  report.per_channel_weights = o.per_channel_weights;
  report.calibration_percentile = o.calibration_percentile;
  report.predicted = o.predicted;
  ExportSource source = o.untrained ? UntrainedSource(o, &report) : TrainedSource(o, *test, &report);
  source.description.space = report.space;
  source.description.arch = report.arch;
  StagingFolder staging(o.out_folder);
  const std::string fp32_path = staging.path() + "/model_fp32.onnx", int8_path = staging.path() + "/model_int8.onnx";
  const std::string ptq_path = staging.path() + "/model_int8_ptq.onnx";  // with QAT: scored, then removed

  say("folding BatchNorm and writing the fp32 model");
  const onnx::ModelProto fp32 =
      BuildFp32Model(FoldBatchNorm(source.spec, source.state, source.state_origin), source.description);
  WriteOnnxModel(fp32, fp32_path);
  if (o.int8) WriteInt8Model(o, source, fp32, train, staging.path(), int8_path, ptq_path, &report, say);
  MeasureInOnnxRuntime(o, source, test, fp32_path, int8_path, ptq_path, &report, say);
  if (report.qat_epochs > 0) fs::remove(ptq_path);

  WriteFileAtomically(staging.path() + "/report.json", ReportJson(o, report).dump(2) + "\n");
  WriteFileAtomically(staging.path() + "/report.md", ReportMarkdown(report));
  if (!source.arch_json.empty()) WriteFileAtomically(staging.path() + "/arch.json", source.arch_json);
  staging.Commit();
  return report;
}

}  // namespace edgenas
