// edgenas-torch: the commands that build or train networks in LibTorch. `edgenas` hands
// these commands over to this executable, so that its other commands never pay
// for loading LibTorch (docs/architecture.md). Same exit codes as edgenas.
#include <fmt/format.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <filesystem>
#include <memory>

#include "cli/commands.h"
#include "cli/torch_commands.h"
#include "common/error.h"
#include "common/file_util.h"
#include "cost/hardware_profile.h"
#include "profiler/profile_measure.h"

namespace edgenas {
namespace {

void AddTimerOptions(CLI::App* command, TimerOptions* timer) {
  command->add_option("--warmup", timer->warmup_runs, "Untimed runs before timing")
      ->capture_default_str()
      ->check(CLI::Range(0, 1000000));
  command->add_option("--min-runs", timer->min_runs, "Timed runs at least")
      ->capture_default_str()
      ->check(CLI::Range(1, 5000));
  command->add_option("--min-time-ms", timer->min_time_ms, "Timed work at least, in ms")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 1e9));
  command->add_option("--flush-cache", timer->flush_cache, "Evict the CPU caches before each timed run (true/false)")
      ->capture_default_str();
}

void Measure(const MeasureOptions& o) {
  const std::filesystem::path folder = std::filesystem::path(o.out_root) / o.device;
  EDGENAS_THROW_IF_NOT_FMT(o.replace || o.resume || !PathExists(folder / "profile.yaml"),
                           "{} already holds a profile; pass --resume to complete it or --replace to measure anew",
                           folder.string());
  EDGENAS_THROW_IF_NOT_FMT(o.replace || o.resume || !PathExists(folder / "tables"),
                           "{} holds an interrupted measurement; pass --resume to continue it or --replace to start "
                           "over",
                           folder.string());
  const bool terminal = isatty(fileno(stderr));
  const MeasureSummary s = MeasureProfile(o, [&](const MeasureProgress& p) {
    const std::string line = fmt::format("[{:>4}/{}] {:>9.4f} ms  ETA {:>4.0f} s  {}", p.done, p.total, p.ms,
                                         p.eta_seconds, p.key);
    if (terminal) {
      fmt::print(stderr, "\r\033[K{}", line.substr(0, 150));
    } else if (p.done % 25 == 0 || p.done == p.total) {
      fmt::print(stderr, "{}\n", line);
    }
  });
  if (terminal) fmt::print(stderr, "\n");
  if (s.blas.find("OpenBLAS") == std::string::npos) {
    fmt::print(stderr, "warning: LibTorch runs on BLAS '{}', not OpenBLAS; 1x1 convs and linear layers are 10-27x "
                       "slower on the reference BLAS. Install libopenblas0-pthread.\n", s.blas);
  }
  fmt::print("{}: {} layers timed, {} kept from before, in {:.1f} s (BLAS: {})\n", s.folder, s.layers_timed,
             s.layers_reused, s.seconds, s.blas);
}

struct ValidateOptions {
  std::string device;
  std::string space;
  int count = 100;
  uint64_t seed = 1;
  std::string svg;
  bool interpolate_missing = false;
  TimerOptions timer;
};

void Validate(const ValidateOptions& o) {
  const std::string folder = ProfileFolder(o.device);
  const bool terminal = isatty(fileno(stderr));
  const ValidationReport r = ValidateProfile(folder, o.space, o.count, o.seed, o.timer, o.interpolate_missing, [&](int done, int total) {
    if (terminal) fmt::print(stderr, "\r\033[Ktiming network {}/{}", done, total);
  });
  if (terminal) fmt::print(stderr, "\n");
  if (r.estimated_entries > 0) {
    fmt::print("{} table entries estimated from neighbours in channel count\n", r.estimated_entries);
  }
  fmt::print("{} networks of {} on {}: mean |error| {:.2f}%, {:.1f}% within ±5%, {:.1f}% within ±10%\n",
             r.networks.size(), o.space, o.device, r.mean_abs_percent_error, 100 * r.share_within_5_percent,
             100 * r.share_within_10_percent);
  std::vector<ValidationReport::Network> worst = r.networks;
  std::sort(worst.begin(), worst.end(),
            [](const auto& a, const auto& b) { return std::abs(a.error_percent()) > std::abs(b.error_percent()); });
  fmt::print("worst:\n");
  for (size_t i = 0; i < std::min<size_t>(5, worst.size()); ++i) {
    fmt::print("  {:+7.2f}%  predicted {:8.3f} ms  measured {:8.3f} ms  {}\n", worst[i].error_percent(),
               worst[i].predicted_ms, worst[i].measured_ms, worst[i].arch);
  }
  if (!o.svg.empty()) {
    WriteFileAtomically(o.svg, ValidationSvg(r, fmt::format("{} on {}: predicted vs measured latency", o.space, o.device)));
    fmt::print("plot: {}\n", o.svg);
  }
}

}  // namespace
}  // namespace edgenas

int main(int argc, char** argv) {
  using namespace edgenas;
  CLI::App app{"edgenas-torch: the edgenas commands that build networks in LibTorch (run them through edgenas)"};
  app.require_subcommand(1);
  CLI::App* profile = app.add_subcommand("profile", "Hardware profiles measured on this machine");
  profile->require_subcommand(1);

  auto m = std::make_shared<MeasureOptions>();
  CLI::App* measure = profile->add_subcommand("measure", TorchCommandDescription("profile", "measure"));
  measure->add_option("--space,-s", m->spaces, "Space(s) to cover (repeatable)")->required();
  measure->add_option("--resolution,-r", m->resolutions,
                      "Resolutions to measure, for spaces with several (repeatable; default: all)");
  measure->add_option("--device", m->device, "Name of the profile (its folder)")->required()->check(DeviceNameValidator());
  measure->add_option("--threads", m->threads, "LibTorch threads while timing")
      ->capture_default_str()
      ->check(CLI::Range(1, 1024));
  measure->add_option("--calibration-networks", m->calibration_networks,
                      "Whole networks timed per space to fit the scale and per-network constant (0, or 3 and more)")
      ->capture_default_str()
      ->check([](const std::string& value) {
        return value == "0" || value == "1" || value == "2" ? "must be 0 or at least 3" : "";
      })
      ->check(NonNegativeIntegerValidator());
  measure->add_option("--seed", m->seed, "Picks the calibration networks")->capture_default_str()
      ->check(NonNegativeIntegerValidator());
  AddProfileOutputOptions(measure, &m->out_root, &m->replace);
  measure->add_flag("--resume", m->resume, "Keep the layers an interrupted run already timed");
  AddTimerOptions(measure, &m->timer);
  measure->callback([m] { Measure(*m); });

  auto v = std::make_shared<ValidateOptions>();
  CLI::App* validate = profile->add_subcommand("validate", TorchCommandDescription("profile", "validate"));
  validate->add_option("--device", v->device, "Profile name in hw_profiles/, or a profile folder")->required();
  validate->add_option("--space,-s", v->space, "Space to sample from")->required();
  validate->add_option("-n,--count", v->count, "Networks to time")->capture_default_str();
  validate->add_option("--seed", v->seed, "Picks the networks")->capture_default_str()
      ->check(NonNegativeIntegerValidator());
  validate->add_option("--svg", v->svg, "Write a predicted-vs-measured scatter plot here");
  validate->add_flag("--interpolate-missing", v->interpolate_missing,
                     "Estimate keys the profile lacks from their neighbours in channel count (to test that estimate)");
  AddTimerOptions(validate, &v->timer);
  validate->callback([v] { Validate(*v); });

  AddPredictorTrainCommands(app);
  AddTrainCommands(app);
  AddExportCommand(app);
  return edgenas::RunApp(app, argc, argv);
}
