#include "profiler/profile_measure.h"

#include <fmt/format.h>
#include <torch/torch.h>
#include <torch/version.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>

#include "common/error.h"
#include "common/file_util.h"
#include "common/text.h"
#include "models/network_builder.h"
#include "models/torch_process.h"
#include "cost/lut_cost_model.h"
#include "cost/lut_keys.h"
#include "cost/profile_fit.h"
#include "profiler/measure_common.h"
#include "space/space_loader.h"

namespace edgenas {

namespace fs = std::filesystem;

namespace {



// Times one forward pass of `module` on `input` in inference mode.
template <typename M>
TimingResult TimeForward(M& module, const torch::Tensor& input, const TimerOptions& options) {
  c10::InferenceMode inference;
  module->eval();
  return TimeRuns([&] { module->forward(input); }, options);
}


// Median time of one whole network, built from its spec, on random input.
double TimeNetwork(const NetworkSpec& spec, const TimerOptions& timer) {
  Network net(spec);
  const torch::Tensor input = torch::randn({1, spec.input_channels, spec.resolution, spec.resolution});
  return TimeForward(net, input, timer).median_ms;
}


}  // namespace

std::string BlasInUse() {
  std::ifstream maps("/proc/self/maps");
  std::string found;
  for (std::string line; std::getline(maps, line);) {
    const size_t slash = line.find('/');
    if (slash == std::string::npos) continue;
    const std::string path = line.substr(slash);
    const std::string resolved = fs::weakly_canonical(path).string();
    if (resolved.find("openblas") != std::string::npos) return fmt::format("OpenBLAS ({})", resolved);
    if (found.empty() && resolved.find("libblas") != std::string::npos) found = resolved;
  }
  return found.empty() ? "unknown" : found;
}


namespace {

using Clock = std::chrono::steady_clock;


// Times every layer not yet in its table, writing the table after each one.
// Returns the medians, what the calibration costs networks with.
// `total` counts the calibration networks too, so that the ETA covers them.
CostTable TimeLayers(const MeasureOptions& o, const fs::path& folder, const LayersByResolution& layers_by_resolution,
                     int total, MeasureSummary* summary, const std::function<void(const MeasureProgress&)>& on_layer) {
  int done = 0;
  double timed_seconds = 0;
  CostTable medians;
  medians.unit = "ms";
  for (const auto& [r, layers] : layers_by_resolution) {
    const std::string path = (folder / fmt::format("tables/{}_lookup_table.yaml", r)).string();
    MeasuredTable table = o.resume ? ReadMeasuredTable(path) : MeasuredTable();
    for (const KeyedLayer& k : layers) {
      ++done;
      if (table.count(k.key)) {
        ++summary->layers_reused;
        continue;
      }
      const auto layer_start = Clock::now();
      LayerModule module(k.layer);
      const torch::Tensor input = torch::randn({1, k.layer.in_channels, k.layer.in_size, k.layer.in_size});
      const TimingResult t = TimeForward(module, input, o.timer);
      table[k.key] = {t.median_ms, t.mad_ms, t.runs};
      WriteMeasuredTable(path, table);  // after every layer: an interrupted run loses at most one
      ++summary->layers_timed;
      timed_seconds += std::chrono::duration<double>(Clock::now() - layer_start).count();
      MeasureProgress p{done, total, k.key, t.median_ms, 0};
      p.eta_seconds = timed_seconds / summary->layers_timed * (total - done);
      on_layer(p);
    }
    for (const auto& [key, entry] : table) medians.by_resolution[r][key] = entry.median_ms;
  }
  return medians;
}

// Times whole networks and fits, per resolution, the scale and constant that
// turn the sum of their layers' medians into their time (into `latency`).
void Calibrate(const MeasureOptions& o, const std::vector<SearchSpace>& spaces, const HardwareProfile& info,
               const CostTable& medians, int total, MetricFiles* latency,
               const std::function<void(const MeasureProgress&)>& on_network) {
  const auto start = Clock::now();
  int done = total - static_cast<int>(spaces.size()) * o.calibration_networks, timed = 0;
  HardwareProfile profile = info;
  profile.metrics["latency"] = medians;
  std::map<int, std::vector<double>> sums, weight_mib, measured;
  Rng rng(o.seed);
  for (const SearchSpace& space : spaces) {
    const std::vector<int> resolutions = ResolutionsToMeasure(space, o.resolutions);
    const LutCostModel model(space, profile, "latency", {resolutions});
    for (int i = 0; i < o.calibration_networks; ++i) {
      const Genome g = SampleAt(space, resolutions, rng);
      const NetworkSpec spec = space.Decode(g);
      sums[spec.resolution].push_back(model.Cost(g));
      weight_mib[spec.resolution].push_back(model.WeightMib(g));
      measured[spec.resolution].push_back(TimeNetwork(spec, o.timer));
      ++timed;
      MeasureProgress p{++done, total, "calibration: " + space.ToString(g), measured[spec.resolution].back(), 0};
      p.eta_seconds = std::chrono::duration<double>(Clock::now() - start).count() / timed * (total - done);
      on_network(p);
    }
  }
  for (const auto& [r, values] : sums) {
    if (values.size() < 3) continue;  // a resolution drawn too rarely keeps the plain sum
    const LatencyCalibration fit = FitLatencyCalibration(values, weight_mib[r], measured[r]);
    latency->scales[r] = fit.scale;
    latency->scales_per_weight_mib[r] = fit.scale_per_weight_mib;
    latency->constants[r] = fit.constant;
  }
}

// What profile.yaml says of the device and how it was measured.
HardwareProfile DescribeMeasuredProfile(const MeasureOptions& o, const std::vector<SearchSpace>& spaces,
                                        const std::string& blas) {
  HardwareProfile info;
  info.device = o.device;
  info.description = fmt::format("{}, LibTorch {}, {} thread(s), BLAS {}", CpuModel(), TORCH_VERSION, o.threads, blas);
  info.kind = "cpu";
  info.runtime = fmt::format("LibTorch {} (CPU, eager, inference mode, float32)", TORCH_VERSION);
  info.threads = o.threads;
  for (const SearchSpace& s : spaces) info.spaces.push_back(s.name());
  info.key_format = LutKeyFormat::kNative;
  info.source = fmt::format("edgenas profile measure: warm-up {}, at least {} runs and {} ms per layer; median",
                            o.timer.warmup_runs, o.timer.min_runs, o.timer.min_time_ms);
  return info;
}

}  // namespace

MeasureSummary MeasureProfile(const MeasureOptions& o, const std::function<void(const MeasureProgress&)>& on_layer) {
  const auto start = Clock::now();
  EDGENAS_THROW_IF_NOT_FMT(o.runtime == MeasureRuntime::kLibTorch,
                           "MeasureProfile times LibTorch; MeasureOnnxRuntimeProfile times ONNX Runtime");
  const fs::path folder = fs::path(o.out_root) / o.device;
  const fs::path aside = PrepareProfileFolder(o);
  SetTorchThreads(o.threads);
  KeepFreedMemory();

  std::vector<SearchSpace> spaces;
  for (const std::string& name : o.spaces) spaces.push_back(LoadSpace(name));
  const LayersByResolution layers = LayersToMeasure(spaces, o.resolutions);
  int total = static_cast<int>(spaces.size()) * o.calibration_networks;
  for (const auto& [r, at_r] : layers) total += static_cast<int>(at_r.size());
  MeasureSummary summary;
  summary.folder = folder.string();
  summary.blas = BlasInUse();
  const CostTable medians = TimeLayers(o, folder, layers, total, &summary, on_layer);

  // profile.yaml is written once, after the calibration: an interrupted
  // calibration leaves no profile that looks finished, and --resume redoes it.
  MetricFiles latency;
  latency.unit = "ms";
  for (const auto& [r, unused] : layers) latency.tables[r] = fmt::format("tables/{}_lookup_table.yaml", r);
  const HardwareProfile info = DescribeMeasuredProfile(o, spaces, summary.blas);
  if (o.calibration_networks > 0) Calibrate(o, spaces, info, medians, total, &latency, on_layer);
  const std::string comment = fmt::format(
      "Written by `edgenas profile measure`: per-layer latency measured on this machine.\n"
      "A network's latency = (scale + scale_per_weight_mib * its weights in MiB) * (sum of its\n"
      "layers' medians) + constant, per resolution, fitted to {} whole networks per space timed\n"
      "after the layers.",
      o.calibration_networks);
  WriteProfileYaml(folder.string(), info, {{"latency", latency}}, comment);
  if (!aside.empty()) fs::remove_all(aside);
  summary.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  return summary;
}

ValidationReport ValidateProfile(const std::string& profile_folder, const std::string& space_name, int count,
                                 uint64_t seed, const TimerOptions& timer, bool interpolate_missing,
                                 const std::function<void(int done, int total)>& on_network) {
  const HardwareProfile profile = LoadHardwareProfile(profile_folder);
  const SearchSpace space = LoadSpace(space_name);
  SetTorchThreads(std::max(1, profile.threads));
  std::vector<int> resolutions;  // those the profile has tables for
  for (int r : space.spec().resolutions) {
    if (profile.metrics.at("latency").ForResolution(r) != nullptr) resolutions.push_back(r);
  }
  EDGENAS_THROW_IF_NOT_FMT(!resolutions.empty(), "profile '{}' has no latency table for any resolution of space '{}'",
                           profile.device, space.name());
  const LutCostModel model(space, profile, "latency", {resolutions, interpolate_missing});
  KeepFreedMemory();
  Rng rng(seed);
  ValidationReport report;
  report.estimated_entries = static_cast<int>(model.estimated().size());
  for (int i = 0; i < count; ++i) {
    const Genome g = SampleAt(space, resolutions, rng);
    report.networks.push_back({space.ToString(g), model.Cost(g), TimeNetwork(space.Decode(g), timer)});
    on_network(i + 1, count);
  }
  Summarize(&report);
  return report;
}

}  // namespace edgenas
