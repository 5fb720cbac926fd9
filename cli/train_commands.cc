// edgenas train: one network of a space, trained on real images (edgenas-torch).
#include <fmt/format.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <thread>

#include "cli/commands.h"
#include "cli/torch_commands.h"
#include "common/error.h"
#include "common/file_util.h"
#include "datasets/image_dataset.h"
#include "space/space_loader.h"
#include "train/classifier_training.h"

namespace edgenas {

namespace {

namespace fs = std::filesystem;

struct TrainCommandOptions {
  std::string space, arch;
  std::string dataset = "fashion-mnist";
  std::string data;    // a folder of the user's own images
  std::string format;  // idx | cifar10, with --data
  int classes = 10;    // idx: labels are 0..classes-1
  std::string out;
  bool resume = false;
  bool force = false;
  ClassifierTrainingOptions training;
};

void PrintProgress(const TrainingProgress& p, bool terminal) {
  if (p.epoch_done) {
    if (terminal) fmt::print(stderr, "\r\033[K");
    fmt::print(stderr, "epoch {}/{}: train loss {:.4f}, validation top-1 {:.2f}%\n", p.epoch, p.epochs, p.loss,
               p.validation_top1);
    return;
  }
  const std::string line = fmt::format("[epoch {}/{}] step {}/{} | loss {:.4f} | {:.0f} images/s | ETA {:.0f} s",
                                       p.epoch, p.epochs, p.step, p.steps, p.loss, p.images_per_second, p.eta_seconds);
  if (terminal) {
    fmt::print(stderr, "\r\033[K{}", line);
  } else if (p.step % std::max<int64_t>(1, p.steps / 5) == 0) {
    fmt::print(stderr, "{}\n", line);
  }
}

void LoadData(const TrainCommandOptions& o, ImageDataset* train, ImageDataset* test) {
  if (o.data.empty()) {
    *train = ReadFashionMnist(FashionMnistFolder(), DatasetPart::kTrain);
    *test = ReadFashionMnist(FashionMnistFolder(), DatasetPart::kTest);
  } else if (o.format == "cifar10") {
    *train = ReadCifar10Folder(o.data, DatasetPart::kTrain);
    *test = ReadCifar10Folder(o.data, DatasetPart::kTest);
  } else {
    std::vector<std::string> classes;
    for (int i = 0; i < o.classes; ++i) classes.push_back(std::to_string(i));
    const auto file = [&](const std::string& name) {
      const std::string plain = o.data + "/" + name;
      return PathExists(plain) || !PathExists(plain + ".gz") ? plain : plain + ".gz";
    };
    *train = ReadIdx(file("train-images-idx3-ubyte"), file("train-labels-idx1-ubyte"), classes);
    *test = ReadIdx(file("t10k-images-idx3-ubyte"), file("t10k-labels-idx1-ubyte"), classes);
  }
}

void Train(TrainCommandOptions& o) {
  EDGENAS_THROW_IF_NOT_FMT(o.data.empty() == o.format.empty(), "--data and --format come together");
  EDGENAS_THROW_IF_NOT_FMT(o.data.empty() || o.dataset == "fashion-mnist",
                           "--dataset names a built-in dataset; give either it or --data, not both");
  const fs::path out(o.out);
  const bool finished = PathExists((out / "metrics.json").string());
  const bool started = PathExists((out / "checkpoint.pt").string());
  EDGENAS_THROW_IF_NOT_FMT(!finished || o.force, "{} holds a finished training; pass --force to train again into it",
                           o.out);
  EDGENAS_THROW_IF_NOT_FMT(!started || o.resume || o.force,
                           "{} holds an interrupted training: pass --resume to continue it, or --force to start over",
                           o.out);
  EDGENAS_THROW_IF_NOT_FMT(!o.resume || started, "{}: nothing to resume (no checkpoint.pt)", o.out);
  if (o.force) {
    fs::remove((out / "checkpoint.pt"));
    fs::remove((out / "metrics.json"));
  }
  const SearchSpace space = LoadSpace(o.space);
  const Genome genome = space.Parse(o.arch);
  ImageDataset train, test;
  LoadData(o, &train, &test);

  o.training.out_folder = o.out;
  o.training.resume = o.resume;
  const bool terminal = isatty(fileno(stderr));
  const StopOnSignals signals;
  o.training.stop_requested = [] { return StopOnSignals::received() != 0; };
  const ClassifierMetrics m = TrainClassifier(space, genome, train, test, o.training,
                                              [terminal](const TrainingProgress& p) { PrintProgress(p, terminal); });
  if (m.interrupted) {
    throw Interrupted(fmt::format("stopped after epoch {} of {}; resume with the same command and --resume",
                                  m.train_loss.size(), o.training.schedule.epochs));
  }
  fmt::print("{} on {}: validation top-1 {:.2f}%, test top-1 {:.2f}% ({} epochs, {:.1f} s)\n", space.ToString(genome),
             o.data.empty() ? o.dataset : o.data, m.validation_top1, m.test_top1, m.train_loss.size(),
             m.train_seconds);
  fmt::print("{:L} params, {:L} MACs; weights and metrics in {}/\n", m.params, m.macs, o.out);
}

}  // namespace

void AddTrainCommands(CLI::App& app) {
  auto o = std::make_shared<TrainCommandOptions>();
  TrainingSchedule& s = o->training.schedule;
  o->training.threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  CLI::App* train = app.add_subcommand("train", TorchCommandDescription("train", ""));
  train->add_option("-s,--space", o->space, "Space name or file")->required();
  train->add_option("-a,--arch", o->arch, "Architecture (arch string or Once-for-All JSON)")->required();
  train->add_option("--dataset", o->dataset, "Built-in dataset (Debian's dataset-fashion-mnist)")
      ->capture_default_str()
      ->check(CLI::IsMember({"fashion-mnist"}));
  train->add_option("--data", o->data, "A folder of your own images instead (see --format)");
  train->add_option("--format", o->format,
                    "idx: {train,t10k}-{images-idx3,labels-idx1}-ubyte[.gz]; cifar10: data_batch_1..5.bin, "
                    "test_batch.bin")
      ->check(CLI::IsMember({"idx", "cifar10"}));
  train->add_option("--classes", o->classes, "idx: number of classes (labels 0..N-1)")
      ->capture_default_str()
      ->check(CLI::Range(1, 256));
  train->add_option("-o,--out", o->out, "Folder to write weights.pt and metrics.json into")->required();
  train->add_option("--epochs", s.epochs, "Epochs")->capture_default_str()->check(CLI::Range(1, 100000));
  train->add_option("--batch-size", s.batch_size, "Images per step")->capture_default_str()->check(CLI::Range(1, 65536));
  train->add_option("--lr", s.learning_rate, "Peak learning rate (SGD, Nesterov momentum)")
      ->capture_default_str()
      ->check(CLI::Range(1e-9, 100.0));
  train->add_option("--warmup-epochs", s.warmup_epochs, "Linear warm-up, in epochs, before the cosine decay")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 100000.0));
  train->add_option("--weight-decay", s.weight_decay, "On conv and linear weights (not BN, not biases)")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 0.999));
  train->add_option("--label-smoothing", s.label_smoothing, "")->capture_default_str()->check(CLI::Range(0.0, 0.999));
  train->add_option("--pad", s.pad, "Random-crop padding in pixels (0: no crop)")
      ->capture_default_str()
      ->check(CLI::Range(0, 64));
  train->add_option("--flip", s.flip, "Random horizontal flips (true/false)")->capture_default_str();
  train->add_option("--train-images", s.train_images, "Train on this many images of the training split (0: all)")
      ->capture_default_str()
      ->check(NonNegativeIntegerValidator());
  train->add_option("--validation-images", s.validation_images, "Validation images carved from the training set")
      ->capture_default_str()
      ->check(CLI::Range(int64_t{1}, int64_t{1} << 40));
  train->add_option("--teacher", o->training.teacher.folder,
                    "Distil from this network (a folder written by edgenas train, same data)");
  train->add_option("--kd-temperature", o->training.teacher.temperature, "Distillation temperature")
      ->capture_default_str()
      ->check(CLI::Range(0.01, 100.0));
  train->add_option("--kd-weight", o->training.teacher.weight, "Share of the distillation loss, [0, 1]")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 1.0));
  train->add_option("--seed", o->training.seed, "Seeds the split, initialisation, order and augmentation")
      ->capture_default_str()
      ->check(NonNegativeIntegerValidator());
  train->add_option("--threads", o->training.threads, "LibTorch threads (default: the machine's cores)")
      ->capture_default_str()
      ->check(CLI::Range(1, 1024));
  train->add_flag("--resume", o->resume, "Continue the interrupted training in --out");
  train->add_flag("--force", o->force, "Start over in --out, discarding what is there");
  train->callback([o] { Train(*o); });
}

}  // namespace edgenas
