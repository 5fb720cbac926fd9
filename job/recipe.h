// A job as the user writes it: recipes/*.yaml (schema: docs/recipes.md), read
// into plain, typed data.
//
//   recipe.yaml --LoadRecipe--> Recipe (this file: values, enums, source locations)
//               --Job(recipe)--> space, scorers, warnings (job/job.h)
//
// LoadRecipe checks everything it can without loading the things the recipe
// names: unknown keys, types, ranges, names, which options suit the algorithm,
// that named files exist. Loading the space, profiles and predictor, and the
// faults only they reveal, belong to Job, which points its errors at the
// recipe lines kept here. This is the only reader of recipes; nothing
// downstream sees YAML.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/source_location.h"
#include "search/search_strategy.h"

namespace edgenas {

// A quantity the search can optimise or bound.
struct Metric {
  enum class Kind { kAccuracy, kMacs, kParams, kPeakMemory, kLatency, kLatencyInt8, kEnergy };
  Kind kind = Kind::kAccuracy;
  // kLatency, kLatencyInt8 (the int8 model's latency) and kEnergy: the hardware profile's name
  std::string device;

  // "accuracy", "macs", "params", "peak_memory", "latency@note10", "latency_int8@host_cpu",
  // "energy@jetson_tx2"
  std::string ToString() const;
  // Units as shown to users: "%", "MACs", "parameters", "bytes", "ms", "mJ".
  const char* Unit() const;
  bool IsDeviceMetric() const {
    return kind == Kind::kLatency || kind == Kind::kLatencyInt8 || kind == Kind::kEnergy;
  }
  bool operator==(const Metric& other) const { return kind == other.kind && device == other.device; }
};

// The name of a metric kind as recipes write it ("peak_memory"; "latency" and
// "latency_int8", "energy" before '@<device>'; as device metrics, also the
// hardware profile's metric names). StringToMetricKind returns false for other names.
const char* MetricKindToString(Metric::Kind kind);
bool StringToMetricKind(const std::string& name, Metric::Kind* kind);

struct Objective {
  Metric metric;
  bool maximize = false;
  SourceLocation location;  // where the recipe names the metric
};

// min <= metric <= max; at least one bound is set.
struct Constraint {
  Metric metric;
  std::optional<double> min;
  std::optional<double> max;
  SourceLocation location;  // the constraint's key
};

enum class Quantization { kInt8Ptq, kInt8Qat, kNone };
const char* QuantizationToString(Quantization quantization);
bool StringToQuantization(const std::string& name, Quantization* quantization);

// The recipe's `export:` section: what to do with the winner once found.
struct ExportSettings {
  std::string dataset = "fashion_mnist";
  int epochs = 5;
  Quantization quantization = Quantization::kInt8Ptq;
  // A network of the space (arch string) trained first with the same schedule
  // and distilled into the chosen one; empty: no distillation.
  std::string teacher;
  SourceLocation teacher_location;
  SourceLocation location;  // the section
};

struct Recipe {
  std::string path;         // the recipe file
  std::string fingerprint;  // of the file's bytes, taken when it was read (checkpoints compare it)
  std::string job;          // name of the job; default output folder results/<job>
  std::string space;        // built-in space name, or the resolved path of a space file
  SourceLocation space_location;
  uint64_t seed = 0;
  SearchStrategy::Options search;
  // Restricts the space's resolutions (sorted); empty = all. Each resolution's
  // place in the recipe, for the error if the space lacks it.
  std::vector<int> resolutions;
  std::map<int, SourceLocation> resolution_locations;
  std::string predictor;  // shipped predictor name or predictor folder; empty if none
  SourceLocation predictor_location;
  std::vector<Objective> objectives;
  std::vector<Constraint> constraints;
  std::vector<std::string> devices;  // every device named by a metric, sorted, once each
  // Devices whose missing table entries may be estimated from their neighbours
  // in channel count (cost/lut_interpolation.h); sorted.
  std::vector<std::string> interpolate_missing_costs;
  std::string output_dir;
  std::optional<ExportSettings> export_settings;

  // Every metric the recipe names (objectives, then constraints), with where.
  std::vector<std::pair<Metric, SourceLocation>> NamedMetrics() const;
  bool UsesMetric(Metric::Kind kind) const;
};

// Reads and checks a recipe. Throws Error "file:line:column: what is wrong and
// what was expected" on the first fault found.
Recipe LoadRecipe(const std::string& path);

}  // namespace edgenas
