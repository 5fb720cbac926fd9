#include "train/classifier_training.h"

#include <fmt/format.h>
#include <torch/torch.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <numeric>
#include <sstream>

#include "accuracy/torch_state_dict.h"
#include "common/error.h"
#include "common/file_util.h"
#include "common/rng.h"
#include "common/text.h"
#include "models/network_builder.h"
#include "models/network_weights.h"
#include "models/torch_process.h"
#include "space/network_stats.h"
#include "space/space_loader.h"
#include "train/image_batches.h"
#include "train/training_loop.h"

namespace edgenas {

namespace fs = std::filesystem;

bool TrainingSchedule::IsValid(std::string* error) const {
  const auto fail = [&](const char* field, double value, const char* rule) {
    *error = fmt::format("TrainingSchedule::{} = {}. Violated constraint: {}", field, value, rule);
    return false;
  };
  if (epochs < 1) return fail("epochs", epochs, "epochs >= 1");
  if (!(warmup_epochs >= 0 && warmup_epochs <= epochs)) return fail("warmup_epochs", warmup_epochs, "0 <= warmup_epochs <= epochs");
  if (batch_size < 1) return fail("batch_size", batch_size, "batch_size >= 1");
  if (!(learning_rate > 0 && std::isfinite(learning_rate))) return fail("learning_rate", learning_rate, "learning_rate > 0");
  if (!(momentum >= 0 && momentum < 1)) return fail("momentum", momentum, "0 <= momentum < 1");
  if (!(weight_decay >= 0 && weight_decay < 1)) return fail("weight_decay", weight_decay, "0 <= weight_decay < 1");
  if (!(label_smoothing >= 0 && label_smoothing < 1)) return fail("label_smoothing", label_smoothing, "0 <= label_smoothing < 1");
  if (pad < 0 || pad > 64) return fail("pad", pad, "0 <= pad <= 64");
  if (train_images < 0) return fail("train_images", static_cast<double>(train_images), "train_images >= 0");
  if (validation_images < 1) return fail("validation_images", static_cast<double>(validation_images), "validation_images >= 1");
  return true;
}

namespace {

using Clock = std::chrono::steady_clock;

constexpr const char* kCheckpointFile = "checkpoint.pt";
constexpr const char* kWeightsFile = "weights.pt";
constexpr const char* kMetricsFile = "metrics.json";
// Training images BatchNorm's statistics are re-estimated on after training.
constexpr size_t kCalibrationImages = 2000;

nlohmann::json ScheduleJson(const TrainingSchedule& s) {
  return {{"epochs", s.epochs},
          {"warmup_epochs", s.warmup_epochs},
          {"batch_size", s.batch_size},
          {"learning_rate", s.learning_rate},
          {"momentum", s.momentum},
          {"nesterov", true},
          {"weight_decay", s.weight_decay},
          {"label_smoothing", s.label_smoothing},
          {"pad", s.pad},
          {"flip", s.flip},
          {"train_images", s.train_images},
          {"validation_images", s.validation_images}};
}

// Weight decay on conv and linear weights; none on BN parameters and biases (1-D).
torch::optim::SGD MakeOptimizer(Network& net, const TrainingSchedule& s) {
  std::vector<torch::Tensor> decayed, plain;
  for (const torch::Tensor& p : net->parameters()) (p.dim() > 1 ? decayed : plain).push_back(p);
  const auto options = [&](double decay) {
    return std::make_unique<torch::optim::SGDOptions>(
        torch::optim::SGDOptions(s.learning_rate).momentum(s.momentum).nesterov(true).weight_decay(decay));
  };
  std::vector<torch::optim::OptimizerParamGroup> groups;
  groups.emplace_back(decayed, options(s.weight_decay));
  groups.emplace_back(plain, options(0.0));
  return torch::optim::SGD(groups, torch::optim::SGDOptions(s.learning_rate).momentum(s.momentum).nesterov(true));
}

// Linear warm-up to the peak, then a cosine to zero, per step.
double LearningRate(const TrainingSchedule& s, int64_t step, int64_t steps_per_epoch) {
  const double warmup = s.warmup_epochs * static_cast<double>(steps_per_epoch);
  const double total = static_cast<double>(s.epochs * steps_per_epoch);
  if (step < warmup) return s.learning_rate * (static_cast<double>(step) + 1) / warmup;
  const double progress = (static_cast<double>(step) - warmup) / std::max(1.0, total - warmup);
  return s.learning_rate * 0.5 * (1 + std::cos(M_PI * progress));
}

double Top1(Network& net, const ImageBatcher& batcher, const std::vector<int64_t>& indices) {
  torch::NoGradGuard no_grad;
  net->eval();
  int64_t correct = 0;
  constexpr size_t kBatch = 500;
  for (size_t start = 0; start < indices.size(); start += kBatch) {
    const std::vector<int64_t> batch(indices.begin() + start,
                                     indices.begin() + std::min(indices.size(), start + kBatch));
    const torch::Tensor predicted = net->forward(batcher.Images(batch, nullptr, nullptr)).argmax(1);
    correct += predicted.eq(batcher.Labels(batch)).sum().item<int64_t>();
  }
  net->train();
  return 100.0 * static_cast<double>(correct) / static_cast<double>(indices.size());
}

// BatchNorm's running statistics re-estimated as plain averages over
// `indices` (no augmentation), as Once-for-All does before evaluating: after a
// short schedule the exponential averages still remember the random
// initialisation, and a network evaluates far below what it learnt.
void RecalibrateBatchNorm(Network& net, const ImageBatcher& batcher, const std::vector<int64_t>& indices,
                          int batch_size) {
  std::vector<torch::nn::BatchNorm2dImpl*> norms;
  for (const auto& module : net->modules(/*include_self=*/false)) {
    if (auto* bn = dynamic_cast<torch::nn::BatchNorm2dImpl*>(module.get())) norms.push_back(bn);
  }
  for (torch::nn::BatchNorm2dImpl* bn : norms) {
    bn->reset_running_stats();
    bn->options.momentum(c10::nullopt);  // cumulative average over the batches below
  }
  torch::NoGradGuard no_grad;
  net->train();
  for (size_t start = 0; start < indices.size(); start += batch_size) {
    const std::vector<int64_t> batch(indices.begin() + start,
                                     indices.begin() + std::min(indices.size(), start + batch_size));
    net->forward(batcher.Images(batch, nullptr, nullptr));
  }
  for (torch::nn::BatchNorm2dImpl* bn : norms) bn->options.momentum(0.1);
}

struct Teacher {
  Network net{nullptr};
  int resolution = 0;  // its input's; it sees the student's images resized to this
};

// A finished `edgenas train` folder as a teacher: its network and weights,
// for the student's data (same classes and input channels).
Teacher LoadTeacher(const TeacherOptions& o, const ImageDataset& train, const InputContract& student) {
  const std::string metrics_path = o.folder + "/" + kMetricsFile;
  nlohmann::json m;
  try {
    m = nlohmann::json::parse(ReadFile(metrics_path));
  } catch (const nlohmann::json::exception& e) {
    EDGENAS_THROW_FMT("{}: not valid JSON: {}", metrics_path, JsonErrorReason(e.what()));
  }
  try {
    const SearchSpace space = LoadSpace(m.at("space").get<std::string>());
    const Genome genome = space.Parse(m.at("arch").get<std::string>());
    const NetworkSpec spec = SpecWithClasses(space.Decode(genome), static_cast<int>(train.class_names.size()));
    EDGENAS_THROW_IF_NOT_FMT(spec.input_channels == student.channels,
                             "{}: the teacher takes {} input channels, the student {}", metrics_path,
                             spec.input_channels, student.channels);
    Teacher t;
    t.net = Network(spec);
    t.resolution = spec.resolution;
    const std::string weights = o.folder + "/" + kWeightsFile;
    LoadNetworkStateDict(t.net, ReadTorchStateDict(weights), weights);
    ToChannelsLast(t.net);
    t.net->eval();
    return t;
  } catch (const nlohmann::json::exception& e) {
    EDGENAS_THROW_FMT("{}: not the metrics of a finished `edgenas train`: {}", metrics_path, JsonErrorReason(e.what()));
  }
}

struct Checkpoint {
  int epoch = 0;  // epochs done
  std::vector<double> train_loss, validation_top1;
  double train_seconds = 0;
};

void SaveCheckpoint(const std::string& path, Network& net, torch::optim::SGD& optimizer, const Checkpoint& c,
                    const std::string& settings) {
  torch::serialize::OutputArchive root, model, state;
  net->save(model);
  optimizer.save(state);
  root.write("model", model);
  root.write("optimizer", state);
  root.write("epoch", c10::IValue(static_cast<int64_t>(c.epoch)));
  root.write("train_loss", c10::IValue(c.train_loss));
  root.write("validation_top1", c10::IValue(c.validation_top1));
  root.write("train_seconds", c10::IValue(c.train_seconds));
  root.write("settings", c10::IValue(settings));
  std::ostringstream bytes;
  root.save_to(bytes);
  WriteFileAtomically(path, bytes.str());
}

Checkpoint LoadCheckpoint(const std::string& path, Network& net, torch::optim::SGD& optimizer,
                          const std::string& settings) {
  torch::serialize::InputArchive root, model, state;
  try {
    root.load_from(path);
    c10::IValue v;
    root.read("settings", v);
    EDGENAS_THROW_IF_NOT_FMT(v.toStringRef() == settings,
                             "{}: made for another network, data or schedule; start again without --resume", path);
    root.read("model", model);
    root.read("optimizer", state);
    net->load(model);
    optimizer.load(state);
    Checkpoint c;
    root.read("epoch", v);
    c.epoch = static_cast<int>(v.toInt());
    root.read("train_loss", v);
    c.train_loss = v.toDoubleVector();
    root.read("validation_top1", v);
    c.validation_top1 = v.toDoubleVector();
    root.read("train_seconds", v);
    c.train_seconds = v.toDouble();
    return c;
  } catch (const c10::Error& e) {
    EDGENAS_THROW_FMT("{}: damaged training checkpoint ({})", path, Printable(e.what_without_backtrace(), 200));
  }
}

}  // namespace

ClassifierMetrics TrainClassifier(const SearchSpace& space, const Genome& genome, const ImageDataset& train,
                                  const ImageDataset& test, const ClassifierTrainingOptions& o,
                                  const std::function<void(const TrainingProgress&)>& progress) {
  const TrainingSchedule& s = o.schedule;
  std::string error;
  EDGENAS_THROW_IF_NOT_FMT(s.IsValid(&error), "{}", error);
  EDGENAS_THROW_IF_NOT_FMT(!o.out_folder.empty(), "ClassifierTrainingOptions::out_folder is empty");
  EDGENAS_THROW_IF_NOT_FMT(train.class_names == test.class_names && train.channels == test.channels &&
                               train.height == test.height && train.width == test.width,
                           "the training and test sets differ in classes or image size");
  EDGENAS_THROW_IF_NOT_FMT(s.validation_images < train.count(),
                           "a validation set of {} images leaves nothing of the {} training images", s.validation_images,
                           train.count());
  SetTorchThreads(std::max(1, o.threads));
  KeepFreedMemory();
  const auto run_start = Clock::now();

  const NetworkSpec spec = SpecWithClasses(space.Decode(genome), static_cast<int>(train.class_names.size()));
  const NetworkStats stats = ComputeStats(spec);
  DatasetSplit split = SplitForValidation(train.count(), s.validation_images, o.seed);
  if (s.train_images > 0 && s.train_images < static_cast<int64_t>(split.train.size())) {
    Rng rng(o.seed ^ 0x5851f42d4c957f2dull);
    rng.Shuffle(&split.train);
    split.train.resize(static_cast<size_t>(s.train_images));
    std::sort(split.train.begin(), split.train.end());
  }
  InputContract contract;
  contract.channels = spec.input_channels;
  contract.resolution = spec.resolution;
  ChannelStatistics(train, &contract.mean, &contract.std);
  const ImageBatcher batcher(train, contract);
  const ImageBatcher test_batcher(test, contract);
  Teacher teacher;
  if (!o.teacher.folder.empty()) teacher = LoadTeacher(o.teacher, train, contract);

  torch::manual_seed(o.seed);
  Network net(spec);
  ToChannelsLast(net);
  net->train();
  torch::optim::SGD optimizer = MakeOptimizer(net, s);

  const std::string arch = space.ToString(genome);
  nlohmann::json settings = {{"space", space.name()}, {"arch", arch}, {"seed", o.seed},
                             {"schedule", ScheduleJson(s)}, {"train_count", train.count()},
                             {"teacher", o.teacher.folder}};
  fs::create_directories(o.out_folder);
  const std::string checkpoint_path = o.out_folder + "/" + kCheckpointFile;
  Checkpoint done;
  if (o.resume && PathExists(checkpoint_path)) done = LoadCheckpoint(checkpoint_path, net, optimizer, settings.dump());

  const int64_t steps_per_epoch = StepsPerEpoch(static_cast<int64_t>(split.train.size()), s.batch_size);
  const Augmentation augment{s.pad, s.flip};
  Rng augment_rng(0);
  int augment_epoch = -1;
  const auto batch_loss = [&](const std::vector<int64_t>& positions, int epoch) {
    if (epoch != augment_epoch) {  // per-epoch stream: a resumed run augments alike
      augment_rng = Rng(o.seed * 0xbf58476d1ce4e5b9ull + static_cast<uint64_t>(epoch));
      augment_epoch = epoch;
    }
    std::vector<int64_t> indices(positions.size());
    for (size_t i = 0; i < positions.size(); ++i) indices[i] = split.train[positions[i]];
    const torch::Tensor images = batcher.Images(indices, &augment, &augment_rng);
    const torch::Tensor logits = net->forward(images);
    torch::Tensor loss = torch::nn::functional::cross_entropy(
        logits, batcher.Labels(indices),
        torch::nn::functional::CrossEntropyFuncOptions().label_smoothing(s.label_smoothing));
    if (teacher.net) {
      torch::Tensor soft;
      {
        torch::NoGradGuard no_grad;
        // The teacher sees the same augmented images, at its own resolution.
        torch::Tensor teacher_images = images;
        if (teacher.resolution != contract.resolution) {
          teacher_images = torch::nn::functional::interpolate(
              images, torch::nn::functional::InterpolateFuncOptions()
                          .size(std::vector<int64_t>{teacher.resolution, teacher.resolution})
                          .mode(torch::kBilinear)
                          .align_corners(false));
        }
        soft = torch::softmax(teacher.net->forward(teacher_images) / o.teacher.temperature, 1);
      }
      const double t = o.teacher.temperature;
      const torch::Tensor kd = torch::nn::functional::kl_div(
          torch::log_softmax(logits / t, 1), soft, torch::nn::functional::KLDivFuncOptions().reduction(torch::kBatchMean));
      loss = (1 - o.teacher.weight) * loss + o.teacher.weight * t * t * kd;
    }
    return loss;
  };

  ClassifierMetrics metrics;
  metrics.params = stats.params;
  metrics.macs = stats.macs;
  const auto train_start = Clock::now();
  const double seconds_before = done.train_seconds;
  int64_t images_seen = 0;
  const int64_t total_steps = (s.epochs - done.epoch) * steps_per_epoch;
  const auto on_step = [&](const StepReport& r) {
    images_seen += std::min<int64_t>(s.batch_size, static_cast<int64_t>(split.train.size()));
    if (!progress) return;
    const double elapsed = std::chrono::duration<double>(Clock::now() - train_start).count();
    const int64_t steps_done = (r.epoch - done.epoch - 1) * steps_per_epoch + r.step_in_epoch;
    TrainingProgress p;
    p.epoch = r.epoch;
    p.epochs = s.epochs;
    p.step = r.step_in_epoch;
    p.steps = r.steps_per_epoch;
    p.loss = r.loss;
    p.images_per_second = elapsed > 0 ? static_cast<double>(images_seen) / elapsed : 0;
    p.eta_seconds = elapsed / static_cast<double>(steps_done) * static_cast<double>(total_steps - steps_done);
    progress(p);
  };
  TrainingLoopOptions loop;
  loop.first_epoch = done.epoch + 1;
  loop.epochs = s.epochs;
  loop.batch_size = s.batch_size;
  loop.seed = o.seed;
  loop.learning_rate = [&](int64_t step) { return LearningRate(s, step, steps_per_epoch); };
  RunTrainingLoop(optimizer, static_cast<int64_t>(split.train.size()), loop, batch_loss,
                  [&](const EpochReport& r) {
                    done.epoch = r.epoch;
                    done.train_loss.push_back(r.mean_loss);
                    done.validation_top1.push_back(Top1(net, batcher, split.validation));
                    done.train_seconds = seconds_before + std::chrono::duration<double>(Clock::now() - train_start).count();
                    SaveCheckpoint(checkpoint_path, net, optimizer, done, settings.dump());
                    if (progress) {
                      TrainingProgress p;
                      p.epoch = r.epoch;
                      p.epochs = s.epochs;
                      p.loss = r.mean_loss;
                      p.epoch_done = true;
                      p.validation_top1 = done.validation_top1.back();
                      progress(p);
                    }
                    return !(o.stop_requested && o.stop_requested() && r.epoch < s.epochs);
                  },
                  on_step);
  metrics.train_loss = done.train_loss;
  metrics.validation_top1_curve = done.validation_top1;
  metrics.train_seconds = done.train_seconds;
  if (done.epoch < s.epochs) {
    metrics.interrupted = true;
    return metrics;
  }
  // Training images, a fixed sample, for the final statistics.
  std::vector<int64_t> calibration = EpochOrder(static_cast<int64_t>(split.train.size()), o.seed, 0);
  calibration.resize(std::min<size_t>(calibration.size(), kCalibrationImages));
  for (int64_t& i : calibration) i = split.train[i];
  RecalibrateBatchNorm(net, batcher, calibration, s.batch_size);
  metrics.validation_top1 = Top1(net, batcher, split.validation);
  std::vector<int64_t> all_test(static_cast<size_t>(test.count()));
  std::iota(all_test.begin(), all_test.end(), int64_t{0});
  metrics.test_top1 = Top1(net, test_batcher, all_test);

  WriteTorchStateDict(o.out_folder + "/" + kWeightsFile, NetworkStateDict(net));
  const nlohmann::json json = {
      {"space", space.name()},
      {"arch", arch},
      {"weights", kWeightsFile},
      {"classes", train.class_names},
      {"input", {{"channels", contract.channels}, {"resolution", contract.resolution}, {"layout", "NCHW"},
                 {"pixel_scale", 1.0 / 255}, {"mean", contract.mean}, {"std", contract.std}}},
      {"validation_top1", metrics.validation_top1},
      {"test_top1", metrics.test_top1},
      {"validation_images", split.validation.size()},
      {"train_images", split.train.size()},
      {"test_images", test.count()},
      {"train_loss", metrics.train_loss},
      {"validation_top1_curve", metrics.validation_top1_curve},
      {"params", metrics.params},
      {"macs", metrics.macs},
      {"train_seconds", metrics.train_seconds},
      {"wall_seconds", std::chrono::duration<double>(Clock::now() - run_start).count()},
      {"threads", o.threads},
      {"seed", o.seed},
      {"schedule", ScheduleJson(s)},
      {"teacher", o.teacher.folder.empty() ? nlohmann::json(nullptr)
                                           : nlohmann::json{{"folder", o.teacher.folder},
                                                            {"temperature", o.teacher.temperature},
                                                            {"weight", o.teacher.weight}}},
      {"edgenas_version", EDGENAS_VERSION}};
  WriteFileAtomically(o.out_folder + "/" + kMetricsFile, json.dump(2) + "\n");  // last: the run is finished
  fs::remove(checkpoint_path);
  return metrics;
}

NetworkSpec SpecWithClasses(NetworkSpec spec, int classes) {
  EDGENAS_THROW_IF_NOT_FMT(!spec.layers.empty() && spec.layers.back().op == LayerOp::kLinear,
                           "the network does not end in a linear classifier");
  spec.layers.back().out_channels = classes;
  return spec;
}

}  // namespace edgenas
