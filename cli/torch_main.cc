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
#include "common/text.h"
#include "profiler/measure_common.h"
#include "profiler/onnx_runtime_profile.h"
#include "profiler/profile_measure.h"

namespace edgenas {
namespace {

// Shown defaults are LibTorch's; --runtime onnxruntime uses OnnxRuntimeTimerDefaults unless given.
void AddTimerOptions(CLI::App* command, TimerOptions* timer) {
  command->add_option("--warmup", timer->warmup_runs, "Untimed runs before timing (onnxruntime: 5)")
      ->capture_default_str()
      ->check(CLI::Range(0, 1000000));
  command->add_option("--min-runs", timer->min_runs, "Timed runs at least (onnxruntime: 20)")
      ->capture_default_str()
      ->check(CLI::Range(1, 5000));
  command->add_option("--min-time-ms", timer->min_time_ms, "Timed work at least, in ms (onnxruntime: 2)")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 1e9));
  command->add_option("--flush-cache", timer->flush_cache, "Evict the CPU caches before each timed run (true/false)")
      ->capture_default_str();
}

CLI::Validator PrecisionValidator() {
  return CLI::Validator(
      [](std::string& value) -> std::string {
        Precision unused;
        return StringToPrecision(value, &unused) ? "" : "expected fp32 or int8, got '" + Printable(value, 40) + "'";
      },
      "fp32|int8");
}

// The runtime and precision flags of measure and validate, resolved after parsing.
struct RuntimeFlags {
  std::string runtime = "libtorch";
  std::vector<std::string> precisions;

  MeasureRuntime Runtime() const {
    return runtime == "onnxruntime" ? MeasureRuntime::kOnnxRuntime : MeasureRuntime::kLibTorch;
  }
  // Default: fp32 in LibTorch; both fp32 and int8 in ONNX Runtime.
  std::vector<Precision> Precisions() const {
    if (precisions.empty()) {
      return Runtime() == MeasureRuntime::kOnnxRuntime ? std::vector<Precision>{Precision::kFp32, Precision::kInt8}
                                                       : std::vector<Precision>{Precision::kFp32};
    }
    std::vector<Precision> chosen;
    for (const std::string& name : precisions) {
      Precision p;
      StringToPrecision(name, &p);
      if (std::find(chosen.begin(), chosen.end(), p) == chosen.end()) chosen.push_back(p);
    }
    return chosen;
  }
};

void AddRuntimeOptions(CLI::App* command, RuntimeFlags* flags, const char* precision_help) {
  command->add_option("--runtime", flags->runtime,
                      "libtorch: LibTorch modules; onnxruntime: the ONNX models the exporter writes, in ONNX Runtime")
      ->capture_default_str()
      ->check(CLI::IsMember({"libtorch", "onnxruntime"}));
  command->add_option("--precision", flags->precisions, precision_help)->check(PrecisionValidator());
}

// ONNX Runtime's layers take microseconds: its own timer defaults, unless given.
void UseOnnxRuntimeTimerDefaults(const CLI::App* command, TimerOptions* timer) {
  const TimerOptions defaults = OnnxRuntimeTimerDefaults();
  if (command->count("--warmup") == 0) timer->warmup_runs = defaults.warmup_runs;
  if (command->count("--min-runs") == 0) timer->min_runs = defaults.min_runs;
  if (command->count("--min-time-ms") == 0) timer->min_time_ms = defaults.min_time_ms;
  timer->max_runs = defaults.max_runs;
}

void PrintMachineLoad(const MachineLoad& load, int threads) {
  const std::string warning = load.Warning(threads);
  if (!warning.empty()) fmt::print(stderr, "{}\n", warning);
  fmt::print("machine: other processes used {:.2f} cores, steal {:.2f} cores", load.other_processes_cores,
             load.steal_cores);
  if (load.reference_timings >= 2) {
    fmt::print("; a reference network timed {} times varied by {:.1f}%", load.reference_timings,
               100 * load.reference_spread);
  }
  fmt::print("\n");
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
  MachineLoad load;
  const auto measure = [&](const auto& on_progress) {
    return o.runtime == MeasureRuntime::kOnnxRuntime ? MeasureOnnxRuntimeProfile(o, on_progress, &load)
                                                     : MeasureProfile(o, on_progress);
  };
  const MeasureSummary s = measure([&](const MeasureProgress& p) {
    const std::string line = fmt::format("[{:>4}/{}] {:>9.4f} ms  ETA {:>4.0f} s  {}", p.done, p.total, p.ms,
                                         p.eta_seconds, p.key);
    if (terminal) {
      fmt::print(stderr, "\r\033[K{}", line.substr(0, 150));
    } else if (p.done % 25 == 0 || p.done == p.total) {
      fmt::print(stderr, "{}\n", line);
    }
  });
  if (terminal) fmt::print(stderr, "\n");
  if (o.runtime == MeasureRuntime::kOnnxRuntime) {
    PrintMachineLoad(load, o.threads);
  } else if (s.blas.find("OpenBLAS") == std::string::npos) {
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
  std::string csv;
  std::string data;
  bool interpolate_missing = false;
  TimerOptions timer;
  RuntimeFlags runtime;
};

// arch,latency_ms,predicted_ms[,raw_latency_ms]: latency_ms is what `profile
// fit` reads; raw_latency_ms the ONNX Runtime timing before the drift correction.
void WriteValidationCsv(const ValidationReport& r, const std::string& path) {
  const bool raw = r.raw_measured_ms.size() == r.networks.size();
  std::string text = raw ? "arch,latency_ms,predicted_ms,raw_latency_ms\n" : "arch,latency_ms,predicted_ms\n";
  for (size_t i = 0; i < r.networks.size(); ++i) {
    const auto& n = r.networks[i];
    text += fmt::format("{},{},{}", n.arch, n.measured_ms, n.predicted_ms);
    text += raw ? fmt::format(",{}\n", r.raw_measured_ms[i]) : "\n";
  }
  WriteFileAtomically(path, text);
}

void Validate(const ValidateOptions& o) {
  const std::string folder = ProfileFolder(o.device);
  const bool terminal = isatty(fileno(stderr));
  const auto on_progress = [&](int done, int total) {
    if (terminal) fmt::print(stderr, "\r\033[Ktiming network {}/{}", done, total);
  };
  ValidationReport r;
  const std::vector<Precision> precisions =
      o.runtime.precisions.empty() ? std::vector<Precision>{Precision::kFp32} : o.runtime.Precisions();
  EDGENAS_THROW_IF_NOT_FMT(precisions.size() == 1, "profile validate checks one precision at a time (--precision)");
  if (!o.data.empty()) {
    r = ValidateAgainstTimings(folder, o.space, precisions[0], o.data, o.interpolate_missing);
  } else if (o.runtime.Runtime() == MeasureRuntime::kOnnxRuntime) {
    OnnxRuntimeValidation v;
    v.profile_folder = folder;
    v.space = o.space;
    v.precision = precisions[0];
    v.count = o.count;
    v.seed = o.seed;
    v.timer = o.timer;
    v.interpolate_missing = o.interpolate_missing;
    MachineLoad load;
    r = ValidateOnnxRuntimeProfile(v, on_progress, &load);
    if (terminal) fmt::print(stderr, "\n");
    PrintMachineLoad(load, LoadHardwareProfile(folder).threads);
    if (r.speed_vs_profile > 0) {
      fmt::print("this machine runs the profile's reference network {:.2f}x as fast as when the profile was "
                 "measured; timings are scaled to that speed\n",
                 r.speed_vs_profile);
    }
  } else {
    r = ValidateProfile(folder, o.space, o.count, o.seed, o.timer, o.interpolate_missing, on_progress);
    if (terminal) fmt::print(stderr, "\n");
  }
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
  if (!o.csv.empty()) {
    WriteValidationCsv(r, o.csv);
    fmt::print("timings: {} (arch,latency_ms,predicted_ms; `profile fit --data` reads it)\n", o.csv);
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
  measure->add_option("--threads", m->threads, "Intra-op threads while timing (LibTorch or ONNX Runtime)")
      ->capture_default_str()
      ->check(CLI::Range(1, 1024));
  measure->add_option("--calibration-networks", m->calibration_networks,
                      "Whole networks timed per space to fit the scale and per-network constant (0, or 3 and more; "
                      "onnxruntime: 300 unless given; they fit its entries)")
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
  auto measure_runtime = std::make_shared<RuntimeFlags>();
  AddRuntimeOptions(measure, measure_runtime.get(),
                    "onnxruntime: the model precision(s) to time (repeatable; default both fp32 and int8, as the "
                    "metrics latency and latency_int8)");
  measure->callback([m, measure, measure_runtime] {
    m->runtime = measure_runtime->Runtime();
    m->precisions = measure_runtime->Precisions();
    if (m->runtime == MeasureRuntime::kOnnxRuntime) {
      UseOnnxRuntimeTimerDefaults(measure, &m->timer);
      if (measure->count("--calibration-networks") == 0) m->calibration_networks = 300;
    }
    Measure(*m);
  });

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
  validate->add_option("--data", v->data,
                       "Compare with these timings instead of timing here (columns arch and latency_ms, as profile "
                       "fit reads them; e.g. timings held out from the fit)");
  validate->add_option("--csv", v->csv, "Write the timings here (arch,latency_ms,predicted_ms), e.g. for profile fit");
  AddTimerOptions(validate, &v->timer);
  AddRuntimeOptions(validate, &v->runtime, "onnxruntime: the model precision to time: fp32 (default) or int8");
  validate->callback([v, validate] {
    if (v->runtime.Runtime() == MeasureRuntime::kOnnxRuntime) UseOnnxRuntimeTimerDefaults(validate, &v->timer);
    Validate(*v);
  });

  auto s = std::make_shared<SampleOptions>();
  auto sample_precisions = std::make_shared<std::vector<std::string>>();
  CLI::App* sample = profile->add_subcommand("sample", TorchCommandDescription("profile", "sample"));
  sample->add_option("--space,-s", s->space, "Space to sample from")->required();
  sample->add_option("-n,--count", s->count, "Networks (each a different architecture)")
      ->capture_default_str()
      ->check(CLI::Range(1, 100000));
  sample->add_option("--resolution,-r", s->resolutions, "Resolutions to sample (repeatable; default: all the space's)");
  sample->add_option("--precision", *sample_precisions,
                     "Models to write per network: fp32 and/or int8 (QDQ, as the exporter writes it) (repeatable; "
                     "default fp32)")
      ->check(PrecisionValidator());
  sample->add_option("--seed", s->seed, "Picks the networks")->capture_default_str()->check(NonNegativeIntegerValidator());
  sample->add_option("--out,-o", s->out, "Folder to create for the models, manifest.csv and README.md")->required();
  sample->callback([s, sample_precisions] {
    if (!sample_precisions->empty()) {
      RuntimeFlags flags;
      flags.precisions = *sample_precisions;
      s->precisions = flags.Precisions();
    }
    const bool terminal = isatty(fileno(stderr));
    SampleNetworks(*s, [&](int done, int total) {
      if (terminal) fmt::print(stderr, "\r\033[Kwriting model {}/{}", done, total);
    });
    if (terminal) fmt::print(stderr, "\n");
    fmt::print("{}: {} networks of {} as ONNX, with manifest.csv; README.md says how to time them and fit a "
               "profile\n",
               s->out, s->count, s->space);
  });

  AddRunCommand(app);
  AddPredictorTrainCommands(app);
  AddTrainCommands(app);
  AddExportCommand(app);
  return edgenas::RunApp(app, argc, argv);
}
