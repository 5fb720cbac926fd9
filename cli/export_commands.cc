// edgenas export: a trained network as fp32 and int8 ONNX, checked in ONNX
// Runtime (run by edgenas-torch).
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <memory>

#include "cli/commands.h"
#include "cli/data_source.h"
#include "cli/network_report.h"
#include "cli/torch_commands.h"
#include "common/file_util.h"
#include "export/network_export.h"

namespace edgenas {

namespace {

struct ExportCommandOptions {
  ExportOptions exporter;
  DataSource source;
};

void Export(ExportCommandOptions& o) {
  ExportOptions& e = o.exporter;
  e.untrained = e.weights_folder == "none";
  if (e.untrained) e.weights_folder.clear();
  e.describe_network = [](const SearchSpace& space, const Genome& genome) {
    return DescribeNetworkJson(space, genome, {}).dump(2) + "\n";
  };
  ImageDataset train, test;
  if (!e.untrained) o.source.Load(&train, &test);
  ExportNetwork(e, e.untrained ? nullptr : &train, e.untrained ? nullptr : &test,
                [](const std::string& line) { fmt::print(stderr, "{}\n", line); });
  fmt::print("{}\n", ReadFile(e.out_folder + "/report.md"));
  fmt::print("written: {}/{{model_fp32.onnx, model_int8.onnx, arch.json, report.json, report.md}}\n", e.out_folder);
}

}  // namespace

void AddExportCommand(CLI::App& app) {
  auto o = std::make_shared<ExportCommandOptions>();
  CLI::App* command = app.add_subcommand("export", TorchCommandDescription("export", ""));
  command->add_option("-w,--weights", o->exporter.weights_folder,
                      "A folder `edgenas train` finished; or none: a fresh initialisation of --space/--arch, for timing")
      ->required();
  command->add_option("-s,--space", o->exporter.space, "Space (with --weights none; else checked against the weights)");
  command->add_option("-a,--arch", o->exporter.arch, "Arch string (with --weights none; else checked)");
  command->add_option("-o,--out", o->exporter.out_folder, "Folder to create for the models and report")->required();
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
                      "Epochs of quantization-aware training after calibration (0: post-training quantization only)")
      ->capture_default_str()
      ->check(CLI::Range(0, 1000));
  command->add_option("--qat-lr", o->exporter.qat_learning_rate, "Peak learning rate of QAT (cosine to 0)")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  command->add_option("--threads", o->exporter.threads, "ONNX Runtime intra-op threads for the latency")
      ->capture_default_str()
      ->check(CLI::Range(1, 1024));
  command->add_option("--timing-runs", o->exporter.timing_runs, "Batch-1 runs timed per model")
      ->capture_default_str()
      ->check(CLI::Range(1, 1000000));
  command->callback([o] { Export(*o); });
}

}  // namespace edgenas
