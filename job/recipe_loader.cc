// LoadRecipe: recipe YAML -> Recipe. Checks what can be checked without
// loading the things the recipe names (job/job.cc loads them).
#include <fmt/format.h>

#include <algorithm>
#include <filesystem>

#include "accuracy/predictor_file.h"
#include "common/error.h"
#include "common/file_util.h"
#include "common/text.h"
#include "common/yaml_reader.h"
#include "cost/hardware_profile.h"
#include "job/recipe.h"
#include "space/space_loader.h"

namespace edgenas {

namespace fs = std::filesystem;

namespace {

struct MetricKindName {
  Metric::Kind kind;
  const char* name;
  bool per_device;  // written "<name>@<device>"
};

constexpr MetricKindName kMetricKinds[] = {
    {Metric::Kind::kAccuracy, "accuracy", false}, {Metric::Kind::kMacs, "macs", false},
    {Metric::Kind::kParams, "params", false},     {Metric::Kind::kPeakMemory, "peak_memory", false},
    {Metric::Kind::kLatency, "latency", true},    {Metric::Kind::kLatencyInt8, "latency_int8", true},
    {Metric::Kind::kEnergy, "energy", true},
};

constexpr std::pair<Quantization, const char*> kQuantizations[] = {
    {Quantization::kInt8Ptq, "int8_ptq"}, {Quantization::kInt8Qat, "int8_qat"}, {Quantization::kNone, "none"}};

}  // namespace

const char* MetricKindToString(Metric::Kind kind) {
  for (const MetricKindName& k : kMetricKinds) {
    if (k.kind == kind) return k.name;
  }
  return "?";
}

bool StringToMetricKind(const std::string& name, Metric::Kind* kind) {
  for (const MetricKindName& k : kMetricKinds) {
    if (name == k.name) {
      *kind = k.kind;
      return true;
    }
  }
  return false;
}

std::string Metric::ToString() const {
  return IsDeviceMetric() ? fmt::format("{}@{}", MetricKindToString(kind), device) : MetricKindToString(kind);
}

const char* Metric::Unit() const {
  switch (kind) {
    case Kind::kAccuracy: return "%";
    case Kind::kMacs: return "MACs";
    case Kind::kParams: return "parameters";
    case Kind::kPeakMemory: return "bytes";
    case Kind::kLatency:
    case Kind::kLatencyInt8: return "ms";
    case Kind::kEnergy: return "mJ";
  }
  return "?";
}

const char* QuantizationToString(Quantization quantization) {
  for (const auto& [q, name] : kQuantizations) {
    if (q == quantization) return name;
  }
  return "?";
}

bool StringToQuantization(const std::string& name, Quantization* quantization) {
  for (const auto& [q, q_name] : kQuantizations) {
    if (name == q_name) {
      *quantization = q;
      return true;
    }
  }
  return false;
}

std::vector<std::pair<Metric, SourceLocation>> Recipe::NamedMetrics() const {
  std::vector<std::pair<Metric, SourceLocation>> named;
  for (const Objective& o : objectives) named.emplace_back(o.metric, o.location);
  for (const Constraint& c : constraints) named.emplace_back(c.metric, c.location);
  return named;
}

bool Recipe::UsesMetric(Metric::Kind kind) const {
  for (const auto& [metric, location] : NamedMetrics()) {
    if (metric.kind == kind) return true;
  }
  return false;
}

namespace {

// The search keys a recipe may hold: SearchStrategy::Options' fields, and
// `resolutions`, which restricts the space.
const std::vector<std::string> kSearchOptionKeys = {"population_size",      "generations",     "parent_ratio",
                                                    "mutation_ratio",       "mutation_probability",
                                                    "mutation",             "tournament_size",
                                                    "max_resample_tries",   "evaluations"};

// "constrained_evolution and nsga2": the algorithms that read `option`.
std::string AlgorithmsUsing(const std::string& option) {
  std::vector<std::string> names;
  for (const std::string& name : SearchAlgorithmNames()) {
    SearchAlgorithm algorithm;
    StringToSearchAlgorithm(name, &algorithm);
    if (SearchStrategy::UsesOption(algorithm, option)) names.push_back(name);
  }
  return JoinStrings(names, " and ");
}

void ReadResolutions(const YamlNode& node, Recipe* recipe) {
  for (const YamlNode& item : node.Items()) {
    const int r = static_cast<int>(item.AsInt(1, 100000));
    if (recipe->resolution_locations.count(r)) item.Fail(fmt::format("resolution {} is listed twice", r));
    recipe->resolutions.push_back(r);
    recipe->resolution_locations[r] = item.location();
  }
  if (recipe->resolutions.empty()) node.Fail("'resolutions' is empty; omit it to use all of the space's");
  std::sort(recipe->resolutions.begin(), recipe->resolutions.end());
}

void ReadSearch(const YamlNode& node, Recipe* recipe) {
  std::vector<std::string> known = {"algorithm", "resolutions"};
  known.insert(known.end(), kSearchOptionKeys.begin(), kSearchOptionKeys.end());
  node.CheckKeys(known);
  SearchAlgorithm algorithm;
  StringToSearchAlgorithm(node.Get("algorithm").AsChoice(SearchAlgorithmNames()), &algorithm);
  for (const std::string& key : kSearchOptionKeys) {
    const auto value = node.Find(key);
    if (value && !SearchStrategy::UsesOption(algorithm, key)) {
      value->Fail(fmt::format("'{}' applies to {} only, not to {}", key, AlgorithmsUsing(key),
                              SearchAlgorithmToString(algorithm)));
    }
  }
  SearchStrategy::Options& s = recipe->search;
  s = SearchStrategy::Options::ForAlgorithm(algorithm);
  s.population_size = static_cast<int>(node.IntOr("population_size", s.population_size, 2, 1000000));
  s.generations = static_cast<int>(node.IntOr("generations", s.generations, 1, 10000000));
  s.parent_ratio = node.DoubleOr("parent_ratio", s.parent_ratio, 1e-9, 1.0);
  s.mutation_ratio = node.DoubleOr("mutation_ratio", s.mutation_ratio, 0.0, 1.0);
  s.mutation_probability = node.DoubleOr("mutation_probability", s.mutation_probability, 0.0, 1.0);
  if (const auto mutation = node.Find("mutation")) {
    StringToMutationScope(mutation->AsChoice({MutationScopeToString(MutationScope::kPerGene),
                                              MutationScopeToString(MutationScope::kPerBlock)}),
                          &s.mutation);
  }
  s.max_resample_tries = static_cast<int>(node.IntOr("max_resample_tries", s.max_resample_tries, 1, 10000000));
  s.evaluations = node.IntOr("evaluations", s.evaluations, 1, kMaxEvaluations);
  if (SearchStrategy::IsMultiObjective(algorithm) && s.population_size > kMaxMultiObjectivePopulation) {
    node.Get("population_size")
        .Fail(fmt::format("'population_size' {} is above {}, the most {} sorts in reasonable memory",
                          s.population_size, kMaxMultiObjectivePopulation, SearchAlgorithmToString(algorithm)));
  }
  if (SearchStrategy::UsesOption(algorithm, "tournament_size")) {
    s.tournament_size = static_cast<int>(node.IntOr("tournament_size", s.tournament_size, 2, s.population_size));
  }
  if (SearchStrategy::UsesOption(algorithm, "parent_ratio") && static_cast<int>(s.parent_ratio * s.population_size) < 1) {
    node.Get("parent_ratio").Fail(fmt::format("'parent_ratio' {} keeps no parent of a population of {}",
                                               s.parent_ratio, s.population_size));
  }
  if (const auto resolutions = node.Find("resolutions")) ReadResolutions(*resolutions, recipe);
}

Metric ReadMetric(const YamlNode& node, const std::string& text) {
  const size_t at = text.find('@');
  const std::string quantity = text.substr(0, at);
  Metric m;
  const bool known = StringToMetricKind(quantity, &m.kind);
  if (at == std::string::npos) {
    if (!known || m.IsDeviceMetric()) {
      const std::string suggestion =
          ClosestMatch(text, {"accuracy", "macs", "params", "peak_memory", "latency", "latency_int8", "energy"});
      node.Fail(fmt::format("unknown metric '{}'{} (metrics: accuracy, macs, params, peak_memory, "
                            "latency@<device>, latency_int8@<device>, energy@<device>)",
                            text, suggestion.empty() ? "" : fmt::format(" (did you mean '{}'?)", suggestion)));
    }
    return m;
  }
  if (!known || !m.IsDeviceMetric()) {
    const std::string suggestion = ClosestMatch(quantity, {"latency", "latency_int8", "energy"});
    node.Fail(fmt::format("unknown device metric '{}' in '{}'{} (device metrics: latency@<device>, latency_int8@<device>, energy@<device>)",
                          quantity, text, suggestion.empty() ? "" : fmt::format(" (did you mean '{}'?)", suggestion)));
  }
  m.device = text.substr(at + 1);
  if (!IsSafeName(m.device)) {
    node.Fail(fmt::format("device '{}' in '{}' is not a name: letters, digits, '_', '-' and '.', not '.' or '..'",
                          Printable(m.device), Printable(text)));
  }
  if (!PathExists(fs::path(BuiltinProfileFolder(m.device)) / "profile.yaml")) {
    node.Fail(fmt::format("unknown device '{}' in '{}': there is no hardware profile hw_profiles/{}/profile.yaml",
                          m.device, text, m.device));
  }
  return m;
}

std::vector<Objective> ReadObjectives(const YamlNode& node) {
  node.CheckKeys({"maximize", "minimize"});
  std::vector<Objective> objectives;
  for (const auto& [key, value] : node.Entries()) {
    for (const YamlNode& item : value.Items()) {
      const Metric metric = ReadMetric(item, item.AsString());
      for (const Objective& previous : objectives) {
        if (previous.metric == metric) item.Fail(fmt::format("objective '{}' is listed twice", metric.ToString()));
      }
      objectives.push_back(Objective{metric, key.AsString() == "maximize", item.location()});
    }
  }
  if (objectives.empty()) node.Fail("'objectives' lists no metric; add 'maximize: [accuracy]' or 'minimize: [...]'");
  return objectives;
}

std::vector<Constraint> ReadConstraints(const YamlNode& node) {
  std::vector<Constraint> constraints;
  for (const auto& [key, value] : node.Entries()) {
    Constraint c{ReadMetric(key, key.AsString()), std::nullopt, std::nullopt, key.location()};
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
  node.CheckKeys({"dataset", "epochs", "quantization", "teacher"});
  ExportSettings e;
  e.location = node.location();
  e.dataset = node.Get("dataset").AsChoice({"fashion_mnist"});
  e.epochs = static_cast<int>(node.IntOr("epochs", e.epochs, 0, 10000));
  if (const auto q = node.Find("quantization")) {
    StringToQuantization(q->AsChoice({"int8_ptq", "int8_qat", "none"}), &e.quantization);
  }
  if (const auto t = node.Find("teacher")) {  // checked against the space by Job, which loads it
    e.teacher = t->AsString();
    e.teacher_location = t->location();
    if (e.epochs == 0) t->Fail("a teacher needs training: epochs is 0");
  }
  return e;
}

// A path written in the recipe, relative to the recipe's folder.
std::string ResolvePath(const std::string& recipe_path, const std::string& path) {
  if (fs::path(path).is_absolute()) return path;
  return (fs::path(recipe_path).parent_path() / path).lexically_normal().string();
}

// The recipe's space: a built-in name (checked to exist) or a path relative to the recipe.
std::string ReadSpaceReference(const YamlNode& node, const std::string& recipe_path) {
  const std::string text = node.AsString();
  if (!LooksLikePath(text)) {
    try {
      SpaceFile(text);  // throws for an unknown name
      return text;
    } catch (const Error& e) {
      node.Fail(e.what());
    }
  }
  const std::string path = ResolvePath(recipe_path, text);
  if (!PathExists(path)) {
    node.Fail(fmt::format("space file '{}' not found (looked for {})", Printable(text), Printable(path, 200)));
  }
  return path;
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

void CheckObjectiveCount(const YamlNode& node, const Recipe& recipe) {
  const SearchAlgorithm algorithm = recipe.search.algorithm;
  if (!SearchStrategy::IsMultiObjective(algorithm) && recipe.objectives.size() != 1) {
    node.Fail(fmt::format("{} optimises one objective, got {}; use constraints for the others, or nsga2",
                          SearchAlgorithmToString(algorithm), recipe.objectives.size()));
  }
  if (SearchStrategy::IsMultiObjective(algorithm) && recipe.objectives.size() < 2) {
    node.Fail(fmt::format("{} needs at least two objectives", SearchAlgorithmToString(algorithm)));
  }
}

// A shipped predictor's name, or a predictor folder relative to the recipe.
std::string ReadPredictor(const YamlNode& node, const std::string& recipe_path) {
  const std::string text = node.AsString();
  try {
    return ResolvePredictorFolder(text.find('/') != std::string::npos ? ResolvePath(recipe_path, text) : text);
  } catch (const Error& e) {
    node.Fail(e.what());
  }
}

// The recipe's output folder: relative to the folder edgenas runs in, and
// inside it. A recipe is a file that may come from anyone; writing elsewhere
// takes the user's own --output on the command line.
std::string ReadOutput(const YamlNode& node) {
  const std::string text = node.AsString();
  const fs::path path = fs::path(text).lexically_normal();
  const bool inside = !text.empty() && path.is_relative() && !path.empty() && *path.begin() != ".." && path != ".";
  if (!inside) {
    node.Fail(fmt::format("'output' must be a folder inside the one edgenas runs in, got '{}'; pass --output on the "
                          "command line to write elsewhere",
                          Printable(text)));
  }
  return path.string();
}

}  // namespace

Recipe LoadRecipe(const std::string& path) {
  const std::string text = ReadFile(path);
  const YamlNode root = YamlNode::LoadString(text, path);
  if (!root.IsMap()) {
    root.Fail("a recipe must be a mapping with at least 'job', 'space', 'search' and 'objectives'");
  }
  root.CheckKeys({"job", "space", "seed", "search", "predictor", "objectives", "constraints", "interpolate_missing_costs",
                  "output", "export"});
  Recipe recipe;
  recipe.path = path;
  recipe.fingerprint = Fingerprint(text);
  const YamlNode job = root.Get("job");
  recipe.job = job.AsString();
  if (!IsSafeName(recipe.job)) {
    job.Fail(fmt::format("job name '{}' may use only letters, digits, '_', '-' and '.', at most 255 of them, and is "
                         "not '.' or '..' (it names the output folder)",
                         Printable(recipe.job)));
  }
  const YamlNode space = root.Get("space");
  recipe.space = ReadSpaceReference(space, path);
  recipe.space_location = space.location();
  recipe.seed = static_cast<uint64_t>(root.IntOr("seed", 0, 0, (int64_t{1} << 32) - 1));
  ReadSearch(root.Get("search"), &recipe);
  recipe.objectives = ReadObjectives(root.Get("objectives"));
  if (const auto constraints = root.Find("constraints")) recipe.constraints = ReadConstraints(*constraints);
  for (const auto& [metric, location] : recipe.NamedMetrics()) {
    if (metric.IsDeviceMetric()) recipe.devices.push_back(metric.device);
  }
  std::sort(recipe.devices.begin(), recipe.devices.end());
  recipe.devices.erase(std::unique(recipe.devices.begin(), recipe.devices.end()), recipe.devices.end());
  if (const auto interpolate = root.Find("interpolate_missing_costs")) {
    recipe.interpolate_missing_costs = ReadInterpolatedDevices(*interpolate, recipe.devices);
  }
  CheckObjectiveCount(root.Get("objectives"), recipe);
  const auto predictor = root.Find("predictor");
  if (recipe.UsesMetric(Metric::Kind::kAccuracy) && !predictor) {
    root.Fail("the recipe uses 'accuracy', so it needs a 'predictor'");
  }
  if (predictor) {
    recipe.predictor = ReadPredictor(*predictor, path);
    recipe.predictor_location = predictor->location();
  }
  recipe.output_dir = "results/" + recipe.job;
  if (const auto output = root.Find("output")) recipe.output_dir = ReadOutput(*output);
  if (const auto e = root.Find("export")) recipe.export_settings = ReadExport(*e);
  return recipe;
}

}  // namespace edgenas
