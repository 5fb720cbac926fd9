// `edgenas predictor train` and `edgenas predictor study`: they train MLPs with
// LibTorch, so they run in edgenas-torch.
#include <fmt/format.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <chrono>
#include <filesystem>
#include <iostream>
#include <memory>

#include "cli/commands.h"
#include "cli/torch_commands.h"
#include "common/error.h"
#include "common/file_util.h"
#include "train/mlp_trainer.h"
#include "accuracy/predictor_evaluation.h"
#include "space/space_loader.h"

namespace edgenas {

namespace fs = std::filesystem;

namespace {

void AddTrainingOptions(CLI::App* command, MlpTrainingOptions* o) {
  command->add_option("--hidden", o->hidden, "Hidden layer widths")->delimiter(',')->capture_default_str();
  command->add_option("--members", o->members, "Ensemble size (MLPs with seeds seed, seed+1, ...)")
      ->capture_default_str()
      ->check(CLI::Range(1, 64));
  command->add_option("--epochs", o->max_epochs, "Most epochs per MLP")->capture_default_str()->check(CLI::Range(1, 100000));
  command->add_option("--patience", o->patience, "Stop after this many epochs without a better validation loss")
      ->capture_default_str();
  command->add_option("--batch-size", o->batch_size, "Minibatch size")->capture_default_str()->check(CLI::Range(1, 1 << 20));
  command->add_option("--learning-rate", o->learning_rate, "Adam's learning rate")->capture_default_str();
  command->add_option("--weight-decay", o->weight_decay, "Adam's weight decay")->capture_default_str();
  command->add_option("--validation-fraction", o->validation_fraction,
                      "Share of the training networks held out for early stopping")
      ->capture_default_str()
      ->check(CLI::Range(0.01, 0.9));
  command->add_option("--threads", o->threads, "LibTorch threads")->capture_default_str()->check(CLI::Range(1, 256));
}

struct TrainOptions {
  std::string space;
  std::string data;
  std::string out;
  std::string encoding;
  int networks = 0;  // 0: all
  bool replace = false;
  MlpTrainingOptions training;
};

void Train(const TrainOptions& o) {
  const SearchSpace space = LoadSpace(o.space);
  FeatureEncoding encoding = FeatureEncoder::DefaultFor(space);
  if (!o.encoding.empty()) StringToFeatureEncoding(o.encoding, &encoding);  // CLI11 checked the name
  const AccuracyDataset all = LoadAccuracyDataset(o.data, space);
  EDGENAS_THROW_IF_NOT_FMT(o.replace || !PathExists(fs::path(o.out) / "predictor.yaml"),
                           "{} already holds a predictor (pass --replace to overwrite it)", o.out);
  EDGENAS_THROW_IF_NOT_FMT(o.networks >= 0 && static_cast<size_t>(o.networks) <= all.size(),
                           "--networks {} but {} has {} distinct networks", o.networks, o.data, all.size());
  AccuracyDataset train = all;
  std::vector<size_t> picked, rest;
  if (o.networks > 0) {
    SplitIndices(all.size(), o.networks, o.training.seed, &picked, &rest);
    train = all.Subset(picked);
  }
  const bool terminal = isatty(fileno(stderr));
  const TrainedPredictor trained =
      TrainPredictor(space, encoding, train, o.training, o.out, [&](int member, int epoch, double rmse) {
        const std::string line = fmt::format("member {}/{}  epoch {:>5}  validation RMSE {:.3f} pp", member + 1,
                                             o.training.members, epoch, rmse);
        if (terminal) {
          fmt::print(stderr, "\r\033[K{}", line);
        } else if (epoch % 100 == 0) {
          fmt::print(stderr, "{}\n", line);  // a log line now and then, off a terminal
        }
      });
  if (terminal) fmt::print(stderr, "\n");
  // The networks not trained on: the predictor's honest test set.
  if (!rest.empty()) WriteAccuracyDataset((fs::path(o.out) / "held_out.csv").string(), space, all.Subset(rest));
  const TrainingRecord& r = *trained.info.training;
  fmt::print("{}: {} MLP(s) {}x{} on {} networks ({} more for early stopping); best epochs {}; validation RMSE {:.3f} pp\n",
             o.out, o.training.members, trained.info.features, fmt::join(o.training.hidden, "x"), r.networks,
             r.validation_networks, fmt::join(r.epochs, ", "), fmt::join(r.validation_rmse, ", "));
  if (!rest.empty()) {
    fmt::print("held-out networks: {}/held_out.csv ({}); test with `edgenas predictor eval {} --data {}/held_out.csv`\n",
               o.out, all.size() - train.size(), o.out, o.out);
  }
}

struct StudyOptions {
  std::string space;
  std::string data;
  std::vector<int> train_sizes = {50, 100, 300, 1000};
  int seeds = 5;
  std::string out;
  MlpTrainingOptions training;
};

struct Summary {
  double mean = 0, deviation = 0;
};
Summary Summarize(const std::vector<double>& v) {
  Summary s;
  for (double x : v) s.mean += x / v.size();
  for (double x : v) s.deviation += (x - s.mean) * (x - s.mean) / v.size();
  s.deviation = std::sqrt(s.deviation);
  return s;
}

// For each training size and seed: train on that many random networks, test on
// all the others; the table gives mean ± standard deviation over the seeds.
void Study(const StudyOptions& o) {
  const SearchSpace space = LoadSpace(o.space);
  const FeatureEncoding encoding = FeatureEncoder::DefaultFor(space);
  const AccuracyDataset all = LoadAccuracyDataset(o.data, space);
  std::string table =
      "| training networks | MLP Kendall tau | ridge Kendall tau | MLP RMSE (pp) | ridge RMSE (pp) | MLP Spearman rho | "
      "true top-20 in predicted top 1% (MLP) | (ridge) |\n|---|---|---|---|---|---|---|---|\n";
  // Progress: k/N trainings done, with an ETA from the time so far.
  const int total = static_cast<int>(o.train_sizes.size()) * o.seeds;
  int done = 0;
  const auto start = std::chrono::steady_clock::now();
  for (int size : o.train_sizes) {
    EDGENAS_THROW_IF_NOT_FMT(size >= 10 && static_cast<size_t>(size) < all.size(),
                             "training size {} must be between 10 and {}", size, all.size() - 1);
    std::vector<double> tau, ridge_tau, rmse, ridge_rmse, rho, top, ridge_top;
    for (int seed = 1; seed <= o.seeds; ++seed) {
      ++done;
      std::vector<size_t> picked, rest;
      SplitIndices(all.size(), size, seed, &picked, &rest);
      MlpTrainingOptions training = o.training;
      training.seed = seed;
      const TrainedPredictor trained = TrainPredictor(space, encoding, all.Subset(picked), training, "");
      const AccuracyPredictor predictor(space, encoding, trained.members, trained.info.accuracy_offset,
                                        trained.info.accuracy_scale);
      const PredictorEvaluation e = EvaluatePredictor(predictor, &*trained.info.ridge_baseline, all.Subset(rest));
      tau.push_back(e.mlp_metrics.kendall_tau);
      ridge_tau.push_back(e.ridge_metrics->kendall_tau);
      rmse.push_back(e.mlp_metrics.rmse);
      ridge_rmse.push_back(e.ridge_metrics->rmse);
      rho.push_back(e.mlp_metrics.spearman_rho);
      top.push_back(e.mlp_metrics.true_top20_in_predicted_top1);
      ridge_top.push_back(e.ridge_metrics->true_top20_in_predicted_top1);
      const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      fmt::print(stderr,
                 "[{}/{}] {} networks, seed {}: MLP tau {:.4f} RMSE {:.3f}; ridge tau {:.4f} RMSE {:.3f}; epochs {} "
                 "| {:.0f} s, ETA {:.0f} s\n",
                 done, total, size, seed, tau.back(), rmse.back(), ridge_tau.back(), ridge_rmse.back(),
                 fmt::join(trained.info.training->epochs, ","), elapsed, elapsed / done * (total - done));
    }
    const auto cell = [](const std::vector<double>& v, int digits) {
      const Summary s = Summarize(v);
      return fmt::format("{:.{}f} ± {:.{}f}", s.mean, digits, s.deviation, digits);
    };
    table += fmt::format("| {} | {} | {} | {} | {} | {} | {} | {} |\n", size, cell(tau, 4), cell(ridge_tau, 4),
                         cell(rmse, 3), cell(ridge_rmse, 3), cell(rho, 4), cell(top, 1), cell(ridge_top, 1));
  }
  const std::string report =
      fmt::format("Space {}, data {} ({} distinct networks), {} seeds per size; each run tests on every network it "
                  "did not train on. MLP {} (x{} ensemble).\n\n{}",
                  space.name(), o.data, all.size(), o.seeds, fmt::join(o.training.hidden, "x"), o.training.members,
                  table);
  std::cout << report;
  if (!o.out.empty()) WriteFileAtomically(o.out, report);
}

}  // namespace

void AddPredictorTrainCommands(CLI::App& app) {
  CLI::App* predictor = app.add_subcommand("predictor", "Accuracy predictors (the commands that train)");
  predictor->require_subcommand(1);

  auto t = std::make_shared<TrainOptions>();
  CLI::App* train = predictor->add_subcommand("train", TorchCommandDescription("predictor", "train"));
  train->add_option("--space,-s", t->space, "Space name or file")->required();
  train->add_option("--data", t->data, "CSV with columns arch,accuracy (percent)")->required();
  train->add_option("--out,-o", t->out, "Predictor folder to write")->required();
  train->add_option("--networks,-n", t->networks,
                    "Train on this many random networks of the data and write the rest to <out>/held_out.csv "
                    "(default: all)");
  train->add_option("--seed", t->training.seed, "Seeds the split, initialisation and minibatches")->capture_default_str()
      ->check(NonNegativeIntegerValidator());
  train->add_option("--encoding", t->encoding, "one_hot or ofa_mbv3 (default: ofa_mbv3 for OFA spaces)")
      ->check(CLI::IsMember({"one_hot", "ofa_mbv3"}));
  train->add_flag("--replace", t->replace, "Overwrite an existing predictor folder");
  AddTrainingOptions(train, &t->training);
  train->callback([t] { Train(*t); });

  auto s = std::make_shared<StudyOptions>();
  CLI::App* study = predictor->add_subcommand("study", TorchCommandDescription("predictor", "study"));
  study->add_option("--space,-s", s->space, "Space name or file")->required();
  study->add_option("--data", s->data, "CSV with columns arch,accuracy (percent)")->required();
  study->add_option("--train-sizes", s->train_sizes, "Training set sizes")->delimiter(',')->capture_default_str();
  study->add_option("--seeds", s->seeds, "Seeds per size (1..N)")->capture_default_str()->check(CLI::Range(1, 100));
  study->add_option("--out,-o", s->out, "Also write the Markdown table here");
  AddTrainingOptions(study, &s->training);
  study->callback([s] { Study(*s); });
}

}  // namespace edgenas
