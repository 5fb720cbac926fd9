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
#include "space/space_loader.h"

namespace edgenas {

namespace fs = std::filesystem;

namespace {

struct Entry {
  double median_ms = 0, mad_ms = 0;
  int runs = 0;
};
using Table = std::map<std::string, Entry>;  // sorted: stable files

// The layers an interrupted run already timed.
Table ReadMeasuredTable(const std::string& path) {
  Table table;
  if (!PathExists(path)) return table;
  for (const auto& [key, fields] : ReadTableFile(path)) {
    const auto field = [&](const char* name) {
      const auto found = fields.find(name);
      EDGENAS_THROW_IF_NOT_FMT(found != fields.end(), "{}: entry '{}' lacks '{}' (not a table edgenas measured)", path,
                               key, name);
      return found->second;
    };
    table[key] = {field("median"), field("mad"), static_cast<int>(field("count"))};
  }
  return table;
}

void WriteMeasuredTable(const std::string& path, const Table& table) {
  TableEntries entries;
  for (const auto& [key, e] : table) entries[key] = {{"median", e.median_ms}, {"mad", e.mad_ms}, {"count", e.runs}};
  WriteTableFile(path, entries);
}

std::string CpuModel() {
  std::ifstream in("/proc/cpuinfo");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("model name", 0) == 0) return line.substr(line.find(':') + 2);
  }
  return "unknown CPU";
}

// Times one forward pass of `module` on `input` in inference mode.
template <typename M>
TimingResult TimeForward(M& module, const torch::Tensor& input, const TimerOptions& options) {
  c10::InferenceMode inference;
  module->eval();
  return TimeRuns([&] { module->forward(input); }, options);
}

// A uniformly random genome whose resolution is one of `resolutions`.
Genome SampleAt(const SearchSpace& space, const std::vector<int>& resolutions, Rng& rng) {
  Genome g = space.Sample(rng);
  g.genes[0] = static_cast<uint8_t>(space.ResolutionIndex(resolutions[rng.UniformInt(resolutions.size())]));
  return g;
}

// Median time of one whole network, built from its spec, on random input.
double TimeNetwork(const NetworkSpec& spec, const TimerOptions& timer) {
  Network net(spec);
  const torch::Tensor input = torch::randn({1, spec.input_channels, spec.resolution, spec.resolution});
  return TimeForward(net, input, timer).median_ms;
}

std::vector<int> ResolutionsToMeasure(const SearchSpace& space, const std::vector<int>& wanted) {
  const std::vector<int>& all = space.spec().resolutions;
  if (all.size() == 1 || wanted.empty()) return all;
  std::vector<int> chosen;
  for (int r : wanted) {
    if (space.ResolutionIndex(r) >= 0) chosen.push_back(r);
  }
  EDGENAS_THROW_IF_NOT_FMT(!chosen.empty(), "space '{}' has none of the resolutions {} (it has {})", space.name(),
                           fmt::join(wanted, ", "), fmt::join(all, ", "));
  return chosen;
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

bool MeasureOptions::IsValid(std::string* error) const {
  if (spaces.empty()) {
    *error = "MeasureOptions::spaces is empty. Violated constraint: at least one space to measure";
  } else if (!IsSafeName(device)) {
    *error = fmt::format("MeasureOptions::device = '{}'. Violated constraint: a name (letters, digits, '_', '-', '.'; "
                         "not '.' or '..')",
                         Printable(device));
  } else if (threads < 1) {
    *error = fmt::format("MeasureOptions::threads = {}. Violated constraint: threads >= 1", threads);
  } else if (calibration_networks != 0 && calibration_networks < 3) {
    *error = fmt::format("MeasureOptions::calibration_networks = {}. Violated constraint: 0 or at least 3",
                         calibration_networks);
  } else {
    return true;
  }
  return false;
}

namespace {

using Clock = std::chrono::steady_clock;

// The layers to time: the distinct layers of every space, per resolution.
using LayersByResolution = std::map<int, std::vector<KeyedLayer>>;

LayersByResolution LayersToMeasure(const std::vector<SearchSpace>& spaces, const std::vector<int>& wanted) {
  LayersByResolution layers;
  for (const SearchSpace& space : spaces) {
    for (int r : ResolutionsToMeasure(space, wanted)) {
      for (KeyedLayer& k : DistinctLayers(space, LutKeyFormat::kNative, {r})) layers[r].push_back(std::move(k));
    }
  }
  return layers;
}

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
    Table table = o.resume ? ReadMeasuredTable(path) : Table();
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
  std::string error;
  EDGENAS_THROW_IF_NOT_FMT(o.IsValid(&error), "{}", error);
  const fs::path folder = fs::path(o.out_root) / o.device;
  EDGENAS_THROW_IF_NOT_FMT(o.replace || o.resume || !PathExists(folder / "profile.yaml"),
                           "{} already holds a profile (MeasureOptions::resume and ::replace are false)",
                           folder.string());
  EDGENAS_THROW_IF_NOT_FMT(o.replace || o.resume || !PathExists(folder / "tables"),
                           "{} holds an interrupted measurement (MeasureOptions::resume and ::replace are false)",
                           folder.string());
  // --replace: the old profile moves aside into a fresh folder of this run's
  // and is removed once the new one is written; a run that dies leaves it there.
  fs::path aside;
  if (o.replace && !o.resume && PathExists(folder)) {
    std::string pattern = (fs::path(o.out_root) / fmt::format(".{}.replaced.XXXXXX", o.device)).string();
    EDGENAS_THROW_IF_NOT_FMT(::mkdtemp(pattern.data()) != nullptr, "{}: cannot create a folder", o.out_root);
    aside = pattern;
    fs::rename(folder, aside / o.device);
  }
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
  double total = 0;
  int within5 = 0, within10 = 0;
  for (const auto& n : report.networks) {
    const double error = std::abs(n.error_percent());
    total += error;
    within5 += error <= 5.0;
    within10 += error <= 10.0;
  }
  report.mean_abs_percent_error = total / count;
  report.share_within_5_percent = static_cast<double>(within5) / count;
  report.share_within_10_percent = static_cast<double>(within10) / count;
  return report;
}

}  // namespace edgenas
