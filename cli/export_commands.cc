// edgenas export: a trained network as fp32 and int8 ONNX, checked in ONNX
// Runtime (run by edgenas-torch). Either a network trained by `edgenas
// train` (--weights), or a finished search's chosen network (a results
// folder), trained and quantized as its recipe's `export:` section says.
#include <fmt/format.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>

#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/data_source.h"
#include "cli/export_command.h"
#include "cli/network_report.h"
#include "cli/torch_commands.h"
#include "cli/training_progress.h"
#include "common/file_util.h"
#include "export/network_export.h"
#include "export/ofa_net_config.h"
#include "cost/hardware_profile.h"
#include "job/job_report.h"
#include "job/recipe.h"
#include "profiler/onnx_runtime_profile.h"
#include "space/space_loader.h"
#include "train/dataset_generation.h"

namespace edgenas {

namespace {

namespace fs = std::filesystem;

using Clock = std::chrono::steady_clock;

// `train` and `test` are loaded already for a trained network (null for --weights none).
void RunExport(ExportOptions& e, const ImageDataset* train, const ImageDataset* test, bool print_report = true) {
  e.describe_network = [](const SearchSpace& space, const Genome& genome) {
    nlohmann::json description = DescribeNetworkJson(space, genome, {});
    // Once-for-All's Python code builds the network from this (docs/export.md).
    if (space.has_ofa_json()) description["ofa_net_config"] = OfaNetConfig(space.Decode(genome));
    return description.dump(2) + "\n";
  };
  const auto start = Clock::now();  // each step's line says how long the export has run
  // Ctrl-C stops the export at its next step (a progress line; every few
  // seconds in QAT): the exception unwinds ExportNetwork, whose staging folder
  // is removed, so nothing half-written is left.
  const StopOnSignals signals;
  const std::string stopped = "stopped during the export; nothing of it was written (a finished training is kept): "
                              "run the same command again to export";
  try {
    ExportNetwork(e, train, test, [start, &stopped](const std::string& line) {
      if (StopOnSignals::received() != 0) throw Interrupted(stopped);
      fmt::print(stderr, "[export {:.1f} s] {}\n", SecondsSince(start), line);
    });
  } catch (const Error&) {
    if (StopOnSignals::received() != 0) throw Interrupted(stopped);  // ONNX Runtime's process got the Ctrl-C too
    throw;
  }
  if (print_report) fmt::print("{}\n", ReadFile(e.out_folder + "/report.md"));
  fmt::print("written: {}/{{model_fp32.onnx, {}arch.json, report.json, report.md}}\n", e.out_folder,
             e.int8 ? "model_int8.onnx, " : "");
}

// What a finished search left in `folder`: its summary and the recipe it ran.
struct FinishedSearch {
  nlohmann::json summary;
  ExportSettings settings;
  bool recipe_has_export = false;
};

FinishedSearch ReadFinishedSearch(const std::string& folder) {
  const std::string summary_path = folder + "/summary.json";
  EDGENAS_THROW_IF_NOT_FMT(PathExists(summary_path), "{}: not a finished search (no summary.json)", folder);
  FinishedSearch f;
  f.summary = nlohmann::json::parse(ReadFile(summary_path));
  const std::string recipe_path = f.summary.at("recipe").get<std::string>();
  EDGENAS_THROW_IF_NOT_FMT(PathExists(recipe_path),
                           "{} names the recipe {}, which is not there: run from the folder the search ran in",
                           summary_path, recipe_path);
  const Recipe recipe = LoadRecipe(recipe_path);
  f.recipe_has_export = recipe.export_settings.has_value();
  if (f.recipe_has_export) f.settings = *recipe.export_settings;
  return f;
}

}  // namespace

namespace {

// Trains `arch` into `folder` for the recipe's epochs, distilled from the
// network in `teacher_folder` if given; an interrupted training resumes, a
// finished one is kept. Returns the seconds it took, or nullopt if kept.
std::optional<double> TrainStage(const std::string& what, const SearchSpace& space, const std::string& arch,
                                 const ExportSettings& settings, const std::string& teacher_folder,
                                 const std::string& folder, const DataSource& source, const ImageDataset& train,
                                 const ImageDataset& test) {
  if (PathExists(folder + "/metrics.json")) {
    fmt::print(stderr, "{} holds this job's finished training of {}; kept\n", folder, what);
    return std::nullopt;
  }
  const auto start = Clock::now();
  ClassifierTrainingOptions training;
  // One epoch is the schedule the shipped accuracy datasets were measured
  // with (one_pass, seed 0), so the accuracy achieved is comparable with what
  // the predictor learned (without a teacher: the datasets' networks had none).
  if (settings.epochs == 1) {
    DatasetSchedule("one_pass", &training.schedule);
  } else {
    training.schedule.epochs = settings.epochs;
  }
  training.teacher.folder = teacher_folder;
  training.threads = MachineThreads();
  training.out_folder = folder;
  training.resume = PathExists(folder + "/checkpoint.pt");
  fmt::print(stderr, "{} {}, {}, for {} epoch(s) on {}{} into {}\n", training.resume ? "resuming training of" : "training",
             what, arch, settings.epochs, source.Name(),
             teacher_folder.empty() ? "" : ", distilled from " + teacher_folder, folder);
  const bool terminal = isatty(fileno(stderr));
  const StopOnSignals signals;
  training.stop_requested = [] { return StopOnSignals::received() != 0; };
  const ClassifierMetrics m = TrainClassifier(space, space.Parse(arch), train, test, training,
                                              [terminal](const TrainingProgress& p) { PrintTrainingProgress(p, terminal); });
  if (m.interrupted) {
    throw Interrupted(fmt::format("stopped after epoch {} of {} of {}; run the same command again to go on",
                                  m.train_loss.size(), settings.epochs, what));
  }
  return SecondsSince(start);
}

}  // namespace

ExportJobTimes ExportJob(ExportCommandOptions& o) {
  const std::string& folder = o.job_folder;
  ExportJobTimes times;
  const FinishedSearch search = ReadFinishedSearch(folder);
  const ExportSettings& settings = search.settings;
  if (!search.recipe_has_export) {
    fmt::print(stderr, "the recipe has no export: section; using its defaults ({} epochs, {})\n", settings.epochs,
               QuantizationToString(settings.quantization));
  }
  ExportOptions& e = o.exporter;
  e.space = search.summary.at("space").get<std::string>();
  e.arch = search.summary.at("best").at("arch").get<std::string>();
  for (const auto& [metric, figure] : search.summary.at("best").at("metrics").items()) {
    e.predicted.push_back({metric, figure.at("value").get<double>(), figure.at("unit").get<std::string>()});
  }
  // A device profile measured in ONNX Runtime has a reference network: timed
  // beside the models, it puts their latencies at the profile's speed.
  const FreshFolder scratch((fs::temp_directory_path() / "edgenas-reference-").string());
  for (const ExportOptions::Prediction& p : e.predicted) {
    const size_t at = p.metric.find('@');
    if (at == std::string::npos || e.speed_reference) continue;
    const std::string device = p.metric.substr(at + 1);
    e.speed_reference = WriteSpeedReference(ProfileFolder(device), device, scratch.path() + "/reference.onnx");
  }
  e.int8 = settings.quantization != Quantization::kNone;
  if (settings.quantization == Quantization::kInt8Qat && e.qat_epochs == 0) e.qat_epochs = 1;
  if (e.out_folder.empty()) e.out_folder = folder + "/export";
  if (PathExists(e.out_folder + "/report.md")) {
    if (o.print_report) fmt::print("{}\n", ReadFile(e.out_folder + "/report.md"));
    fmt::print("{} holds this job's export already; remove it to export again\n", e.out_folder);
    times.teacher_kept = times.train_kept = times.export_kept = true;
    return times;
  }

  e.untrained = settings.epochs == 0;
  ImageDataset train, test;  // loaded once, for training and export
  if (!e.untrained) {
    o.source.Load(&train, &test);
    const SearchSpace space = LoadSpace(e.space);
    std::string teacher_folder;
    if (!settings.teacher.empty()) {
      teacher_folder = folder + "/teacher";
      const std::optional<double> seconds =
          TrainStage("the teacher", space, settings.teacher, settings, "", teacher_folder, o.source, train, test);
      times.teacher_seconds = seconds.value_or(0);
      times.teacher_kept = !seconds;
    }
    e.weights_folder = folder + "/train";
    const std::optional<double> seconds =
        TrainStage("the chosen network", space, e.arch, settings, teacher_folder, e.weights_folder, o.source, train, test);
    times.train_seconds = seconds.value_or(0);
    times.train_kept = !seconds;
  }
  const auto export_start = Clock::now();
  RunExport(e, e.untrained ? nullptr : &train, e.untrained ? nullptr : &test, o.print_report);
  times.export_seconds = SecondsSince(export_start);
  return times;
}

namespace {

void Export(ExportCommandOptions& o) {
  ExportOptions& e = o.exporter;
  if (!o.job_folder.empty()) {
    EDGENAS_THROW_IF_NOT_FMT(e.weights_folder.empty() && e.space.empty() && e.arch.empty(),
                             "a results folder names its network and weights: give it without --weights, --space "
                             "or --arch");
    ExportJob(o);
    WriteJobReport(o.job_folder);  // the page now with the export (`run` writes it after its run.json)
    return;
  }
  EDGENAS_THROW_IF_NOT_FMT(!e.weights_folder.empty(), "give a results folder, or --weights (a training folder or none)");
  EDGENAS_THROW_IF_NOT_FMT(!e.out_folder.empty(), "--out is required with --weights");
  e.untrained = e.weights_folder == "none";
  if (e.untrained) {
    e.weights_folder.clear();
    RunExport(e, nullptr, nullptr);
    return;
  }
  ImageDataset train, test;
  o.source.Load(&train, &test);
  RunExport(e, &train, &test);
}

}  // namespace

void AddExportCommand(CLI::App& app) {
  auto o = std::make_shared<ExportCommandOptions>();
  CLI::App* command = app.add_subcommand("export", TorchCommandDescription("export", ""));
  command->add_option("results", o->job_folder,
                      "A finished search's folder (results/<job>): train its chosen network as the recipe's export: "
                      "section says, then export it into <folder>/export");
  command->add_option("-w,--weights", o->exporter.weights_folder,
                      "A folder `edgenas train` finished; or none: a fresh initialisation of --space/--arch, for timing");
  command->add_option("-s,--space", o->exporter.space, "Space (with --weights none; else checked against the weights)");
  command->add_option("-a,--arch", o->exporter.arch, "Arch string (with --weights none; else checked)");
  command->add_option("-o,--out", o->exporter.out_folder,
                      "Folder to create for the models and report (default with a results folder: <folder>/export)");
  o->source.AddOptions(command);
  command->add_option("--calibration-images", o->exporter.calibration_images, "Training images that set the int8 ranges")
      ->capture_default_str()
      ->check(CLI::Range(1, 1000000));
  command->add_option("--percentile", o->exporter.calibration_percentile,
                      "Activation ranges from the (100-p)th to the pth percentile (0: min to max)")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 100.0));
  command->add_flag("!--per-tensor-weights", o->exporter.per_channel_weights,
                    "One scale per weight tensor instead of per output channel (for comparison)");
  command->add_option("--qat", o->exporter.qat_epochs,
                      "Epochs of quantization-aware training after calibration (0: post-training quantization only; "
                      "a recipe's int8_qat: 1)")
      ->capture_default_str()
      ->check(CLI::Range(0, 1000));
  command->add_option("--qat-lr", o->exporter.qat_learning_rate, "Peak learning rate of QAT (cosine to 0)")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  command->add_option("--threads", o->exporter.threads, "ONNX Runtime intra-op threads for the latency")
      ->capture_default_str()
      ->check(CLI::Range(1, 1024));
  command->add_option("--timing-runs", o->exporter.timing_runs, "Batch-1 runs timed per model in each of 5 rounds")
      ->capture_default_str()
      ->check(CLI::Range(1, 1000000));
  command->callback([o] { Export(*o); });
}

}  // namespace edgenas
