// A search job as the user writes it: recipes/*.yaml (schema: docs/recipes.md).
//
// LoadRecipe validates everything before any work starts: unknown keys, types,
// ranges, the space, the devices and the files named. Each fault is one line
// "file:line:column: what is wrong and what was expected" in an Error.
// This is the only place that reads recipes; the rest of edgenas sees the
// typed Recipe below.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "predictors/hardware_profile.h"
#include "space/search_space.h"

namespace edgenas {

class AccuracyPredictor;
class LutCostModel;

enum class SearchAlgorithm { kConstrainedEvolution, kRegularizedEvolution, kNsga2, kRandom, kExhaustive };
const char* SearchAlgorithmToString(SearchAlgorithm algorithm);
bool StringToSearchAlgorithm(const std::string& name, SearchAlgorithm* algorithm);

// A quantity the search can optimise or bound.
struct Metric {
  enum class Kind { kAccuracy, kMacs, kParams, kPeakMemory, kLatency, kEnergy };
  Kind kind = Kind::kAccuracy;
  std::string device;  // kLatency and kEnergy: the hardware profile's name

  // "accuracy", "macs", "params", "peak_memory", "latency@note10", "energy@jetson_tx2"
  std::string ToString() const;
  // Units as shown to users: "%", "MACs", "parameters", "bytes", "ms", "mJ".
  const char* Unit() const;
};

struct Objective {
  Metric metric;
  bool maximize = false;
};

// min <= metric <= max; at least one bound is set.
struct Constraint {
  Metric metric;
  std::optional<double> min;
  std::optional<double> max;
};

struct SearchSettings {
  SearchAlgorithm algorithm = SearchAlgorithm::kConstrainedEvolution;
  int population_size = 100;          // evolutionary algorithms, >= 2
  int generations = 500;              // evolutionary algorithms, >= 1
  double parent_ratio = 0.25;         // constrained_evolution, nsga2: share of the population kept as parents, (0, 1]
  double mutation_ratio = 0.5;        // constrained_evolution, nsga2: share of children made by mutation, [0, 1]
  double mutation_probability = 0.1;  // per gene, [0, 1]; default 0.05 for regularized_evolution
  int tournament_size = 25;           // regularized_evolution: candidates per tournament, 2..population_size
  int max_resample_tries = 500;       // constrained_evolution: tries to find a feasible child before giving up
  int64_t evaluations = 10000;        // random: architectures to sample
  std::vector<int> resolutions;       // restricts the space's resolutions; empty = all
};

struct ExportSettings {
  std::string dataset = "fashion_mnist";
  int epochs = 5;
  std::string quantization = "int8_ptq";  // int8_ptq | int8_qat | none
};

struct Recipe {
  std::string path;        // the recipe file
  std::string job;         // name of the job; default output folder results/<job>
  std::string space;       // built-in space name or resolved path of a space file
  uint64_t seed = 0;
  SearchSettings search;
  std::string predictor;   // predictor folder; empty if no accuracy metric is used
  std::vector<Objective> objectives;
  std::vector<Constraint> constraints;
  std::vector<std::string> devices;  // every device named by a metric, sorted, once each
  std::map<std::string, HardwareProfile> profiles;  // each device's profile, loaded and checked
  // Devices whose missing table entries may be estimated from their neighbours
  // in channel count (predictors/lut_interpolation.h); sorted.
  std::vector<std::string> interpolate_missing_costs;
  std::string output_dir;
  std::optional<ExportSettings> export_settings;

  // What checking the recipe loaded, shared by its copies, so that nothing is
  // loaded twice: the space restricted to the recipe's resolutions (what the
  // search samples), the predictor (null if the recipe names none), and a
  // cost model compiled for that space per device metric, by
  // Metric::ToString(): every metric the recipe names, and each device's
  // latency (reports show it).
  std::shared_ptr<const SearchSpace> search_space;
  std::shared_ptr<const AccuracyPredictor> accuracy_predictor;
  std::map<std::string, std::shared_ptr<const LutCostModel>> cost_models;

  // What the user should know before trusting the results, one line each:
  // table entries estimated rather than read.
  std::vector<std::string> warnings;
};

// Throws Error on the first fault found.
Recipe LoadRecipe(const std::string& path);


}  // namespace edgenas
