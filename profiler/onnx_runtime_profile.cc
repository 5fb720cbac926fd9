#include "profiler/onnx_runtime_profile.h"

#include <fmt/format.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <tuple>

#include "common/csv_reader.h"
#include "common/error.h"
#include "common/file_util.h"
#include "common/statistics.h"
#include "common/text.h"
#include "cost/lut_cost_model.h"
#include "cost/profile_fit.h"
#include "export/folded_network.h"
#include "export/int8_model.h"
#include "export/onnx_model.h"
#include "profiler/measure_common.h"
#include "runtime/onnx_runtime.h"
#include "space/network_stats.h"
#include "space/space_loader.h"

namespace edgenas {

namespace fs = std::filesystem;

namespace {

using Clock = std::chrono::steady_clock;

double SecondsSince(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

// Representative int8 ranges: the integer kernels' cost does not depend on them.
std::map<std::string, TensorRange> RepresentativeRanges(const onnx::ModelProto& fp32) {
  std::map<std::string, TensorRange> ranges;
  for (const std::string& tensor : CalibrationTensors(fp32)) {
    const auto ends_with = [&](const std::string& suffix) {
      return tensor.size() >= suffix.size() && tensor.compare(tensor.size() - suffix.size(), suffix.size(), suffix) == 0;
    };
    const bool after_relu = ends_with(".relu") || ends_with(".relu6");
    ranges[tensor] = after_relu ? TensorRange{0, 6} : TensorRange{-4, 4};
  }
  return ranges;
}

onnx::ModelProto AtPrecision(const onnx::ModelProto& fp32, Precision precision) {
  return precision == Precision::kInt8 ? BuildInt8Model(fp32, RepresentativeRanges(fp32)) : fp32;
}

// The smallest model ONNX Runtime can run: what one run costs with no work,
// subtracted from every layer's time (a network pays it once, not per layer).
onnx::ModelProto OverheadModel() {
  LayerSpec pool;
  pool.op = LayerOp::kGlobalAvgPool;
  pool.name = "overhead";
  pool.in_channels = pool.out_channels = 1;
  pool.in_size = 1;
  pool.out_size = 1;
  return BuildLayerModel(pool, {});
}

// WriteOnnxModel without ONNX's checker and shape inference: a measurement
// writes 20,000 timing models. The same builders' output is checked in the
// tests (every layer kind) and by WriteOnnxModel wherever a model is kept.
void WriteModel(const onnx::ModelProto& model, const std::string& path) {
  std::string bytes;
  EDGENAS_THROW_IF_NOT_FMT(model.SerializeToString(&bytes), "{}: could not serialise the ONNX model", path);
  WriteFileAtomically(path, bytes);
}

OnnxRuntimeJob TimingJob(const std::string& path, const std::vector<int64_t>& input_shape, const TimerOptions& t) {
  OnnxRuntimeJob job;
  job.model_path = path;
  job.input_shape = input_shape;
  job.warmup_runs = t.warmup_runs;
  job.timing_runs = t.min_runs;
  job.timing_min_ms = t.min_time_ms;
  job.timing_max_runs = t.max_runs;
  return job;
}

// Median and median absolute deviation, as TimeRuns describes LibTorch's runs.
MeasuredEntry Describe(const OnnxRuntimeResult& r) {
  std::vector<double> deviations;
  for (double ms : r.run_ms) deviations.push_back(std::abs(ms - r.median_ms));
  return {r.median_ms, deviations.empty() ? 0.0 : Median(deviations), static_cast<int>(deviations.size())};
}

// CPU seconds so far: the machine's busy and stolen time (/proc/stat), and
// this process's own with its waited-for children (the ONNX Runtime runners).
struct CpuClock {
  double busy = 0, steal = 0, own = 0;
  Clock::time_point wall = Clock::now();

  static CpuClock Now() {
    CpuClock c;
    std::ifstream stat("/proc/stat");
    std::string cpu;
    double user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0;
    stat >> cpu >> user >> nice >> system >> idle >> iowait >> irq >> softirq >> steal;
    const double tick = static_cast<double>(sysconf(_SC_CLK_TCK));
    c.busy = (user + nice + system + irq + softirq) / tick;
    c.steal = steal / tick;
    const auto seconds = [](const timeval& t) { return t.tv_sec + t.tv_usec / 1e6; };
    rusage self{}, children{};
    getrusage(RUSAGE_SELF, &self);
    getrusage(RUSAGE_CHILDREN, &children);
    c.own = seconds(self.ru_utime) + seconds(self.ru_stime) + seconds(children.ru_utime) + seconds(children.ru_stime);
    return c;
  }

  // What others used from `start` to now, in cores.
  void Since(const CpuClock& start, MachineLoad* load) const {
    const double wall_seconds = std::chrono::duration<double>(wall - start.wall).count();
    if (wall_seconds <= 0) return;
    load->other_processes_cores = std::max(0.0, (busy - start.busy) - (own - start.own)) / wall_seconds;
    load->steal_cores = (steal - start.steal) / wall_seconds;
  }
};

std::string TablePath(Precision precision, int resolution) {
  return precision == Precision::kInt8 ? fmt::format("tables/int8_{}_lookup_table.yaml", resolution)
                                       : fmt::format("tables/{}_lookup_table.yaml", resolution);
}

constexpr const char* kCalibrationFile = "tables/calibration_networks.csv";

// The whole networks timed for calibration: (space, arch, metric) -> ms.
struct CalibrationTimings {
  using Key = std::tuple<std::string, std::string, std::string>;
  std::map<Key, double> ms;

  static CalibrationTimings Read(const std::string& path) {
    CalibrationTimings t;
    if (!PathExists(path)) return t;
    const CsvFile csv = CsvFile::Read(path);
    EDGENAS_THROW_IF_NOT_FMT(csv.HeaderLine() == "space,arch,metric,latency_ms",
                             "{}: expected the header 'space,arch,metric,latency_ms'", path);
    for (const CsvFile::Row& row : csv.rows()) {
      t.ms[{row.fields[0], row.fields[1], row.fields[2]}] = csv.Number(row, 3);
    }
    return t;
  }

  void Write(const std::string& path) const {
    std::string text = "space,arch,metric,latency_ms\n";
    for (const auto& [key, value] : ms) {
      text += fmt::format("{},{},{},{}\n", std::get<0>(key), std::get<1>(key), std::get<2>(key), value);
    }
    WriteFileAtomically(path, text);
  }
};

// One model to time in a batch.
struct WorkItem {
  enum Kind { kLayer, kNetwork } kind = kLayer;
  Precision precision = Precision::kFp32;
  int resolution = 0;
  const KeyedLayer* layer = nullptr;  // kLayer
  const SearchSpace* space = nullptr;  // kNetwork
  Genome genome;                       // kNetwork
};

// Calibration networks spread evenly among the layers: drift hits both alike.
std::vector<WorkItem> Interleave(std::vector<WorkItem> layers, const std::vector<WorkItem>& networks) {
  if (networks.empty()) return layers;
  std::vector<WorkItem> all;
  const double step = static_cast<double>(layers.size()) / networks.size();
  size_t next_layer = 0;
  for (size_t i = 0; i < networks.size(); ++i) {
    const size_t until = std::min(layers.size(), static_cast<size_t>(std::llround(step * (i + 0.5))));
    for (; next_layer < until; ++next_layer) all.push_back(layers[next_layer]);
    all.push_back(networks[i]);
  }
  for (; next_layer < layers.size(); ++next_layer) all.push_back(layers[next_layer]);
  return all;
}

// The network every timing is corrected against: timed between the models,
// it says how fast the machine runs at each moment (this VM's speed moved by
// up to 1.8x within a minute while nothing else ran on it).
struct ReferenceNetwork {
  std::string space, arch;
  NetworkSpec spec;
  uint64_t seed = 0;
  double ms = 0;  // its time when the profile was measured: the speed tables are expressed at

  static constexpr const char* kFile = "tables/reference_network.csv";

  // The profile folder's reference network; empty if it has none.
  static std::optional<ReferenceNetwork> Read(const std::string& profile_folder) {
    const std::string path = (fs::path(profile_folder) / kFile).string();
    if (!PathExists(path)) return std::nullopt;
    const CsvFile csv = CsvFile::Read(path);
    EDGENAS_THROW_IF_NOT_FMT(csv.HeaderLine() == "space,arch,seed,latency_ms" && csv.rows().size() == 1,
                             "{}: expected the header 'space,arch,seed,latency_ms' and one row", path);
    const CsvFile::Row& row = csv.rows()[0];
    const SearchSpace space = LoadSpace(row.fields[0]);
    ReferenceNetwork r;
    r.space = row.fields[0];
    r.arch = row.fields[1];
    r.spec = space.Decode(space.Parse(r.arch));
    r.seed = static_cast<uint64_t>(csv.Number(row, 2));
    r.ms = csv.Number(row, 3);
    return r;
  }

  void Write(const std::string& path) const {
    WriteFileAtomically(path, fmt::format("space,arch,seed,latency_ms\n{},{},{},{}\n", space, arch, seed, ms));
  }
};

// The timing of `result` as if the machine ran the reference at `reference_ms`.
double AtReferenceSpeed(double ms, const OnnxRuntimeResult& result, double reference_ms) {
  return result.reference_ms > 0 && reference_ms > 0 ? ms * reference_ms / result.reference_ms : ms;
}

// Times `items` in one ONNX Runtime process with the reference network timed
// among them; returns their results in order, then the empty model's (its
// lower median of a timing first and last: the cost of a run itself), and
// appends the reference's timings to `reference_ms`.
std::vector<OnnxRuntimeResult> TimeBatch(const std::vector<WorkItem>& items, const ReferenceNetwork& reference,
                                         int threads, const TimerOptions& timer, uint64_t seed,
                                         std::vector<double>* reference_ms) {
  const FreshFolder scratch((fs::temp_directory_path() / "edgenas-timing-").string());
  std::vector<OnnxRuntimeJob> jobs;
  const std::string overhead = scratch.path() + "/overhead.onnx";
  WriteModel(OverheadModel(), overhead);
  const OnnxRuntimeJob overhead_job = TimingJob(overhead, {1, 1, 1, 1}, timer);
  jobs.push_back(overhead_job);
  for (size_t i = 0; i < items.size(); ++i) {
    const WorkItem& item = items[i];
    const std::string path = fmt::format("{}/{}.onnx", scratch.path(), i);
    if (item.kind == WorkItem::kLayer) {
      const LayerSpec& l = item.layer->layer;
      WriteModel(LayerTimingModel(l, item.precision, seed), path);
      jobs.push_back(TimingJob(path, {1, l.in_channels, l.in_size, l.in_size}, timer));
    } else {
      const NetworkSpec spec = item.space->Decode(item.genome);
      WriteModel(NetworkTimingModel(spec, item.precision, seed), path);
      jobs.push_back(TimingJob(path, {1, spec.input_channels, spec.resolution, spec.resolution}, timer));
    }
  }
  jobs.push_back(overhead_job);
  OnnxRuntimeReference r;
  const std::string reference_path = scratch.path() + "/reference.onnx";
  WriteModel(NetworkTimingModel(reference.spec, Precision::kFp32, reference.seed), reference_path);
  r.model = TimingJob(reference_path, {1, reference.spec.input_channels, reference.spec.resolution,
                                       reference.spec.resolution}, timer);
  r.every = 20;
  std::vector<OnnxRuntimeResult> results = RunInOnnxRuntime(jobs, threads, &r);
  // The reference is timed before every 20th job. One timing is sometimes
  // 1.3-2x slow (a pause of Node's or of the VM's) while its neighbours agree
  // within a few percent: each job is scaled by the median of the 7 timings
  // around its own, so that such a pause does not scale 20 jobs.
  std::vector<double> timings;
  for (size_t j = 0; j < results.size(); j += r.every) timings.push_back(results[j].reference_ms);
  for (size_t j = 0; j < results.size(); ++j) {
    const size_t block = j / r.every, from = block >= 3 ? block - 3 : 0, to = std::min(timings.size(), block + 4);
    results[j].reference_ms = Median(std::vector<double>(timings.begin() + from, timings.begin() + to));
  }
  reference_ms->insert(reference_ms->end(), timings.begin(), timings.end());
  results.back().median_ms = std::min(results.front().median_ms, results.back().median_ms);
  results.erase(results.begin());
  return results;
}

// How much the machine's speed moved: the 90th over the 10th percentile of
// the reference's timings, less 1 (single slow timings are not drift).
double Spread(std::vector<double> values) {
  if (values.size() < 2) return 0;
  std::sort(values.begin(), values.end());
  const auto at = [&](double q) { return values[static_cast<size_t>(q * (values.size() - 1) + 0.5)]; };
  return at(0.9) / at(0.1) - 1;
}

std::string OrtDescription() {
  std::string version = "unknown";
  const std::string package = DataRoot() + "/runtime/node_modules/onnxruntime-node/package.json";
  if (PathExists(package)) {
    const std::string text = ReadFile(package);
    const size_t at = text.find("\"version\"");
    if (at != std::string::npos) {
      const size_t open = text.find('"', text.find(':', at) + 1);
      version = text.substr(open + 1, text.find('"', open + 1) - open - 1);
    }
  }
  return "ONNX Runtime " + version + " (onnxruntime-node, CPU execution provider, all graph optimizations)";
}

// A layer timed alone is not the same layer inside a network: alone, it
// pays for its own graph output (allocated, copied out to Node) and, in int8,
// a QuantizeLinear in and a DequantizeLinear out; inside, it shares the run
// with its neighbours. Each table entry is therefore fitted on the whole
// networks timed among the layers:
//   entry = alone_weight * (the layer's median alone) + sum_f cost_f * LayerFeatures_f(layer)
//   network = sum of its entries + constant[resolution]
// by non-negative least squares on relative errors. With alone timings that
// added up, alone_weight would be 1 and the costs 0.
struct LayerCostFit {
  double alone_weight = 0;
  std::vector<double> feature_costs;  // parallel to LayerFeatureNames()
  std::map<int, double> constants;

  double Entry(double alone_ms, const LayerSpec& layer) const {
    const std::vector<double> f = LayerFeatures(layer);
    double cost = alone_weight * alone_ms;
    for (size_t i = 0; i < f.size(); ++i) cost += feature_costs[i] * f[i];
    return cost;
  }

  std::string Describe() const {
    std::vector<std::string> parts = {fmt::format("alone x {:.3f}", alone_weight)};
    const std::vector<std::string> names = LayerFeatureNames();
    for (size_t i = 0; i < names.size(); ++i) {
      if (feature_costs[i] > 0) parts.push_back(fmt::format("{} x {:.3g}", names[i], feature_costs[i]));
    }
    return JoinStrings(parts, " + ");
  }
};

LayerCostFit FitLayerCosts(const std::vector<NetworkSpec>& networks, const std::vector<double>& alone_sums,
                           const std::vector<double>& measured) {
  const size_t features = LayerFeatureNames().size();
  std::map<int, int> constant_column;
  for (const NetworkSpec& n : networks) {
    constant_column.emplace(n.resolution, static_cast<int>(1 + features + constant_column.size()));
  }
  const int cols = static_cast<int>(1 + features + constant_column.size()), rows = static_cast<int>(networks.size());
  EDGENAS_THROW_IF_NOT_FMT(rows >= cols, "{} calibration networks cannot determine {} unknowns; time at least {}", rows,
                           cols, cols);
  std::vector<double> a(static_cast<size_t>(rows * cols), 0.0), b(static_cast<size_t>(rows), 1.0);
  std::vector<double> scale(static_cast<size_t>(cols), 0.0);
  for (int i = 0; i < rows; ++i) {
    double* row = &a[static_cast<size_t>(i * cols)];
    row[0] = alone_sums[i];
    for (const LayerSpec& l : networks[i].layers) {
      const std::vector<double> f = LayerFeatures(l);
      for (size_t k = 0; k < features; ++k) row[1 + k] += f[k];
    }
    row[constant_column.at(networks[i].resolution)] = 1;
    for (int c = 0; c < cols; ++c) {
      row[c] /= measured[i];  // relative errors: b = measured / measured
      scale[c] = std::max(scale[c], std::abs(row[c]));
    }
  }
  // Features differ by orders of magnitude: each column is scaled to a
  // largest value of 1 for the solver, then back.
  for (int i = 0; i < rows; ++i) {
    for (int c = 0; c < cols; ++c) a[static_cast<size_t>(i * cols + c)] /= scale[c] > 0 ? scale[c] : 1.0;
  }
  const std::vector<double> x = NonNegativeLeastSquares(a, b, rows, cols);
  const auto unscaled = [&](int c) { return scale[c] > 0 ? x[c] / scale[c] : 0.0; };
  LayerCostFit fit;
  fit.alone_weight = unscaled(0);
  for (size_t k = 0; k < features; ++k) fit.feature_costs.push_back(unscaled(static_cast<int>(1 + k)));
  for (const auto& [r, c] : constant_column) fit.constants[r] = unscaled(c);
  return fit;
}

}  // namespace

onnx::ModelProto LayerTimingModel(const LayerSpec& layer, Precision precision, uint64_t seed) {
  Rng rng(seed);
  return AtPrecision(BuildLayerModel(layer, RandomFoldedLayer(layer, rng)), precision);
}

onnx::ModelProto NetworkTimingModel(const NetworkSpec& spec, Precision precision, uint64_t seed,
                                    const std::string& space, const std::string& arch) {
  ModelDescription d;
  d.space = space;
  d.arch = arch;
  d.trained = false;
  d.mean.assign(static_cast<size_t>(spec.input_channels), 0.0f);
  d.std.assign(static_cast<size_t>(spec.input_channels), 1.0f);
  return AtPrecision(BuildFp32Model(RandomFoldedNetwork(spec, seed), d), precision);
}

std::optional<SpeedReference> WriteSpeedReference(const std::string& profile_folder, const std::string& device,
                                                  const std::string& model_path) {
  const std::optional<ReferenceNetwork> reference = ReferenceNetwork::Read(profile_folder);
  if (!reference) return std::nullopt;
  WriteModel(NetworkTimingModel(reference->spec, Precision::kFp32, reference->seed), model_path);
  const NetworkSpec& s = reference->spec;
  return SpeedReference{device, model_path, {1, s.input_channels, s.resolution, s.resolution}, reference->ms};
}

std::string MachineLoad::Warning(int threads) const {
  std::vector<std::string> signs;
  if (other_processes_cores > 0.25) {
    signs.push_back(fmt::format("other processes used {:.2f} cores on average", other_processes_cores));
  }
  if (steal_cores > 0.1) {
    signs.push_back(fmt::format("the hypervisor gave {:.2f} cores to other machines (steal time)", steal_cores));
  }
  if (reference_timings >= 2 && reference_spread > 0.25) {
    signs.push_back(fmt::format("a reference network timed {} times during the run varied by {:.0f}%",
                                reference_timings, 100 * reference_spread));
  }
  if (signs.empty()) return "";
  return fmt::format("warning: the machine looked busy: {}. Timings with {} thread(s) on a busy machine are slower "
                     "and noisier than on an idle one; re-run when it is idle for a faithful table.",
                     JoinStrings(signs, "; "), threads);
}

TimerOptions OnnxRuntimeTimerDefaults() {
  TimerOptions t;
  t.warmup_runs = 5;
  t.min_runs = 20;
  t.min_time_ms = 2.0;
  t.max_runs = 2000;
  return t;
}

namespace {

// What a measurement will do: the tables measured so far (--resume), the
// calibration networks, the models still to time in order (the layers, with
// the calibration networks spread among them) and the reference network.
struct MeasurementPlan {
  std::map<Precision, std::map<int, MeasuredTable>> tables;
  CalibrationTimings calibration;
  std::vector<std::pair<const SearchSpace*, Genome>> calibration_networks;
  std::vector<WorkItem> items;
  ReferenceNetwork reference;
};

MeasurementPlan PlanMeasurement(const MeasureOptions& o, const std::vector<SearchSpace>& spaces,
                                const LayersByResolution& layers, const fs::path& folder, MeasureSummary* summary) {
  MeasurementPlan plan;
  if (o.resume) plan.calibration = CalibrationTimings::Read((folder / kCalibrationFile).string());
  std::vector<WorkItem> layer_items, network_items;
  for (const auto& [r, at_r] : layers) {
    for (Precision p : o.precisions) {
      plan.tables[p][r] = o.resume ? ReadMeasuredTable((folder / TablePath(p, r)).string()) : MeasuredTable();
    }
    for (const KeyedLayer& k : at_r) {
      for (Precision p : o.precisions) {  // the precisions of a layer one after the other
        if (plan.tables[p][r].count(k.key)) {
          ++summary->layers_reused;
        } else {
          layer_items.push_back({WorkItem::kLayer, p, r, &k, nullptr, {}});
        }
      }
    }
  }
  Rng rng(o.seed);
  for (const SearchSpace& space : spaces) {
    const std::vector<int> resolutions = ResolutionsToMeasure(space, o.resolutions);
    for (int i = 0; i < o.calibration_networks; ++i) {
      const Genome g = SampleAt(space, resolutions, rng);
      plan.calibration_networks.emplace_back(&space, g);
      for (Precision p : o.precisions) {
        if (!plan.calibration.ms.count({space.name(), space.ToString(g), LatencyMetric(p)})) {
          network_items.push_back({WorkItem::kNetwork, p, space.Decode(g).resolution, nullptr, &space, g});
        }
      }
    }
  }
  plan.items = Interleave(std::move(layer_items), network_items);
  // The reference network: kept from an interrupted run, else a random one of
  // the first space, whose speed the first batch sets.
  const std::optional<ReferenceNetwork> kept = o.resume ? ReferenceNetwork::Read(folder.string()) : std::nullopt;
  if (kept) {
    plan.reference = *kept;
  } else {
    Rng reference_rng(o.seed + 1);
    const Genome g = SampleAt(spaces[0], ResolutionsToMeasure(spaces[0], o.resolutions), reference_rng);
    plan.reference = {spaces[0].name(), spaces[0].ToString(g), spaces[0].Decode(g), o.seed + 1, 0};
  }
  return plan;
}

// Times the plan's models in batches, one ONNX Runtime process each (its
// start-up, ~0.3 s, is paid per batch, and an interrupted run loses at most
// one batch), writing the tables after every batch. The first batch sets the
// reference network's speed. Returns every timing of the reference.
std::vector<double> TimePlan(const MeasureOptions& o, const fs::path& folder, Clock::time_point start,
                             const std::function<void(const MeasureProgress&)>& on_progress, MeasurementPlan* plan,
                             MeasureSummary* summary) {
  constexpr size_t kBatch = 400;
  const std::vector<WorkItem>& items = plan->items;
  ReferenceNetwork& reference = plan->reference;
  std::vector<double> reference_ms;
  for (size_t begin = 0; begin < items.size(); begin += kBatch) {
    const std::vector<WorkItem> batch(items.begin() + begin, items.begin() + std::min(items.size(), begin + kBatch));
    const std::vector<OnnxRuntimeResult> results =
        TimeBatch(batch, reference, o.threads, o.timer, o.seed, &reference_ms);
    fs::create_directories(folder / "tables");
    if (reference.ms <= 0) {  // the first batch's median sets the speed every timing is scaled to
      reference.ms = Median(reference_ms);
      reference.Write((folder / ReferenceNetwork::kFile).string());
    }
    const double overhead = results[batch.size()].median_ms;
    std::set<std::pair<Precision, int>> touched;
    for (size_t i = 0; i < batch.size(); ++i) {
      const WorkItem& item = batch[i];
      if (item.kind == WorkItem::kLayer) {
        // Net of the run's own cost, which a network pays once, not per layer.
        MeasuredEntry e = Describe(results[i]);
        e.median_ms = std::max(0.0, AtReferenceSpeed(e.median_ms - overhead, results[i], reference.ms));
        e.mad_ms = AtReferenceSpeed(e.mad_ms, results[i], reference.ms);
        e.alone_ms = e.median_ms;
        plan->tables[item.precision][item.resolution][item.layer->key] = e;
        touched.insert({item.precision, item.resolution});
        ++summary->layers_timed;
      } else {
        plan->calibration.ms[{item.space->name(), item.space->ToString(item.genome), LatencyMetric(item.precision)}] =
            AtReferenceSpeed(results[i].median_ms, results[i], reference.ms);
      }
    }
    for (const auto& [p, r] : touched) WriteMeasuredTable((folder / TablePath(p, r)).string(), plan->tables[p][r]);
    plan->calibration.Write((folder / kCalibrationFile).string());
    MeasureProgress progress;
    progress.done = static_cast<int>(begin + batch.size());
    progress.total = static_cast<int>(items.size());
    const WorkItem& last = batch.back();
    progress.key = last.kind == WorkItem::kLayer ? last.layer->key : "calibration: " + last.space->ToString(last.genome);
    progress.ms = results[batch.size() - 1].median_ms;
    progress.eta_seconds = SecondsSince(start) / progress.done * (progress.total - progress.done);
    on_progress(progress);
  }
  return reference_ms;
}

// Fits one precision's entries on the calibration networks (LayerCostFit;
// with none, an entry is the layer's time alone) and rewrites its tables.
LayerCostFit FitPrecision(const MeasureOptions& o, Precision p, const std::vector<SearchSpace>& spaces,
                          const LayersByResolution& layers, const HardwareProfile& info, const fs::path& folder,
                          MeasurementPlan* plan, MetricFiles* files) {
  files->unit = "ms";
  // The sums of the layers alone, for the calibration networks.
  HardwareProfile alone = info;
  CostTable& alone_medians = alone.metrics[LatencyMetric(p)];
  alone_medians.unit = "ms";
  for (const auto& [r, table] : plan->tables[p]) {
    for (const auto& [key, entry] : table) alone_medians.by_resolution[r][key] = entry.median_ms;
  }
  std::vector<NetworkSpec> calibration_specs;
  std::vector<double> alone_sums, calibration_ms;
  for (const SearchSpace& space : spaces) {
    const LutCostModel model(space, alone, LatencyMetric(p), {ResolutionsToMeasure(space, o.resolutions)});
    for (const auto& [network_space, genome] : plan->calibration_networks) {
      const auto timed = plan->calibration.ms.find({space.name(), space.ToString(genome), LatencyMetric(p)});
      if (network_space != &space || timed == plan->calibration.ms.end()) continue;
      calibration_specs.push_back(space.Decode(genome));
      alone_sums.push_back(model.Cost(genome));
      calibration_ms.push_back(timed->second);
    }
  }
  LayerCostFit fit;
  fit.alone_weight = 1;
  fit.feature_costs.assign(LayerFeatureNames().size(), 0.0);
  if (!calibration_specs.empty()) fit = FitLayerCosts(calibration_specs, alone_sums, calibration_ms);
  for (auto& [r, table] : plan->tables[p]) {
    files->tables[r] = TablePath(p, r);
    std::map<std::string, const LayerSpec*> layer_of;
    for (const KeyedLayer& k : layers.at(r)) layer_of[k.key] = &k.layer;
    for (auto& [key, entry] : table) {
      const auto found = layer_of.find(key);
      entry.median_ms = found == layer_of.end() ? entry.alone_ms : fit.Entry(entry.alone_ms, *found->second);
    }
    WriteMeasuredTable((folder / TablePath(p, r)).string(), table);
  }
  files->constants = fit.constants;
  return fit;
}

// profile.yaml: one metric per precision, fitted per resolution.
void FitAndWriteProfile(const MeasureOptions& o, const std::vector<SearchSpace>& spaces,
                        const LayersByResolution& layers, const fs::path& folder, MeasurementPlan* plan) {
  HardwareProfile info;
  info.device = o.device;
  info.description = fmt::format("{}, {}, {} intra-op thread(s)", CpuModel(), OrtDescription(), o.threads);
  info.kind = "cpu";
  info.runtime = OrtDescription();
  info.threads = o.threads;
  for (const SearchSpace& s : spaces) info.spaces.push_back(s.name());
  info.key_format = LutKeyFormat::kNative;
  info.source = fmt::format(
      "edgenas profile measure --runtime onnxruntime: one-layer ONNX models as the exporter writes them, batch 1, "
      "warm-up {}, at least {} runs and {} ms per layer; median less the cost of an empty run",
      o.timer.warmup_runs, o.timer.min_runs, o.timer.min_time_ms);
  std::map<std::string, MetricFiles> metrics;
  std::map<Precision, LayerCostFit> fits;
  for (Precision p : o.precisions) {
    fits[p] = FitPrecision(o, p, spaces, layers, info, folder, plan, &metrics[LatencyMetric(p)]);
  }
  std::string comment = fmt::format(
      "Written by `edgenas profile measure --runtime onnxruntime`: per-layer latency in ONNX Runtime on this\n"
      "machine; `latency` is the fp32 model, `latency_int8` the int8 QDQ model. Every timing is scaled to the\n"
      "speed at which the machine ran {} ({:.4f} ms). `alone` is a layer's median run as a\n"
      "model of its own, less an empty model's. `median`, the entry, is fitted on {} whole networks\n"
      "per space timed among the layers ({}): a non-negative combination of the time alone and the work\n"
      "the layer does, plus a constant per resolution (docs/latency.md):",
      ReferenceNetwork::kFile, plan->reference.ms, o.calibration_networks, kCalibrationFile);
  for (const auto& [p, fit] : fits) comment += fmt::format("\n  {}: {}", LatencyMetric(p), fit.Describe());
  WriteProfileYaml(folder.string(), info, metrics, comment);
}

}  // namespace

MeasureSummary MeasureOnnxRuntimeProfile(const MeasureOptions& o,
                                         const std::function<void(const MeasureProgress&)>& on_progress,
                                         MachineLoad* load) {
  const auto start = Clock::now();
  EDGENAS_THROW_IF_NOT_FMT(o.runtime == MeasureRuntime::kOnnxRuntime,
                           "MeasureOnnxRuntimeProfile times ONNX Runtime; MeasureProfile times LibTorch");
  const std::string missing = OnnxRuntimeMissing();
  EDGENAS_THROW_IF_NOT_FMT(missing.empty(), "cannot measure in ONNX Runtime: {}", missing);
  const CpuClock cpu_at_start = CpuClock::Now();
  const fs::path folder = fs::path(o.out_root) / o.device;

  std::vector<SearchSpace> spaces;
  for (const std::string& name : o.spaces) spaces.push_back(LoadSpace(name));
  const LayersByResolution layers = LayersToMeasure(spaces, o.resolutions);
  // The entries are fitted on the calibration networks: one unknown for the
  // time alone, one per layer feature, one constant per resolution.
  const int unknowns = static_cast<int>(1 + LayerFeatureNames().size() + layers.size());
  EDGENAS_THROW_IF_NOT_FMT(o.calibration_networks == 0 ||
                               o.calibration_networks * static_cast<int>(spaces.size()) >= unknowns,
                           "{} calibration networks cannot fit the {} unknowns of this profile's entries (one for "
                           "the time alone, {} layer features, one constant per resolution): give at least {}, or 0 "
                           "to use the layers' times alone",
                           o.calibration_networks * spaces.size(), unknowns, LayerFeatureNames().size(),
                           (unknowns + static_cast<int>(spaces.size()) - 1) / static_cast<int>(spaces.size()));
  const std::string aside = PrepareProfileFolder(o);

  MeasureSummary summary;
  summary.folder = folder.string();
  MeasurementPlan plan = PlanMeasurement(o, spaces, layers, folder, &summary);
  const std::vector<double> reference_ms = TimePlan(o, folder, start, on_progress, &plan, &summary);
  MachineLoad machine;
  machine.reference_spread = Spread(reference_ms);
  machine.reference_timings = static_cast<int>(reference_ms.size());
  CpuClock::Now().Since(cpu_at_start, &machine);
  if (load != nullptr) *load = machine;

  FitAndWriteProfile(o, spaces, layers, folder, &plan);
  if (!aside.empty()) fs::remove_all(aside);
  summary.seconds = SecondsSince(start);
  summary.blas = "ONNX Runtime's own kernels (MLAS)";
  return summary;
}

ValidationReport ValidateOnnxRuntimeProfile(const OnnxRuntimeValidation& v,
                                            const std::function<void(int done, int total)>& on_progress,
                                            MachineLoad* load) {
  const std::string missing = OnnxRuntimeMissing();
  EDGENAS_THROW_IF_NOT_FMT(missing.empty(), "cannot validate in ONNX Runtime: {}", missing);
  const CpuClock cpu_at_start = CpuClock::Now();
  MachineLoad machine;
  const HardwareProfile profile = LoadHardwareProfile(v.profile_folder);
  const SearchSpace space = LoadSpace(v.space);
  const std::string metric = LatencyMetric(v.precision);
  const auto found = profile.metrics.find(metric);
  EDGENAS_THROW_IF_NOT_FMT(found != profile.metrics.end(),
                           "profile '{}' has no metric '{}' (the {} latency); it has: {}", profile.device, metric,
                           PrecisionToString(v.precision), JoinStrings([&] {
                             std::vector<std::string> names;
                             for (const auto& [name, unused] : profile.metrics) names.push_back(name);
                             return names;
                           }()));
  std::vector<int> resolutions;
  for (int r : space.spec().resolutions) {
    if (found->second.ForResolution(r) != nullptr) resolutions.push_back(r);
  }
  EDGENAS_THROW_IF_NOT_FMT(!resolutions.empty(), "profile '{}' has no {} table for any resolution of space '{}'",
                           profile.device, metric, space.name());
  const LutCostModel model(space, profile, metric, {resolutions, v.interpolate_missing});
  const int threads = v.threads > 0 ? v.threads : std::max(1, profile.threads);

  // Timings are scaled to the speed the profile was measured at, by its
  // reference network timed among them (if it has one).
  const std::optional<ReferenceNetwork> kept =
      ReferenceNetwork::Read(v.profile_folder);
  Rng rng(v.seed);
  std::vector<Genome> genomes;
  for (int i = 0; i < v.count; ++i) genomes.push_back(SampleAt(space, resolutions, rng));
  ReferenceNetwork reference;
  if (kept) {
    reference = *kept;
  } else {
    reference = {space.name(), space.ToString(genomes[0]), space.Decode(genomes[0]), v.seed, 0};
  }
  ValidationReport report;
  report.estimated_entries = static_cast<int>(model.estimated().size());
  // Batches, so that progress shows and start-up stays a small share.
  constexpr int kBatch = 50;
  std::vector<double> reference_ms;
  for (int begin = 0; begin < v.count; begin += kBatch) {
    const int end = std::min(v.count, begin + kBatch);
    std::vector<WorkItem> batch;
    for (int i = begin; i < end; ++i) {
      batch.push_back({WorkItem::kNetwork, v.precision, 0, nullptr, &space, genomes[static_cast<size_t>(i)]});
    }
    const std::vector<OnnxRuntimeResult> results =
        TimeBatch(batch, reference, threads, v.timer, v.seed, &reference_ms);
    for (int i = begin; i < end; ++i) {
      const Genome& g = genomes[static_cast<size_t>(i)];
      const OnnxRuntimeResult& r = results[static_cast<size_t>(i - begin)];
      report.networks.push_back({space.ToString(g), model.Cost(g), AtReferenceSpeed(r.median_ms, r, reference.ms)});
      report.raw_measured_ms.push_back(r.median_ms);
    }
    on_progress(end, v.count);
  }
  if (kept && !reference_ms.empty()) report.speed_vs_profile = kept->ms / Median(reference_ms);
  machine.reference_spread = Spread(reference_ms);
  machine.reference_timings = static_cast<int>(reference_ms.size());
  CpuClock::Now().Since(cpu_at_start, &machine);
  if (load != nullptr) *load = machine;
  Summarize(&report);
  return report;
}

}  // namespace edgenas


namespace edgenas {

namespace {

// `count` different architectures at resolution r, spread over the range of
// MACs there: the quantiles of many random candidates.
std::vector<Genome> StratifiedAt(const SearchSpace& space, int resolution, int count, Rng& rng,
                                 std::set<std::string>* taken) {
  struct Candidate {
    int64_t macs;
    Genome genome;
  };
  std::vector<Candidate> candidates;
  for (int i = 0; i < std::max(200, 20 * count); ++i) {
    const Genome g = space.Canonical(SampleAt(space, {resolution}, rng));
    candidates.push_back({ComputeStats(space.Decode(g)).macs, g});
  }
  std::sort(candidates.begin(), candidates.end(), [](const Candidate& a, const Candidate& b) { return a.macs < b.macs; });
  std::vector<Genome> chosen;
  for (int i = 0; i < count; ++i) {
    // The (i + 0.5) / count quantile, or the next candidate not yet taken.
    size_t at = static_cast<size_t>((i + 0.5) / count * candidates.size());
    while (at < candidates.size() && taken->count(space.ToString(candidates[at].genome))) ++at;
    EDGENAS_THROW_IF_NOT_FMT(at < candidates.size(), "space '{}' has too few distinct networks at resolution {} for {}",
                             space.name(), resolution, count);
    taken->insert(space.ToString(candidates[at].genome));
    chosen.push_back(candidates[at].genome);
  }
  return chosen;
}

std::string SampleReadme(const SampleOptions& o, const SearchSpace& space, int files) {
  std::vector<std::string> precisions;
  for (Precision p : o.precisions) precisions.push_back(PrecisionToString(p));
  return fmt::format(R"(# Networks to time on your device

{files} ONNX models of {count} random networks of the space `{space}` ({precisions}), written by
`edgenas profile sample`. They are spread over the space's resolutions and, within
each, over its range of MACs. The weights are random: only the time matters.
Every model takes one input `input` of shape [batch, C, R, R] (float32, NCHW);
time it at batch 1.

## 1. Time each model on the device

Record the median latency of one batch-1 inference, in milliseconds, after a few
warm-up runs, with the number of threads you deploy with. For example:

- ONNX Runtime: `onnxruntime_perf_test -e cpu -x 1 -m times -r 200 -f batch:1 -I net_000.onnx`
  and take the P50 latency it prints (`-x`: intra-op threads; `-f batch:1` fixes the
  batch dimension; `-I` makes random inputs).
- TFLite: convert the model with your own toolchain, then
  `benchmark_model --graph=net_000.tflite --num_threads=1 --num_runs=200` and take the
  median of the inference timings.

Time all models the same way, on an idle device at a steady temperature; the order
does not matter.

## 2. Fill in manifest.csv

Write each median into the `latency_ms` column of its row. Rows left empty are
skipped, so you can fit on part of them.

## 3. Fit a hardware profile

    edgenas profile fit --space {space} --data manifest.csv --device my_device --model features{precision_flag}

It prints its cross-validated error. Then use `latency{metric_suffix}@my_device` in a recipe.
)",
                     fmt::arg("files", files), fmt::arg("count", o.count), fmt::arg("space", space.name()),
                     fmt::arg("precisions", JoinStrings(precisions)),
                     fmt::arg("precision_flag", o.precisions.size() == 1 && o.precisions[0] == Precision::kInt8
                                                    ? " --precision int8"
                                                    : ""),
                     fmt::arg("metric_suffix", o.precisions.size() == 1 && o.precisions[0] == Precision::kInt8
                                                   ? "_int8"
                                                   : ""));
}

}  // namespace

void SampleNetworks(const SampleOptions& o, const std::function<void(int done, int total)>& on_progress) {
  EDGENAS_THROW_IF_NOT_FMT(o.count >= 1, "SampleOptions::count = {}. Violated constraint: count >= 1", o.count);
  EDGENAS_THROW_IF_NOT_FMT(!o.precisions.empty(), "SampleOptions::precisions is empty. Violated constraint: at least one");
  EDGENAS_THROW_IF_NOT_FMT(!o.out.empty(), "SampleOptions::out is empty. Violated constraint: a folder to create");
  EDGENAS_THROW_IF_NOT_FMT(!PathExists(o.out), "{} already exists; give a new folder", o.out);
  const SearchSpace space = LoadSpace(o.space);
  const std::vector<int> resolutions = ResolutionsToMeasure(space, o.resolutions);

  Rng rng(o.seed);
  std::set<std::string> taken;
  std::vector<Genome> genomes;
  for (size_t i = 0; i < resolutions.size(); ++i) {
    const int at_r = o.count / static_cast<int>(resolutions.size()) +
                     (static_cast<int>(i) < o.count % static_cast<int>(resolutions.size()) ? 1 : 0);
    for (Genome& g : StratifiedAt(space, resolutions[i], at_r, rng, &taken)) genomes.push_back(std::move(g));
  }

  // Written into a fresh folder beside `out`, renamed to it when whole.
  const fs::path out = fs::absolute(o.out);
  fs::create_directories(out.parent_path());
  FreshFolder staging((out.parent_path() / ("." + out.filename().string() + ".partial-")).string());
  std::string manifest = "file,precision,arch,resolution,input,macs,params,latency_ms\n";
  const int total = static_cast<int>(genomes.size() * o.precisions.size());
  int done = 0;
  for (size_t i = 0; i < genomes.size(); ++i) {
    const NetworkSpec spec = space.Decode(genomes[i]);
    const NetworkStats stats = ComputeStats(spec);
    const std::string arch = space.ToString(genomes[i]);
    for (Precision p : o.precisions) {
      const std::string file = fmt::format("net_{:03}{}.onnx", i, p == Precision::kInt8 ? "_int8" : "");
      WriteOnnxModel(NetworkTimingModel(spec, p, o.seed + i, space.name(), arch), staging.path() + "/" + file);
      manifest += fmt::format("{},{},{},{},1x{}x{}x{},{},{},\n", file, PrecisionToString(p), arch, spec.resolution,
                              spec.input_channels, spec.resolution, spec.resolution, stats.macs, stats.params);
      on_progress(++done, total);
    }
  }
  WriteFileAtomically(staging.path() + "/manifest.csv", manifest);
  WriteFileAtomically(staging.path() + "/README.md", SampleReadme(o, space, total));
  fs::rename(staging.path(), out);
  staging.Keep();  // it is `out` now
}

}  // namespace edgenas
