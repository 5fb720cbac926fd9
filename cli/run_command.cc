// `edgenas run RECIPE`: the whole job in one command. The search, then the
// recipe's export section: train the chosen network, calibrate and quantize
// it, write ONNX, verify it in ONNX Runtime. Each stage keeps what it
// finished, so a re-run (after Ctrl-C, or a crash) goes on at the first
// unfinished stage: the search resumes from its checkpoint, training from
// its last epoch, and a finished export is shown again.
#include <fmt/format.h>

#include <torch/version.h>

#include <chrono>
#include <ctime>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <thread>
#include <tuple>
#include <vector>

#include "cli/commands.h"
#include "cli/export_command.h"
#include "cli/torch_commands.h"
#include "common/error.h"
#include "common/file_util.h"
#include "cli/training_progress.h"
#include "job/job_report.h"
#include "profiler/measure_common.h"
#include "runtime/onnx_runtime.h"
#include "job/recipe.h"

namespace edgenas {

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

struct RunCommandOptions {
  SearchCommandOptions search;
  ExportCommandOptions exporter;
};

std::string UtcNow() {
  const std::time_t now = std::time(nullptr);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%d %H:%M:%S UTC", std::gmtime(&now));
  return text;
}

// <job>/run.json: how this run went, for the report page. A stage kept from
// an earlier run keeps the time that run measured.
void WriteRunFacts(const std::string& folder, const Recipe& recipe, const RunCommandOptions& o,
                   const std::vector<std::tuple<std::string, double, bool>>& stages, double total_seconds,
                   const std::string& started) {
  const std::string path = (fs::path(folder) / "run.json").string();
  nlohmann::json earlier;
  if (PathExists(path)) earlier = nlohmann::json::parse(ReadFile(path), nullptr, /*allow_exceptions=*/false);
  nlohmann::json run;
  run["recipe"] = recipe.path;
  run["recipe_text"] = ReadFile(recipe.path);
  for (size_t k = 0; k < stages.size(); ++k) {
    const auto& [name, seconds, kept] = stages[k];
    double shown = seconds;
    if (kept && earlier.is_object() && earlier.contains("stages") && k < earlier["stages"].size() &&
        earlier["stages"][k].value("stage", "") == name) {
      shown = earlier["stages"][k].value("seconds", seconds);
    }
    run["stages"].push_back({{"stage", name}, {"seconds", shown}, {"kept", kept}});
  }
  run["total_seconds"] = total_seconds;
  run["threads"] = o.search.threads > 0 ? o.search.threads : MachineThreads();  // the search's; training's are in its metrics.json
  run["cores"] = static_cast<int>(std::thread::hardware_concurrency());
  run["cpu"] = CpuModel();
  run["started_utc"] = started;
  run["versions"] = fmt::format("edgenas {}, LibTorch {}, {}", EDGENAS_VERSION, TORCH_VERSION, OnnxRuntimeVersion());
  WriteFileAtomically(path, run.dump(2) + "\n");
}

void Run(RunCommandOptions& o) {
  const auto start = Clock::now();
  const std::string started = UtcNow();
  const Recipe recipe = LoadRecipe(o.search.recipe);
  EDGENAS_THROW_IF_NOT_FMT(recipe.export_settings.has_value(),
                           "{}: `edgenas run` needs an export: section (how to train and quantize the chosen "
                           "network); `edgenas search` runs a recipe without one",
                           recipe.path);
  const std::string folder = o.search.output.empty() ? recipe.output_dir : o.search.output;

  fmt::print(stderr, "== 1/3 search: {} ({})\n", recipe.path, folder);
  const auto search_start = Clock::now();
  const bool search_kept = PathExists(fs::path(folder) / "summary.json");
  if (search_kept) {
    fmt::print(stderr, "{}/summary.json: the search finished before; kept (delete the folder to run the job anew)\n",
               folder);
  } else {
    SearchCommandOptions search = o.search;
    search.output = folder;
    search.name_next_command = false;
    if (PathExists(fs::path(folder) / "checkpoint.json")) {  // an interrupted search goes on
      search.resume = folder;
      search.recipe.clear();
      fmt::print(stderr, "resuming the interrupted search in {}\n", folder);
    }
    RunSearchCommand(search);
  }
  const double search_seconds = SecondsSince(search_start);

  fmt::print(stderr, "== 2/3 train ({}/train{}), then 3/3 calibrate, quantize, export, verify ({}/export)\n", folder,
             recipe.export_settings->teacher.empty() ? "" : fmt::format(", after the teacher in {}/teacher", folder),
             folder);
  o.exporter.job_folder = folder;
  o.exporter.print_report = false;  // the job's table below says it all
  const ExportJobTimes times = ExportJob(o.exporter);
  const double total_seconds = SecondsSince(start);
  std::vector<std::tuple<std::string, double, bool>> stages = {{"search", search_seconds, search_kept}};
  if (!recipe.export_settings->teacher.empty()) {
    stages.emplace_back("teacher training", times.teacher_seconds, times.teacher_kept);
  }
  stages.emplace_back("training", times.train_seconds, times.train_kept);
  stages.emplace_back("calibrate, quantize, export, verify", times.export_seconds, times.export_kept);
  WriteRunFacts(folder, recipe, o, stages, total_seconds, started);
  WriteJobReport(folder);
  fmt::print("\n{}\n", JobResultTable(folder));
  std::string stage_times;
  for (const auto& [name, seconds, kept] : stages) {
    stage_times += fmt::format("{}{} {}", stage_times.empty() ? "" : ", ", name, kept ? "kept" : fmt::format("{:.0f} s", seconds));
  }
  fmt::print("job {} in {:.0f} s: {}\n", recipe.job, total_seconds, stage_times);
}

}  // namespace

void AddRunCommand(CLI::App& app) {
  auto o = std::make_shared<RunCommandOptions>();
  CLI::App* command = app.add_subcommand("run", TorchCommandDescription("run", ""));
  command->add_option("recipe", o->search.recipe, "The recipe YAML file, with an export: section")->required();
  command->add_option("--output,-o", o->search.output, "Results folder (default: the recipe's 'output', else results/<job>)");
  command->add_option("--threads", o->search.threads, "Threads for scoring (default: all cores)")
      ->check(CLI::Range(1, 1024));
  o->exporter.source.AddOptions(command);
  command->callback([o] { Run(*o); });
}

}  // namespace edgenas
