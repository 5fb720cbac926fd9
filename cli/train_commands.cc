// edgenas train (one network on real images) and edgenas dataset (many
// networks, one row each), run by edgenas-torch.
#include <fmt/format.h>
#include <unistd.h>

#include <sys/wait.h>

#include <CLI/CLI.hpp>
#include <cerrno>
#include <cmath>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <thread>

#include "accuracy/accuracy_dataset.h"
#include "accuracy/ranking_metrics.h"
#include "cli/commands.h"
#include "cli/data_source.h"
#include "cli/torch_commands.h"
#include "cli/training_progress.h"
#include "common/error.h"
#include "common/file_util.h"
#include "common/text.h"
#include "datasets/image_dataset.h"
#include "space/space_loader.h"
#include "train/classifier_training.h"
#include "train/dataset_generation.h"

#ifdef EDGENAS_WITH_MPI
#include <mpi.h>
#endif

namespace edgenas {

namespace {

namespace fs = std::filesystem;


// ---- edgenas train -----------------------------------------------------------

struct TrainCommandOptions {
  std::string space, arch;
  DataSource source;
  std::string out;
  bool resume = false;
  bool force = false;
  ClassifierTrainingOptions training;
};

}  // namespace

int MachineThreads() { return static_cast<int>(std::max(1u, std::thread::hardware_concurrency())); }

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

void PrintTrainingProgress(const TrainingProgress& p, bool terminal) {
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

namespace {

void Train(TrainCommandOptions& o) {
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
    fs::remove(out / "checkpoint.pt");
    fs::remove(out / "metrics.json");
  }
  const SearchSpace space = LoadSpace(o.space);
  const Genome genome = space.Parse(o.arch);
  ImageDataset train, test;
  o.source.Load(&train, &test);

  o.training.out_folder = o.out;
  o.training.resume = o.resume;
  const bool terminal = isatty(fileno(stderr));
  const StopOnSignals signals;
  o.training.stop_requested = [] { return StopOnSignals::received() != 0; };
  const ClassifierMetrics m = TrainClassifier(space, genome, train, test, o.training, [terminal](const TrainingProgress& p) {
    PrintTrainingProgress(p, terminal);
  });
  if (m.interrupted) {
    throw Interrupted(fmt::format("stopped after epoch {} of {}; resume with the same command and --resume",
                                  m.train_loss.size(), o.training.schedule.epochs));
  }
  fmt::print("{} on {}: validation top-1 {:.2f}%, test top-1 {:.2f}% ({} epochs, {:.1f} s)\n", space.ToString(genome),
             o.source.Name(), m.validation_top1, m.test_top1, m.train_loss.size(), m.train_seconds);
  fmt::print("{} params, {} MACs; weights and metrics in {}/\n", m.params, m.macs, o.out);
}

void AddTrain(CLI::App& app) {
  auto o = std::make_shared<TrainCommandOptions>();
  TrainingSchedule& s = o->training.schedule;
  o->training.threads = MachineThreads();
  CLI::App* train = app.add_subcommand("train", TorchCommandDescription("train", ""));
  train->add_option("-s,--space", o->space, "Space name or file")->required();
  train->add_option("-a,--arch", o->arch, "Architecture (arch string or Once-for-All JSON)")->required();
  o->source.AddOptions(train);
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

// ---- edgenas dataset -----------------------------------------------------------

struct DatasetCommandOptions {
  std::string space;
  DataSource source;
  std::string sampling = "uniform";
  std::string shard;  // "i/n"; default from a Slurm job array, else 1/1
  int workers = 1;    // processes training at once, threads split between them
  DatasetOptions dataset;
  std::vector<std::string> merge_inputs;
  std::string merge_out;
  std::vector<std::string> compare_inputs;
};

// The shard a Slurm job array's task takes, if this runs in one.
bool ShardFromSlurm(Shard* shard) {
  const char* id = std::getenv("SLURM_ARRAY_TASK_ID");
  const char* count = std::getenv("SLURM_ARRAY_TASK_COUNT");
  if (id == nullptr || count == nullptr) return false;
  const char* min = std::getenv("SLURM_ARRAY_TASK_MIN");
  const int index = std::atoi(id) - (min != nullptr ? std::atoi(min) : 0);
  const int n = std::atoi(count);
  EDGENAS_THROW_IF_NOT_FMT(n >= 1 && index >= 0 && index < n,
                           "SLURM_ARRAY_TASK_ID {} does not fit SLURM_ARRAY_TASK_COUNT {} (from SLURM_ARRAY_TASK_MIN {})",
                           id, count, min != nullptr ? min : "0");
  *shard = {index, n};
  return true;
}

// data.csv -> data.shard-2-of-8.csv: each shard appends to a file of its own.
std::string ShardFile(const std::string& out, const Shard& shard) {
  if (shard.count == 1) return out;
  const fs::path p(out);
  return (p.parent_path() / fmt::format("{}.shard-{}-of-{}{}", p.stem().string(), shard.index + 1, shard.count,
                                        p.extension().string()))
      .string();
}

// Whether mpirun started this process (Open MPI, or MPICH's Hydra).
bool StartedByMpirun() {
  return std::getenv("OMPI_COMM_WORLD_SIZE") != nullptr || std::getenv("PMI_SIZE") != nullptr;
}

void Dataset(DatasetCommandOptions& o);

// Under mpirun: rank r of n trains shard r+1/n into its own file; when every
// rank is done, rank 0 joins the files into --out. A rank that fails still
// takes part in the final reduction, so that no rank waits forever.
void DatasetUnderMpi(DatasetCommandOptions& o) {
#ifdef EDGENAS_WITH_MPI
  EDGENAS_THROW_IF_NOT_FMT(o.shard.empty(), "--shard: under mpirun each rank takes its shard from its rank");
  EDGENAS_THROW_IF_NOT_FMT(o.workers == 1, "--workers: under mpirun start more ranks instead");
  MPI_Init(nullptr, nullptr);
  int rank = 0, size = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  const std::string out = o.dataset.out_csv;
  o.shard = fmt::format("{}/{}", rank + 1, size);
  int status = 0;
  std::string error;
  try {
    Dataset(o);
  } catch (const Interrupted& e) {
    status = 130;
    error = e.what();
  } catch (const std::exception& e) {
    status = 2;
    error = e.what();
  }
  if (!error.empty()) fmt::print(stderr, "rank {}: {}\n", rank, error);
  int worst = 0;
  MPI_Allreduce(&status, &worst, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
  if (rank == 0 && worst == 0) {
    std::vector<std::string> shards;
    for (int r = 0; r < size; ++r) shards.push_back(ShardFile(out, Shard{r, size}));
    try {
      MergeDatasets(LoadSpace(o.space), shards, out);
      fmt::print("{}: the {} ranks' files joined\n", out, size);
    } catch (const std::exception& e) {
      fmt::print(stderr, "{}\n", e.what());
      worst = 2;
    }
  }
  MPI_Finalize();
  if (status == 130) throw Interrupted("stopped; run the same mpirun command again to continue");
  EDGENAS_THROW_IF_NOT_FMT(worst == 0 || status != 0, "another rank failed (see above); run the same command again");
  if (status != 0) std::exit(status);
#else
  (void)o;
  EDGENAS_THROW_FMT("started by mpirun, but this edgenas was built without MPI (install libopenmpi-dev and rebuild)");
#endif
}

void Dataset(DatasetCommandOptions& o) {
  DatasetOptions& d = o.dataset;
  EDGENAS_THROW_IF_NOT_FMT(DatasetSchedule(d.schedule_name, &d.schedule), "unknown schedule '{}'", d.schedule_name);
  StringToSampling(o.sampling, &d.sampling);
  if (!o.shard.empty()) {
    EDGENAS_THROW_IF_NOT_FMT(Shard::Parse(o.shard, &d.shard), "--shard: expected i/n with 1 <= i <= n, got '{}'",
                             Printable(o.shard, 40));
  } else {
    ShardFromSlurm(&d.shard);
  }
  d.out_csv = ShardFile(d.out_csv, d.shard);
  const SearchSpace space = LoadSpace(o.space);
  ImageDataset train, test;
  o.source.Load(&train, &test);
  const StopOnSignals signals;
  d.stop_requested = [] { return StopOnSignals::received() != 0; };
  const DatasetPlan plan = PlanDataset(space, d);
  const int workers = std::max(1, std::min<int>(o.workers, static_cast<int>(plan.todo.size())));
  d.threads = std::max(1, d.threads / workers);
  const auto start = std::chrono::steady_clock::now();
  // Worker k trains networks k, k + workers, ... of the plan, in a process of
  // its own (forked before LibTorch has started a thread), appending to the
  // one file.
  const auto run_worker = [&](int k) {
    std::vector<Genome> mine;
    for (size_t j = k; j < plan.todo.size(); j += workers) mine.push_back(plan.todo[j]);
    const std::string who = workers > 1 ? fmt::format("worker {}: ", k + 1) : "";
    return TrainDatasetRows(space, train, test, d, mine, [&](const DatasetProgress& p) {
      const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      fmt::print(stderr, "{}[{}/{}] {} validation top-1 {:.2f}% ({:.1f} s) | ETA {:.0f} s\n", who, p.done, p.total,
                 p.arch, p.validation_top1, p.seconds, elapsed / p.done * (p.total - p.done));
    });
  };
  bool interrupted = false;
  if (workers == 1) {
    interrupted = run_worker(0).interrupted;
  } else {
    std::vector<pid_t> children;
    for (int k = 0; k < workers; ++k) {
      const pid_t pid = fork();
      EDGENAS_THROW_IF_NOT_FMT(pid >= 0, "cannot start worker {}: {}", k + 1, std::strerror(errno));
      if (pid == 0) {
        int code = 0;
        try {
          code = run_worker(k).interrupted ? 130 : 0;
        } catch (const std::exception& e) {
          fmt::print(stderr, "worker {}: {}\n", k + 1, e.what());
          code = 2;
        }
        std::fflush(nullptr);
        _exit(code);
      }
      children.push_back(pid);
    }
    int failed = 0;
    for (pid_t child : children) {
      int status = 0;
      while (waitpid(child, &status, 0) < 0 && errno == EINTR) {
      }
      const int code = WIFEXITED(status) ? WEXITSTATUS(status) : 1;
      if (code == 130) interrupted = true;
      if (code != 0 && code != 130) ++failed;
    }
    EDGENAS_THROW_IF_NOT_FMT(failed == 0, "{} of {} workers failed (see above); run the same command again to continue",
                             failed, workers);
  }
  const DatasetPlan after = PlanDataset(space, d);
  if (interrupted) {
    throw Interrupted(fmt::format("stopped with {} of {} networks in {}; run the same command again to continue",
                                  after.done, after.total, d.out_csv));
  }
  fmt::print("{}: {} networks ({} trained now) with the '{}' schedule on {}\n", d.out_csv, after.done,
             after.done - plan.done, d.schedule_name, o.source.Name());
}

// Kendall tau, Spearman rho and the differences between two datasets' accuracies
// of the networks they share.
void CompareDatasets(const SearchSpace& space, const std::string& first, const std::string& second) {
  const PairedAccuracies paired = PairAccuracies(LoadAccuracyDataset(first, space), LoadAccuracyDataset(second, space));
  EDGENAS_THROW_IF_NOT_FMT(paired.a.size() >= 2, "{} and {} share {} network(s); at least 2 are needed to compare",
                           first, second, paired.a.size());
  double mean_difference = 0, mean_absolute = 0;
  for (size_t i = 0; i < paired.a.size(); ++i) {
    mean_difference += paired.b[i] - paired.a[i];
    mean_absolute += std::abs(paired.b[i] - paired.a[i]);
  }
  mean_difference /= static_cast<double>(paired.a.size());
  mean_absolute /= static_cast<double>(paired.a.size());
  fmt::print("{} networks in both {} and {}\n", paired.a.size(), first, second);
  fmt::print("  Kendall tau                      {:.4f}\n", KendallTau(paired.a, paired.b));
  fmt::print("  Spearman rho                     {:.4f}\n", SpearmanRho(paired.a, paired.b));
  fmt::print("  mean difference (second - first) {:+.2f} points\n", mean_difference);
  fmt::print("  mean absolute difference         {:.2f} points\n", mean_absolute);
}

void AddDataset(CLI::App& app) {
  auto o = std::make_shared<DatasetCommandOptions>();
  DatasetOptions& d = o->dataset;
  d.threads = MachineThreads();
  CLI::App* dataset = app.add_subcommand("dataset", TorchCommandDescription("dataset", ""));
  dataset->require_subcommand(0, 1);
  dataset->add_option("-s,--space", o->space, "Space name or file");
  o->source.AddOptions(dataset);
  dataset->add_option("-n,--count", d.count, "Networks in the sample")->capture_default_str()->check(CLI::Range(1, 10000000));
  dataset->add_option("--sampling", o->sampling, "uniform, or macs: evenly over the space's range of MACs")
      ->capture_default_str()
      ->check(CLI::IsMember({"uniform", "macs"}));
  dataset->add_option("--schedule", d.schedule_name, "one_pass: one epoch over the whole training split; short: one over 20,000 images; long: five over 20,000")
      ->capture_default_str()
      ->check(CLI::IsMember(DatasetScheduleNames()));
  dataset->add_option("--seed", d.sample_seed, "Picks the networks")->capture_default_str()->check(NonNegativeIntegerValidator());
  dataset->add_option("--train-seed", d.training_seed, "Seeds every network's training")
      ->capture_default_str()
      ->check(NonNegativeIntegerValidator());
  dataset->add_option("--threads", d.threads, "LibTorch threads")->capture_default_str()->check(CLI::Range(1, 1024));
  dataset->add_option("--workers", o->workers, "Networks trained at once, each in a process of its own (threads split)")
      ->capture_default_str()
      ->check(CLI::Range(1, 256));
  dataset->add_option("--shard", o->shard,
                      "i/n: this run's share of the sample, written to <out>.shard-i-of-n.csv (default: from "
                      "SLURM_ARRAY_TASK_ID/COUNT, else all)");
  dataset->add_option("-o,--out", d.out_csv, "CSV to append rows to (created with its header)");
  dataset->callback([o, dataset] {
    if (dataset->get_subcommands().empty()) {
      EDGENAS_THROW_IF_NOT_FMT(!o->space.empty() && !o->dataset.out_csv.empty(), "--space and --out are required");
      if (StartedByMpirun()) {
        DatasetUnderMpi(*o);
      } else {
        Dataset(*o);
      }
    }
  });
  CLI::App* merge = dataset->add_subcommand("merge", "Join shard files; refuses mixed schedules and repeated networks");
  merge->add_option("-s,--space", o->space, "Space of the networks")->required();
  merge->add_option("inputs", o->merge_inputs, "Shard files")->required();
  merge->add_option("-o,--out", o->merge_out, "The joined CSV")->required();
  merge->callback([o] {
    MergeDatasets(LoadSpace(o->space), o->merge_inputs, o->merge_out);
    fmt::print("{}: {} files joined\n", o->merge_out, o->merge_inputs.size());
  });
  CLI::App* compare = dataset->add_subcommand(
      "compare", "How two datasets of the same networks agree (e.g. a short and a long schedule, or two seeds)");
  compare->add_option("-s,--space", o->space, "Space of the networks")->required();
  compare->add_option("first", o->compare_inputs, "Two dataset CSVs")->required()->expected(2);
  compare->callback([o] { CompareDatasets(LoadSpace(o->space), o->compare_inputs[0], o->compare_inputs[1]); });
}

}  // namespace

void AddTrainCommands(CLI::App& app) {
  AddTrain(app);
  AddDataset(app);
}

}  // namespace edgenas
