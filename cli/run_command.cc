// `edgenas run RECIPE`: the whole job in one command. The search, then the
// recipe's export section: train the chosen network, calibrate and quantize
// it, write ONNX, verify it in ONNX Runtime. Each stage keeps what it
// finished, so a re-run (after Ctrl-C, or a crash) goes on at the first
// unfinished stage: the search resumes from its checkpoint, training from
// its last epoch, and a finished export is shown again.
#include <fmt/format.h>

#include <chrono>
#include <filesystem>
#include <memory>

#include "cli/commands.h"
#include "cli/export_command.h"
#include "cli/torch_commands.h"
#include "common/error.h"
#include "common/file_util.h"
#include "job/recipe.h"

namespace edgenas {

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

struct RunCommandOptions {
  SearchCommandOptions search;
  ExportCommandOptions exporter;
};

double SecondsSince(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

void Run(RunCommandOptions& o) {
  const auto start = Clock::now();
  const Recipe recipe = LoadRecipe(o.search.recipe);
  EDGENAS_THROW_IF_NOT_FMT(recipe.export_settings.has_value(),
                           "{}: `edgenas run` needs an export: section (how to train and quantize the chosen "
                           "network); `edgenas search` runs a recipe without one",
                           recipe.path);
  const std::string folder = o.search.output.empty() ? recipe.output_dir : o.search.output;

  fmt::print(stderr, "== 1/2 search: {} ({})\n", recipe.path, folder);
  const auto search_start = Clock::now();
  if (PathExists(fs::path(folder) / "summary.json")) {
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

  fmt::print(stderr, "== 2/2 train, calibrate, quantize, export, verify ({}/train, {}/export)\n", folder, folder);
  const auto export_start = Clock::now();
  o.exporter.job_folder = folder;
  ExportJob(o.exporter);
  fmt::print("job {} in {:.0f} s: search {:.0f} s, train and export {:.0f} s (stages finished before are not timed "
             "again)\n",
             recipe.job, SecondsSince(start), search_seconds, SecondsSince(export_start));
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
