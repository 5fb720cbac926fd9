#include "profiler/measure_common.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <stdlib.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "common/error.h"
#include "common/file_util.h"
#include "common/text.h"
#include "cost/hardware_profile.h"
#include "cost/lut_cost_model.h"
#include "cost/profile_fit.h"
#include "space/space_loader.h"

namespace edgenas {

namespace fs = std::filesystem;

const char* PrecisionToString(Precision precision) { return precision == Precision::kInt8 ? "int8" : "fp32"; }

bool StringToPrecision(const std::string& name, Precision* precision) {
  if (name == "fp32") {
    *precision = Precision::kFp32;
  } else if (name == "int8") {
    *precision = Precision::kInt8;
  } else {
    return false;
  }
  return true;
}

const char* LatencyMetric(Precision precision) { return precision == Precision::kInt8 ? "latency_int8" : "latency"; }

MeasuredTable ReadMeasuredTable(const std::string& path) {
  MeasuredTable table;
  if (!PathExists(path)) return table;
  for (const auto& entry : ReadTableFile(path)) {
    // Named, not a structured binding: the lambda below captures them (C++17).
    const std::string& key = entry.first;
    const std::map<std::string, double>& fields = entry.second;
    const auto field = [&](const char* name) {
      const auto found = fields.find(name);
      EDGENAS_THROW_IF_NOT_FMT(found != fields.end(), "{}: entry '{}' lacks '{}' (not a table edgenas measured)", path,
                               key, name);
      return found->second;
    };
    const auto alone = fields.find("alone");
    if (alone != fields.end()) {  // the correction is made again from the time alone
      table[key] = {alone->second, field("mad"), static_cast<int>(field("count")), alone->second};
    } else {
      table[key] = {field("median"), field("mad"), static_cast<int>(field("count"))};
    }
  }
  return table;
}

void WriteMeasuredTable(const std::string& path, const MeasuredTable& table) {
  TableEntries entries;
  for (const auto& [key, e] : table) {
    entries[key] = {{"median", e.median_ms}, {"mad", e.mad_ms}, {"count", e.runs}};
    if (e.alone_ms >= 0) entries[key]["alone"] = e.alone_ms;
  }
  WriteTableFile(path, entries);
}

std::string CpuModel() {
  std::ifstream in("/proc/cpuinfo");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("model name", 0) == 0) return line.substr(line.find(':') + 2);
  }
  return "unknown CPU";
}

Genome SampleAt(const SearchSpace& space, const std::vector<int>& resolutions, Rng& rng) {
  Genome g = space.Sample(rng);
  g.genes[0] = static_cast<uint8_t>(space.ResolutionIndex(resolutions[rng.UniformInt(resolutions.size())]));
  return g;
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

LayersByResolution LayersToMeasure(const std::vector<SearchSpace>& spaces, const std::vector<int>& wanted) {
  LayersByResolution layers;
  for (const SearchSpace& space : spaces) {
    for (int r : ResolutionsToMeasure(space, wanted)) {
      for (KeyedLayer& k : DistinctLayers(space, LutKeyFormat::kNative, {r})) layers[r].push_back(std::move(k));
    }
  }
  return layers;
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
  } else if (precisions.empty()) {
    *error = "MeasureOptions::precisions is empty. Violated constraint: at least one precision to measure";
  } else if (runtime == MeasureRuntime::kLibTorch && precisions != std::vector<Precision>{Precision::kFp32}) {
    *error = "MeasureOptions::precisions has int8. Violated constraint: LibTorch profiles are fp32 only (int8 is "
             "measured in ONNX Runtime)";
  } else if (runtime == MeasureRuntime::kOnnxRuntime && timer.flush_cache) {
    *error = "MeasureOptions::timer.flush_cache is true. Violated constraint: not available in ONNX Runtime";
  } else {
    return true;
  }
  return false;
}

std::string PrepareProfileFolder(const MeasureOptions& o) {
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
  if (!o.replace || o.resume || !PathExists(folder)) return "";
  std::string pattern = (fs::path(o.out_root) / fmt::format(".{}.replaced.XXXXXX", o.device)).string();
  EDGENAS_THROW_IF_NOT_FMT(::mkdtemp(pattern.data()) != nullptr, "{}: cannot create a folder", o.out_root);
  fs::rename(folder, fs::path(pattern) / o.device);
  return pattern;
}

ValidationReport ValidateAgainstTimings(const std::string& profile_folder, const std::string& space_name,
                                        Precision precision, const std::string& timings_csv, bool interpolate_missing) {
  const HardwareProfile profile = LoadHardwareProfile(profile_folder);
  const SearchSpace space = LoadSpace(space_name);
  const std::string metric = LatencyMetric(precision);
  const auto found = profile.metrics.find(metric);
  EDGENAS_THROW_IF_NOT_FMT(found != profile.metrics.end(), "profile '{}' has no metric '{}' (the {} latency)",
                           profile.device, metric, PrecisionToString(precision));
  std::vector<int> resolutions;
  for (int r : space.spec().resolutions) {
    if (found->second.ForResolution(r) != nullptr) resolutions.push_back(r);
  }
  const LutCostModel model(space, profile, metric, {resolutions, interpolate_missing});
  ValidationReport report;
  report.estimated_entries = static_cast<int>(model.estimated().size());
  for (const Timing& t : ReadTimingsCsv(space, timings_csv, PrecisionToString(precision)).timings) {
    const int r = space.Decode(t.genome).resolution;
    EDGENAS_THROW_IF_NOT_FMT(std::find(resolutions.begin(), resolutions.end(), r) != resolutions.end(),
                             "{}: {} is at resolution {}, which profile '{}' has no {} table for", timings_csv,
                             space.ToString(t.genome), r, profile.device, metric);
    report.networks.push_back({space.ToString(t.genome), model.Cost(t.genome), t.value});
  }
  Summarize(&report);
  return report;
}

void Summarize(ValidationReport* report) {
  double total = 0;
  int within5 = 0, within10 = 0;
  for (const auto& n : report->networks) {
    const double error = std::abs(n.error_percent());
    total += error;
    within5 += error <= 5.0;
    within10 += error <= 10.0;
  }
  const double count = std::max<size_t>(1, report->networks.size());
  report->mean_abs_percent_error = total / count;
  report->share_within_5_percent = within5 / count;
  report->share_within_10_percent = within10 / count;
}

}  // namespace edgenas
