// Each group of `edgenas` subcommands registers itself on the CLI11 app. A
// command's callback runs during app.parse() and reports bad input by
// throwing edgenas::Error (main prints it and exits 2).
#pragma once

#include <signal.h>

#include <CLI/CLI.hpp>
#include <stdexcept>
#include <string>

namespace edgenas {

// Parses and runs `app`: exit 0 on success, 2 on bad input (usage, or an
// edgenas::Error, printed on one line), 130 when a command stopped on Ctrl-C
// or SIGTERM (Interrupted), 1 on anything unexpected.
int RunApp(CLI::App& app, int argc, char** argv);

// Thrown by a command that stopped cleanly on a signal; `what` says how to go on.
class Interrupted : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Catches SIGINT and SIGTERM while it lives, so that a long command can stop
// at its next safe point (after a generation, an epoch) and save its state;
// the previous handlers come back after. A second signal ends the process as
// usual.
class StopOnSignals {
 public:
  StopOnSignals();
  ~StopOnSignals();
  StopOnSignals(const StopOnSignals&) = delete;
  StopOnSignals& operator=(const StopOnSignals&) = delete;
  // The first signal caught since construction (SIGINT or SIGTERM), or 0.
  static int received();

 private:
  struct sigaction old_int_ {}, old_term_ {};
};

// Checks a --device flag that names a new profile's folder (IsSafeName).
CLI::Validator DeviceNameValidator();
// Checks a flag that takes a whole number 0 or more (seeds, counts), saying so
// in words (CLI11's NonNegativeNumber prints its range as a 300-digit float).
CLI::Validator NonNegativeIntegerValidator();

// --out (default <DataRoot()>/hw_profiles) and --replace, for the commands that write a profile.
void AddProfileOutputOptions(CLI::App* command, std::string* out_root, bool* replace);

void AddSpaceCommands(CLI::App& app);   // spaces, space show, arch describe, arch sample
void AddRecipeCommands(CLI::App& app);   // recipe check
void AddProfileCommands(CLI::App& app);  // profile list, import, fit
void AddPredictorCommands(CLI::App& app);       // predictor list, predict, eval, import, import-nas-bench-macro
void AddPredictorTrainCommands(CLI::App& app);  // predictor train, study (edgenas-torch)
void AddTrainCommands(CLI::App& app);           // train (edgenas-torch)
void AddExportCommand(CLI::App& app);           // export (edgenas-torch)
void AddSearchCommands(CLI::App& app);          // search, report
void AddRunCommand(CLI::App& app);              // run (edgenas-torch): search, then the recipe's export

struct SearchCommandOptions {
  std::string recipe;
  std::string resume;  // a results folder whose interrupted run to continue
  std::string output;
  int threads = 0;  // 0: all cores
  int checkpoint_every = 50;
  bool quiet = false;
  bool force = false;
  bool name_next_command = true;  // say how to run the recipe's export section after
};
// `edgenas search`: runs (or resumes) a recipe and writes its results folder,
// which it returns. Throws Interrupted on Ctrl-C (the state is saved).
std::string RunSearchCommand(const SearchCommandOptions& o);

}  // namespace edgenas
