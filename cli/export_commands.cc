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
#include "space/space_loader.h"

#include <nlohmann/json.hpp>

namespace edgenas {

namespace {

struct ExportCommandOptions {
  ExportOptions exporter;
  DataSource source;
};

void Export(ExportCommandOptions& o) {
  const std::string metrics_path = o.exporter.weights_folder + "/metrics.json";
  EDGENAS_THROW_IF_NOT_FMT(PathExists(metrics_path), "{}: no metrics.json; --weights takes a folder `edgenas train` "
                           "finished", o.exporter.weights_folder);
  const nlohmann::json metrics = nlohmann::json::parse(ReadFile(metrics_path));
  const SearchSpace space = LoadSpace(metrics.at("space").get<std::string>());
  o.exporter.arch_json =
      DescribeNetworkJson(space, space.Parse(metrics.at("arch").get<std::string>()), {}).dump(2) + "\n";
  ImageDataset train, test;
  o.source.Load(&train, &test);
  const ExportReport r = ExportNetwork(o.exporter, train, test, [](const std::string& line) {
    fmt::print(stderr, "{}\n", line);
  });
  fmt::print("{}\n", ReadFile(o.exporter.out_folder + "/report.md"));
  fmt::print("written: {}/{{model_fp32.onnx, model_int8.onnx, arch.json, report.json, report.md}}\n",
             o.exporter.out_folder);
  (void)r;
}

}  // namespace

void AddExportCommand(CLI::App& app) {
  auto o = std::make_shared<ExportCommandOptions>();
  CLI::App* command = app.add_subcommand("export", TorchCommandDescription("export", ""));
  command->add_option("-w,--weights", o->exporter.weights_folder, "A folder `edgenas train` finished")->required();
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
  command->add_option("--threads", o->exporter.threads, "ONNX Runtime intra-op threads for the latency")
      ->capture_default_str()
      ->check(CLI::Range(1, 1024));
  command->add_option("--timing-runs", o->exporter.timing_runs, "Batch-1 runs timed per model")
      ->capture_default_str()
      ->check(CLI::Range(1, 1000000));
  command->callback([o] { Export(*o); });
}

}  // namespace edgenas
