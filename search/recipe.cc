#include "search/recipe.h"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <regex>

#include "common/error.h"
#include "common/file_util.h"
#include "common/text.h"
#include "common/yaml_reader.h"
#include "predictors/lut_cost_model.h"
#include "predictors/predictor_file.h"
#include "space/space_loader.h"

namespace edgenas {

namespace fs = std::filesystem;

const char* SearchAlgorithmToString(SearchAlgorithm algorithm) {
  switch (algorithm) {
    case SearchAlgorithm::kConstrainedEvolution: return "constrained_evolution";
    case SearchAlgorithm::kRegularizedEvolution: return "regularized_evolution";
    case SearchAlgorithm::kNsga2: return "nsga2";
    case SearchAlgorithm::kRandom: return "random";
    case SearchAlgorithm::kExhaustive: return "exhaustive";
  }
  return "?";
}

bool StringToSearchAlgorithm(const std::string& name, SearchAlgorithm* algorithm) {
  for (SearchAlgorithm candidate : {SearchAlgorithm::kConstrainedEvolution, SearchAlgorithm::kRegularizedEvolution,
                                    SearchAlgorithm::kNsga2, SearchAlgorithm::kRandom, SearchAlgorithm::kExhaustive}) {
    if (name == SearchAlgorithmToString(candidate)) {
      *algorithm = candidate;
      return true;
    }
  }
  return false;
}

std::string Metric::ToString() const {
  switch (kind) {
    case Kind::kAccuracy: return "accuracy";
    case Kind::kMacs: return "macs";
    case Kind::kParams: return "params";
    case Kind::kPeakMemory: return "peak_memory";
    case Kind::kLatency: return "latency@" + device;
    case Kind::kEnergy: return "energy@" + device;
  }
  return "?";
}

const char* Metric::Unit() const {
  switch (kind) {
    case Kind::kAccuracy: return "%";
    case Kind::kMacs: return "MACs";
    case Kind::kParams: return "parameters";
    case Kind::kPeakMemory: return "bytes";
    case Kind::kLatency: return "ms";
    case Kind::kEnergy: return "mJ";
  }
  return "?";
}

namespace {

const std::vector<std::string> kAlgorithms = {"constrained_evolution", "regularized_evolution", "nsga2", "random",
                                              "exhaustive"};

// Search keys and the algorithms they apply to (empty: all).
struct SearchKey {
  std::string name;
  std::vector<SearchAlgorithm> applies_to;
};

const std::vector<SearchKey>& SearchKeys() {
  using A = SearchAlgorithm;
  static const std::vector<SearchKey> keys = {
      {"algorithm", {}},
      {"population_size", {A::kConstrainedEvolution, A::kRegularizedEvolution, A::kNsga2}},
      {"generations", {A::kConstrainedEvolution, A::kRegularizedEvolution, A::kNsga2}},
      {"parent_ratio", {A::kConstrainedEvolution, A::kNsga2}},
      {"mutation_ratio", {A::kConstrainedEvolution, A::kNsga2}},
      {"mutation_probability", {A::kConstrainedEvolution, A::kRegularizedEvolution, A::kNsga2}},
      {"tournament_size", {A::kRegularizedEvolution}},
      {"max_resample_tries", {A::kConstrainedEvolution}},
      {"evaluations", {A::kRandom}},
      {"resolutions", {}},
  };
  return keys;
}

std::string DescribeAlgorithms(const std::vector<SearchAlgorithm>& algorithms) {
  std::vector<std::string> names;
  for (SearchAlgorithm a : algorithms) names.push_back(SearchAlgorithmToString(a));
  return JoinStrings(names, " and ");
}

SearchSettings ReadSearch(const YamlNode& node, const SearchSpace& space) {
  std::vector<std::string> known;
  for (const SearchKey& key : SearchKeys()) known.push_back(key.name);
  node.CheckKeys(known);
  SearchSettings s;
  StringToSearchAlgorithm(node.Get("algorithm").AsChoice(kAlgorithms), &s.algorithm);
  for (const SearchKey& key : SearchKeys()) {
    const auto value = node.Find(key.name);
    if (value && !key.applies_to.empty() &&
        std::find(key.applies_to.begin(), key.applies_to.end(), s.algorithm) == key.applies_to.end()) {
      value->Fail(fmt::format("'{}' applies to {} only, not to {}", key.name, DescribeAlgorithms(key.applies_to),
                              SearchAlgorithmToString(s.algorithm)));
    }
  }
  if (s.algorithm == SearchAlgorithm::kRegularizedEvolution) s.mutation_probability = 0.05;
  s.population_size = static_cast<int>(node.IntOr("population_size", s.population_size, 2, 1000000));
  s.generations = static_cast<int>(node.IntOr("generations", s.generations, 1, 10000000));
  s.parent_ratio = node.DoubleOr("parent_ratio", s.parent_ratio, 1e-9, 1.0);
  s.mutation_ratio = node.DoubleOr("mutation_ratio", s.mutation_ratio, 0.0, 1.0);
  s.mutation_probability = node.DoubleOr("mutation_probability", s.mutation_probability, 0.0, 1.0);
  s.max_resample_tries = static_cast<int>(node.IntOr("max_resample_tries", s.max_resample_tries, 1, 10000000));
  s.evaluations = node.IntOr("evaluations", s.evaluations, 1, int64_t{1} << 40);
  if (s.algorithm == SearchAlgorithm::kRegularizedEvolution) {
    s.tournament_size = static_cast<int>(node.IntOr("tournament_size", s.tournament_size, 2, s.population_size));
  }
  if (s.algorithm == SearchAlgorithm::kConstrainedEvolution || s.algorithm == SearchAlgorithm::kNsga2) {
    const int parents = static_cast<int>(s.parent_ratio * s.population_size);
    if (parents < 1) {
      node.Get("parent_ratio").Fail(fmt::format("'parent_ratio' {} keeps no parent of a population of {}",
                                                 s.parent_ratio, s.population_size));
    }
  }
  if (const auto resolutions = node.Find("resolutions")) {
    const std::vector<int>& allowed = space.spec().resolutions;
    for (const YamlNode& item : resolutions->Items()) {
      const int r = static_cast<int>(item.AsInt(1, 100000));
      if (std::find(allowed.begin(), allowed.end(), r) == allowed.end()) {
        item.Fail(fmt::format("resolution {} is not in space '{}' (its resolutions: {})", r, space.name(),
                              fmt::join(allowed, ", ")));
      }
      if (std::find(s.resolutions.begin(), s.resolutions.end(), r) != s.resolutions.end()) {
        item.Fail(fmt::format("resolution {} is listed twice", r));
      }
      s.resolutions.push_back(r);
    }
    if (s.resolutions.empty()) resolutions->Fail("'resolutions' is empty; omit it to use all of the space's");
    std::sort(s.resolutions.begin(), s.resolutions.end());
  }
  return s;
}

// A metric as written in the recipe, with the node to point errors at.
struct MetricUse {
  Metric metric;
  YamlNode node;
};

Metric ReadMetric(const YamlNode& node, const std::string& text) {
  static const std::vector<std::string> kPlain = {"accuracy", "macs", "params", "peak_memory"};
  const size_t at = text.find('@');
  Metric m;
  if (at == std::string::npos) {
    const auto found = std::find(kPlain.begin(), kPlain.end(), text);
    if (found == kPlain.end()) {
      std::vector<std::string> candidates = kPlain;
      candidates.insert(candidates.end(), {"latency", "energy"});
      const std::string suggestion = ClosestMatch(text, candidates);
      node.Fail(fmt::format("unknown metric '{}'{} (metrics: accuracy, macs, params, peak_memory, "
                            "latency@<device>, energy@<device>)",
                            text, suggestion.empty() ? "" : fmt::format(" (did you mean '{}'?)", suggestion)));
    }
    m.kind = static_cast<Metric::Kind>(found - kPlain.begin());
    return m;
  }
  const std::string quantity = text.substr(0, at);
  m.device = text.substr(at + 1);
  if (quantity == "latency") {
    m.kind = Metric::Kind::kLatency;
  } else if (quantity == "energy") {
    m.kind = Metric::Kind::kEnergy;
  } else {
    const std::string suggestion = ClosestMatch(quantity, {"latency", "energy"});
    node.Fail(fmt::format("unknown device metric '{}' in '{}'{} (device metrics: latency@<device>, energy@<device>)",
                          quantity, text, suggestion.empty() ? "" : fmt::format(" (did you mean '{}'?)", suggestion)));
  }
  if (m.device.empty() || !fs::exists(fs::path(BuiltinProfileFolder(m.device)) / "profile.yaml")) {
    node.Fail(fmt::format("unknown device '{}' in '{}': there is no hardware profile hw_profiles/{}/profile.yaml",
                          m.device, text, m.device));
  }
  return m;
}

std::vector<Objective> ReadObjectives(const YamlNode& node, std::vector<MetricUse>* uses) {
  node.CheckKeys({"maximize", "minimize"});
  std::vector<Objective> objectives;
  for (const auto& [key, value] : node.Entries()) {
    for (const YamlNode& item : value.Items()) {
      const Metric metric = ReadMetric(item, item.AsString());
      uses->push_back({metric, item});
      for (const Objective& previous : objectives) {
        if (previous.metric.ToString() == metric.ToString()) {
          item.Fail(fmt::format("objective '{}' is listed twice", metric.ToString()));
        }
      }
      objectives.push_back(Objective{metric, key.AsString() == "maximize"});
    }
  }
  if (objectives.empty()) node.Fail("'objectives' lists no metric; add 'maximize: [accuracy]' or 'minimize: [...]'");
  return objectives;
}

std::vector<Constraint> ReadConstraints(const YamlNode& node, std::vector<MetricUse>* uses) {
  std::vector<Constraint> constraints;
  for (const auto& [key, value] : node.Entries()) {
    Constraint c{ReadMetric(key, key.AsString()), std::nullopt, std::nullopt};
    uses->push_back({c.metric, key});
    value.CheckKeys({"min", "max"});
    if (const auto min = value.Find("min")) c.min = min->AsDouble(-1e300, 1e300);
    if (const auto max = value.Find("max")) c.max = max->AsDouble(-1e300, 1e300);
    if (!c.min && !c.max) value.Fail(fmt::format("constraint '{}' needs 'max' or 'min'", key.AsString()));
    if (c.min && c.max && *c.min > *c.max) {
      value.Fail(fmt::format("constraint '{}' has min {} above max {}", key.AsString(), *c.min, *c.max));
    }
    constraints.push_back(c);
  }
  return constraints;
}

ExportSettings ReadExport(const YamlNode& node) {
  node.CheckKeys({"dataset", "epochs", "quantization"});
  ExportSettings e;
  e.dataset = node.Get("dataset").AsChoice({"fashion_mnist"});
  e.epochs = static_cast<int>(node.IntOr("epochs", e.epochs, 0, 10000));
  if (const auto q = node.Find("quantization")) e.quantization = q->AsChoice({"int8_ptq", "int8_qat", "none"});
  return e;
}

// A path written in the recipe, relative to the recipe's folder.
std::string ResolvePath(const std::string& recipe_path, const std::string& path) {
  if (fs::path(path).is_absolute()) return path;
  return (fs::path(recipe_path).parent_path() / path).lexically_normal().string();
}

// Loads the recipe's space; `reference` receives the built-in name or resolved path.
SearchSpace ReadSpace(const YamlNode& node, const std::string& recipe_path, std::string* reference) {
  const std::string text = node.AsString();
  *reference = LooksLikePath(text) ? ResolvePath(recipe_path, text) : text;
  if (LooksLikePath(text) && !fs::exists(*reference)) {
    node.Fail(fmt::format("space file '{}' not found (looked for {})", text, *reference));
  }
  try {
    return LoadSpace(*reference);
  } catch (const Error& e) {
    if (LooksLikePath(text)) throw;  // the space file's own error already names its file and line
    node.Fail(e.what());
  }
}

// The devices listed under `interpolate_missing_costs`: each must be one of
// `used` (sorted), the devices the recipe's metrics name, and listed once.
std::vector<std::string> ReadInterpolatedDevices(const YamlNode& node, const std::vector<std::string>& used) {
  std::vector<std::string> devices;
  for (const YamlNode& item : node.Items()) {
    const std::string device = item.AsString();
    if (!std::binary_search(used.begin(), used.end(), device)) {
      item.Fail(fmt::format("'{}' in 'interpolate_missing_costs' is not a device the recipe's metrics use ({})", device,
                            used.empty() ? std::string("none does") : JoinStrings(used)));
    }
    if (std::find(devices.begin(), devices.end(), device) != devices.end()) {
      item.Fail(fmt::format("'{}' is listed twice in 'interpolate_missing_costs'", device));
    }
    devices.push_back(device);
  }
  std::sort(devices.begin(), devices.end());
  return devices;
}

// Every device metric must be costable for the searched space: the profile
// loads, has the metric and every key the space needs. Compiling the cost
// models here finds a missing key before any work starts; the search then
// uses them. Each device's latency is compiled too, when its profile has it.
void CompileDeviceMetrics(const std::vector<MetricUse>& uses, Recipe* recipe) {
  auto compile = [&](const Metric& metric) {
    if (recipe->cost_models.count(metric.ToString())) return;
    const char* table = metric.kind == Metric::Kind::kLatency ? "latency" : "energy";
    CostModelOptions options;
    options.interpolate_missing = std::binary_search(recipe->interpolate_missing_costs.begin(),
                                                     recipe->interpolate_missing_costs.end(), metric.device);
    const auto model =
        std::make_shared<const LutCostModel>(*recipe->search_space, recipe->profiles.at(metric.device), table, options);
    recipe->cost_models[metric.ToString()] = model;
    if (!model->estimated().empty()) {
      const EstimatedKey& first = model->estimated().front();
      recipe->warnings.push_back(fmt::format(
          "{}: {} table entr{} estimated from neighbours in channel count, e.g. {} (resolution {}) = {:.4g} {} from {}",
          metric.ToString(), model->estimated().size(), model->estimated().size() == 1 ? "y is" : "ies are", first.key,
          first.resolution, first.cost, model->unit(), JoinStrings(first.neighbours, " and ")));
    }
  };
  for (const MetricUse& use : uses) {
    if (use.metric.device.empty()) continue;
    try {
      if (!recipe->profiles.count(use.metric.device)) {
        recipe->profiles.emplace(use.metric.device, LoadBuiltinProfile(use.metric.device));
      }
      compile(use.metric);
      const Metric latency{Metric::Kind::kLatency, use.metric.device};
      if (recipe->profiles.at(use.metric.device).metrics.count("latency")) compile(latency);
    } catch (const Error& e) {
      use.node.Fail(fmt::format("'{}': {}", use.metric.ToString(), e.what()));
    }
  }
}

}  // namespace

Recipe LoadRecipe(const std::string& path) {
  const YamlNode root = YamlNode::LoadFile(path);
  if (!root.IsMap()) {
    root.Fail("a recipe must be a mapping with at least 'job', 'space', 'search' and 'objectives'");
  }
  root.CheckKeys({"job", "space", "seed", "search", "predictor", "objectives", "constraints", "interpolate_missing_costs",
                  "output", "export"});
  Recipe recipe;
  recipe.path = path;
  const YamlNode job = root.Get("job");
  recipe.job = job.AsString();
  if (!std::regex_match(recipe.job, std::regex("[A-Za-z0-9_.-]+"))) {
    job.Fail(fmt::format("job name '{}' may use only letters, digits, '_', '-' and '.' (it names the output folder)",
                         recipe.job));
  }
  const SearchSpace space = ReadSpace(root.Get("space"), path, &recipe.space);
  recipe.seed = static_cast<uint64_t>(root.IntOr("seed", 0, 0, (int64_t{1} << 32) - 1));
  recipe.search = ReadSearch(root.Get("search"), space);
  std::vector<MetricUse> uses;
  recipe.objectives = ReadObjectives(root.Get("objectives"), &uses);
  if (const auto constraints = root.Find("constraints")) recipe.constraints = ReadConstraints(*constraints, &uses);

  for (const MetricUse& use : uses) {
    const std::string& device = use.metric.device;
    if (!device.empty() && std::find(recipe.devices.begin(), recipe.devices.end(), device) == recipe.devices.end()) {
      recipe.devices.push_back(device);
    }
  }
  std::sort(recipe.devices.begin(), recipe.devices.end());
  if (const auto interpolate = root.Find("interpolate_missing_costs")) {
    recipe.interpolate_missing_costs = ReadInterpolatedDevices(*interpolate, recipe.devices);
  }
  recipe.search_space = std::make_shared<const SearchSpace>(space.WithResolutions(recipe.search.resolutions));
  CompileDeviceMetrics(uses, &recipe);

  const bool single_objective = recipe.search.algorithm != SearchAlgorithm::kNsga2;
  if (single_objective && recipe.objectives.size() != 1) {
    root.Get("objectives").Fail(fmt::format("{} optimises one objective, got {}; use constraints for the others, or nsga2",
                                            SearchAlgorithmToString(recipe.search.algorithm), recipe.objectives.size()));
  }
  if (!single_objective && recipe.objectives.size() < 2) {
    root.Get("objectives").Fail("nsga2 needs at least two objectives");
  }

  bool uses_accuracy = false;
  for (const MetricUse& use : uses) uses_accuracy |= use.metric.kind == Metric::Kind::kAccuracy;

  const auto predictor = root.Find("predictor");
  if (uses_accuracy && !predictor) root.Fail("the recipe uses 'accuracy', so it needs a 'predictor'");
  if (predictor) {
    // A shipped predictor's name, or a predictor folder relative to the recipe.
    const std::string text = predictor->AsString();
    try {
      recipe.predictor = ResolvePredictorFolder(text.find('/') != std::string::npos ? ResolvePath(path, text) : text);
      recipe.accuracy_predictor = LoadPredictor(recipe.predictor, *recipe.search_space).predictor;  // fits the space?
    } catch (const Error& e) {
      predictor->Fail(e.what());
    }
  }
  recipe.output_dir = root.StringOr("output", "results/" + recipe.job);
  if (const auto e = root.Find("export")) recipe.export_settings = ReadExport(*e);
  return recipe;
}

}  // namespace edgenas
