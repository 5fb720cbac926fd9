// `edgenas search`: run a recipe, or resume an interrupted run; `edgenas
// report`: a results folder's page again.
#include <fmt/format.h>
#include <tbb/global_control.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <memory>

#include "cli/commands.h"
#include "common/error.h"
#include "common/file_util.h"
#include "job/job_report.h"
#include "job/search_results.h"
#include "search/checkpoint.h"

namespace edgenas {

namespace fs = std::filesystem;

namespace {

// Set by SIGINT and SIGTERM; the search stops after the generation under way.
void PrintProgress(const SearchProgress& p, bool terminal) {
  const double eta = p.generation > 0 ? p.elapsed_seconds * (p.generations - p.generation) / p.generation : 0;
  const std::string line = fmt::format("[generation {}/{}] {} | {:.1f} s, ETA {:.1f} s", p.generation, p.generations,
                                       p.best, p.elapsed_seconds, eta);
  if (terminal) {
    const int width = 30;
    const int filled = p.generations > 0 ? width * p.generation / p.generations : width;
    fmt::print(stderr, "\r\033[K[{}{}] {}", std::string(filled, '#'), std::string(width - filled, '.'), line);
    if (p.generation == p.generations) fmt::print(stderr, "\n");
  } else if (p.generation == p.generations || p.generation % std::max(1, p.generations / 10) == 0) {
    fmt::print(stderr, "{}\n", line);
  }
}

}  // namespace

std::string RunSearchCommand(const SearchCommandOptions& o) {
  const bool resume = !o.resume.empty();
  EDGENAS_THROW_IF_NOT_FMT(resume != !o.recipe.empty(), "give either a recipe or --resume <results folder>, not both");
  const Job job(LoadRecipe(resume ? Checkpointer::RecipeOf(o.resume) : o.recipe));
  if (!o.quiet) {
    for (const std::string& warning : job.warnings()) fmt::print(stderr, "warning: {}\n", warning);
    if (job.recipe().export_settings && o.name_next_command) {  // not run here, and not silently
      const SourceLocation& at = job.recipe().export_settings->location;
      fmt::print(stderr,
                 "note: {}:{}:{}: `edgenas search` does not run the export section; `edgenas run` runs the search "
                 "and then it, or `edgenas export` on the results folder after this (docs/export.md)\n",
                 at.file, at.line, at.column);
    }
  }
  const std::string folder = resume ? o.resume : !o.output.empty() ? o.output : job.recipe().output_dir;
  const FolderLock lock(folder);  // one job per folder at a time
  const Checkpointer checkpointer(folder, job.recipe().path, job.recipe().fingerprint);
  if (!resume) {
    EDGENAS_THROW_IF_NOT_FMT(!checkpointer.Exists(),
                             "{} holds an unfinished run: resume it with `edgenas search --resume {}`, or delete the "
                             "folder to start again",
                             folder, folder);
    EDGENAS_THROW_IF_NOT_FMT(o.force || !PathExists(fs::path(folder) / "summary.json"),
                             "{} holds a finished job; pass --force to overwrite it, or --output another folder",
                             folder);
  }
  std::unique_ptr<tbb::global_control> threads;
  if (o.threads > 0) {
    threads = std::make_unique<tbb::global_control>(tbb::global_control::max_allowed_parallelism, o.threads);
  }
  Evaluator evaluator(job.space(), job.EvaluatorOptions());
  SearchEngine::Options options = job.SearchOptions();
  options.checkpoint_every = o.checkpoint_every;
  options.checkpoint = [&checkpointer](const SearchState& state) { checkpointer.Write(state); };
  const bool terminal = isatty(fileno(stderr));
  if (!o.quiet) options.progress = [terminal](const SearchProgress& p) { PrintProgress(p, terminal); };
  const StopOnSignals signals;
  options.stop_requested = [] { return StopOnSignals::received() != 0; };
  SearchEngine engine(job.space(), evaluator, options);
  SearchResult result;
  if (resume) {
    const SearchState state = checkpointer.Read(job.space());
    std::string error;
    EDGENAS_THROW_IF_NOT_FMT(engine.CheckState(state, &error), "{}: does not fit the recipe {}: {}",
                             checkpointer.path(), job.recipe().path, error);
    result = engine.Resume(state);
  } else {
    result = engine.Run();
  }
  if (result.interrupted) {
    if (terminal && !o.quiet) fmt::print(stderr, "\n");
    throw Interrupted(fmt::format("interrupted after generation {} ({}); the state is saved: resume with `edgenas search "
                                  "--resume {}`",
                                  result.generations, StopOnSignals::received() == SIGTERM ? "SIGTERM" : "Ctrl-C", folder));
  }
  const ResultContext context{job, evaluator, EDGENAS_VERSION};
  WriteSearchResults(context, result, folder);
  checkpointer.Remove();
  const std::string page = WriteJobReport(folder);
  if (!o.quiet) {
    std::cout << SummaryText(context, result) << "results: " << folder << "/ (on one page: " << page << ")\n";
    if (job.recipe().export_settings && o.name_next_command) {
      std::cout << "next, the recipe's export: edgenas export " << folder << "\n";
    }
  }
  return folder;
}

void AddSearchCommands(CLI::App& app) {
  auto o = std::make_shared<SearchCommandOptions>();
  CLI::App* search = app.add_subcommand(
      "search", "Run a search recipe (recipes/*.yaml); results go to results/<job>/ (docs/search.md)");
  search->add_option("recipe", o->recipe, "The recipe YAML file");
  search->add_option("--resume", o->resume, "Continue the interrupted run in this results folder");
  search->add_option("--output,-o", o->output, "Results folder (default: the recipe's 'output', else results/<job>)");
  search->add_option("--threads", o->threads, "Threads for scoring (default: all cores); results do not depend on it")
      ->check(CLI::Range(1, 1024));
  search->add_option("--checkpoint-every", o->checkpoint_every, "Save the state every N generations (0: never)")
      ->capture_default_str()
      ->check(CLI::Range(0, 1 << 30));
  search->add_flag("--quiet,-q", o->quiet, "Print nothing but errors");
  search->add_flag("--force", o->force, "Overwrite the results of a finished job in the output folder");
  search->callback([o] { RunSearchCommand(*o); });

  auto folder = std::make_shared<std::string>();
  CLI::App* report = app.add_subcommand(
      "report", "Write <results folder>/report.html again from what the job's stages left there (docs/search.md)");
  report->add_option("results", *folder, "A finished search's folder (results/<job>)")->required();
  report->callback([folder] {
    const std::string page = WriteJobReport(*folder);
    std::cout << JobResultTable(*folder) << "\n" << page << "\n";
  });
}

}  // namespace edgenas
