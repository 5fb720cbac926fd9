#include "search/search_engine.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <limits>
#include <numeric>

#include "common/error.h"
#include "common/file_util.h"
#include "common/rng.h"
#include "common/text.h"
#include "search/pareto.h"

namespace edgenas {

namespace fs = std::filesystem;

namespace {

constexpr int kCheckpointFormat = 1;
constexpr int kRegularizedBatch = AccuracyPredictor::kTile;  // children scored together
constexpr double kInfinity = std::numeric_limits<double>::infinity();

std::string GenesToHex(const Genome& g) {
  std::string out;
  for (uint8_t gene : g.genes) out += fmt::format("{:02x}", gene);
  return out;
}

Genome HexToGenes(const std::string& hex, const SearchSpace& space) {
  Genome g;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) g.genes.push_back(static_cast<uint8_t>(std::stoi(hex.substr(i, 2), nullptr, 16)));
  std::string why;
  EDGENAS_THROW_IF_NOT_FMT(hex.size() % 2 == 0 && space.IsValid(g, &why), "checkpoint holds a genome '{}' that does not fit space '{}': {}", hex, space.name(), why);
  return g;
}

nlohmann::json HistoryToJson(const HistoryRow& r) {
  return {r.generation, r.evaluations, r.best, r.mean, r.hypervolume, r.front_size};
}

HistoryRow HistoryFromJson(const nlohmann::json& j) {
  HistoryRow r;
  r.generation = j.at(0).get<int>();
  r.evaluations = j.at(1).get<int64_t>();
  r.best = j.at(2).get<double>();
  r.mean = j.at(3).get<double>();
  r.hypervolume = j.at(4).get<double>();
  r.front_size = j.at(5).get<int>();
  return r;
}

}  // namespace

struct SearchEngine::State {
  Rng rng{0};
  int generation = 0;  // generations completed
  std::vector<Genome> population;
  Genome best;
  bool has_best = false;
  std::vector<HistoryRow> history;
  int64_t evaluations = 0;
  std::vector<double> objective_low, objective_high;  // nsga2: normalisation for the hypervolume
  double previous_seconds = 0;                       // wall time of earlier runs of this job
};

SearchEngine::SearchEngine(const Recipe& recipe, const SearchSpace& space, Evaluator& evaluator, SearchOptions options)
    : recipe_(recipe), space_(space), evaluator_(evaluator), options_(std::move(options)) {
  recipe_fingerprint_ = Fingerprint(ReadFile(recipe.path));
}

int SearchEngine::TotalGenerations() const {
  const SearchSettings& s = recipe_.search;
  switch (s.algorithm) {
    case SearchAlgorithm::kRandom: return static_cast<int>((s.evaluations + s.population_size - 1) / s.population_size);
    case SearchAlgorithm::kExhaustive: return 1;
    default: return s.generations;
  }
}

std::vector<int> SearchEngine::FrontMetrics() const {
  std::vector<int> metrics;
  for (const Objective& o : recipe_.objectives) metrics.push_back(evaluator_.MetricIndex(o.metric));
  if (metrics.size() == 1 && !recipe_.constraints.empty()) {
    metrics.push_back(evaluator_.MetricIndex(recipe_.constraints.front().metric));
  }
  return metrics;
}

// Minimised: maximised objectives are negated; a broken constraint is worst.
std::vector<double> SearchEngine::ObjectiveVector(const Scores& s) const {
  std::vector<double> v;
  for (const Objective& o : recipe_.objectives) {
    const double value = s.values[evaluator_.MetricIndex(o.metric)];
    v.push_back(!s.feasible ? kInfinity : o.maximize ? -value : value);
  }
  return v;
}

// ---- Making candidates -------------------------------------------------------

void SearchEngine::ExplainInfeasible(int violated) const {
  // The smallest (or largest) value of the broken constraint's metric found by
  // coordinate descent from the first genome: each gene in turn takes its best
  // value, until a pass changes nothing.
  const Constraint& c = recipe_.constraints[violated];
  const int metric = evaluator_.MetricIndex(c.metric);
  const bool lower = c.max.has_value();
  Genome g = space_.Canonical(Genome{std::vector<uint8_t>(space_.genes().size(), 0)});
  double best = evaluator_.CostValue(g, metric);
  for (bool changed = true; changed;) {
    changed = false;
    for (size_t gene = 0; gene < space_.genes().size(); ++gene) {
      for (int value = 0; value < space_.genes()[gene].cardinality; ++value) {
        Genome trial = g;
        trial.genes[gene] = static_cast<uint8_t>(value);
        const double v = evaluator_.CostValue(trial, metric);
        if (lower ? v < best : v > best) {
          best = v;
          g = trial;
          changed = true;
        }
      }
    }
  }
  const std::string bound = c.max ? fmt::format("<= {:g}", *c.max) : fmt::format(">= {:g}", *c.min);
  EDGENAS_THROW_FMT(
      "no feasible network found in {} random tries: '{} {}' is (nearly) out of reach. The {} {} found in space '{}' "
      "is {:.6g} {} ({}); relax the budget",
      recipe_.search.max_resample_tries, c.metric.ToString(), bound, lower ? "smallest" : "largest",
      c.metric.ToString(), space_.name(), best, c.metric.Unit(), space_.ToString(g));
}

Genome SearchEngine::SampleFeasible(State& s) const {
  std::vector<int> broken(recipe_.constraints.size(), 0);
  for (int attempt = 0; attempt < recipe_.search.max_resample_tries; ++attempt) {
    Genome g = space_.Sample(s.rng);
    int violated = -1;
    if (evaluator_.MeetsCostConstraints(g, &violated)) return g;
    ++broken[violated];
  }
  ExplainInfeasible(static_cast<int>(std::max_element(broken.begin(), broken.end()) - broken.begin()));
}

// A child that breaks a cost constraint is remade; after max_resample_tries
// failures the parent itself is the child (it is feasible).
Genome SearchEngine::MutateFeasible(State& s, const Genome& parent, double probability) const {
  for (int attempt = 0; attempt < recipe_.search.max_resample_tries; ++attempt) {
    Genome child = parent;
    space_.Mutate(&child, probability, s.rng);
    if (evaluator_.MeetsCostConstraints(child)) return child;
  }
  return parent;
}

Genome SearchEngine::CrossoverFeasible(State& s, const Genome& a, const Genome& b) const {
  for (int attempt = 0; attempt < recipe_.search.max_resample_tries; ++attempt) {
    Genome child = space_.Crossover(a, b, s.rng);
    if (evaluator_.MeetsCostConstraints(child)) return child;
  }
  return a;
}

// population_size children, scored: mutation_ratio of them mutate a parent
// from `pick`, the others cross two.
std::vector<Genome> SearchEngine::MakeChildren(State& s, const std::function<const Genome&()>& pick) {
  const SearchSettings& o = recipe_.search;
  const int mutations = static_cast<int>(std::lround(o.mutation_ratio * o.population_size));
  std::vector<Genome> children;
  for (int i = 0; i < mutations; ++i) children.push_back(MutateFeasible(s, pick(), o.mutation_probability));
  for (int i = mutations; i < o.population_size; ++i) {
    const Genome a = pick();
    children.push_back(CrossoverFeasible(s, a, pick()));
  }
  evaluator_.Score(children);
  s.evaluations += static_cast<int64_t>(children.size());
  return children;
}

// ---- The algorithms --------------------------------------------------------

void SearchEngine::Initialize(State& s) {
  s.rng = Rng(recipe_.seed);
  const SearchSettings& settings = recipe_.search;
  // Random and exhaustive search start from nothing.
  if (settings.algorithm == SearchAlgorithm::kExhaustive || settings.algorithm == SearchAlgorithm::kRandom) return;
  for (int i = 0; i < settings.population_size; ++i) s.population.push_back(SampleFeasible(s));
  evaluator_.Score(s.population);
  s.evaluations += settings.population_size;
  if (settings.algorithm == SearchAlgorithm::kNsga2) {
    // Objective ranges of the first population fix the hypervolume's scale.
    const size_t m = recipe_.objectives.size();
    s.objective_low.assign(m, kInfinity);
    s.objective_high.assign(m, -kInfinity);
    for (const Scores* scores : evaluator_.Score(s.population)) {
      const std::vector<double> v = ObjectiveVector(*scores);
      for (size_t k = 0; k < m; ++k) {
        if (!std::isfinite(v[k])) continue;
        s.objective_low[k] = std::min(s.objective_low[k], v[k]);
        s.objective_high[k] = std::max(s.objective_high[k], v[k]);
      }
    }
  }
}

void SearchEngine::StepConstrained(State& s) {
  const SearchSettings& o = recipe_.search;
  const int parents_size = std::max(1, static_cast<int>(std::lround(o.parent_ratio * o.population_size)));
  const std::vector<const Scores*> scores = evaluator_.Score(s.population);
  std::vector<size_t> order(s.population.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return evaluator_.Fitness(*scores[a]) > evaluator_.Fitness(*scores[b]);
  });
  std::vector<Genome> parents;
  for (int i = 0; i < std::min<int>(parents_size, static_cast<int>(order.size())); ++i) {
    parents.push_back(s.population[order[i]]);
  }
  const std::vector<Genome> children =
      MakeChildren(s, [&]() -> const Genome& { return parents[s.rng.UniformInt(static_cast<uint32_t>(parents.size()))]; });
  s.population = std::move(parents);
  s.population.insert(s.population.end(), children.begin(), children.end());
}

void SearchEngine::StepRegularized(State& s) {
  const SearchSettings& o = recipe_.search;
  for (int made = 0; made < o.population_size; made += kRegularizedBatch) {
    const int batch = std::min(kRegularizedBatch, o.population_size - made);
    const std::vector<const Scores*> scores = evaluator_.Score(s.population);
    std::vector<Genome> children;
    for (int j = 0; j < batch; ++j) {
      size_t winner = s.rng.UniformInt(static_cast<uint32_t>(s.population.size()));
      for (int t = 1; t < o.tournament_size; ++t) {
        const size_t c = s.rng.UniformInt(static_cast<uint32_t>(s.population.size()));
        if (evaluator_.Fitness(*scores[c]) > evaluator_.Fitness(*scores[winner])) winner = c;
      }
      children.push_back(MutateFeasible(s, s.population[winner], o.mutation_probability));
    }
    evaluator_.Score(children);
    s.evaluations += batch;
    // The oldest leave: the population is kept in order of birth.
    s.population.erase(s.population.begin(), s.population.begin() + batch);
    s.population.insert(s.population.end(), children.begin(), children.end());
  }
  // RecordHistory keeps the best so far: aging may drop it later.
}

void SearchEngine::StepNsga2(State& s) {
  const SearchSettings& o = recipe_.search;
  // Rank and crowding of the current population, for binary tournaments.
  std::vector<std::vector<double>> points;
  for (const Scores* scores : evaluator_.Score(s.population)) points.push_back(ObjectiveVector(*scores));
  std::vector<int> rank(points.size());
  std::vector<double> crowding(points.size());
  const std::vector<std::vector<int>> fronts = NonDominatedSort(points);
  for (size_t f = 0; f < fronts.size(); ++f) {
    const std::vector<double> d = CrowdingDistance(points, fronts[f]);
    for (size_t i = 0; i < fronts[f].size(); ++i) {
      rank[fronts[f][i]] = static_cast<int>(f);
      crowding[fronts[f][i]] = d[i];
    }
  }
  const auto tournament = [&]() -> const Genome& {
    const size_t a = s.rng.UniformInt(static_cast<uint32_t>(points.size()));
    const size_t b = s.rng.UniformInt(static_cast<uint32_t>(points.size()));
    const bool a_wins = rank[a] != rank[b] ? rank[a] < rank[b] : crowding[a] >= crowding[b];
    return s.population[a_wins ? a : b];
  };
  const std::vector<Genome> children = MakeChildren(s, tournament);

  // Parents and children, each network once, then the best fronts.
  std::vector<Genome> pool;
  std::unordered_map<Genome, bool, GenomeHash> seen;
  for (const std::vector<Genome>* group : {static_cast<const std::vector<Genome>*>(&s.population), &children}) {
    for (const Genome& g : *group) {
      if (seen.emplace(space_.Canonical(g), true).second) pool.push_back(g);
    }
  }
  std::vector<std::vector<double>> pool_points;
  for (const Scores* scores : evaluator_.Score(pool)) pool_points.push_back(ObjectiveVector(*scores));
  std::vector<Genome> next;
  for (const std::vector<int>& front : NonDominatedSort(pool_points)) {
    if (next.size() + front.size() <= static_cast<size_t>(o.population_size)) {
      for (int i : front) next.push_back(pool[i]);
      continue;
    }
    const std::vector<double> d = CrowdingDistance(pool_points, front);
    std::vector<size_t> order(front.size());
    std::iota(order.begin(), order.end(), size_t{0});
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return d[a] > d[b]; });
    for (size_t i = 0; next.size() < static_cast<size_t>(o.population_size); ++i) next.push_back(pool[front[order[i]]]);
    break;
  }
  s.population = std::move(next);
}

void SearchEngine::StepRandom(State& s) {
  const SearchSettings& o = recipe_.search;
  const int64_t remaining = o.evaluations - s.evaluations;
  std::vector<Genome> batch;
  for (int64_t i = 0; i < std::min<int64_t>(o.population_size, remaining); ++i) batch.push_back(SampleFeasible(s));
  evaluator_.Score(batch);
  s.evaluations += static_cast<int64_t>(batch.size());
  // The population holds the best so far (kept by RecordHistory), then this batch.
  if (s.has_best) batch.insert(batch.begin(), s.best);
  s.population = std::move(batch);
}

void SearchEngine::Step(State& s) {
  switch (recipe_.search.algorithm) {
    case SearchAlgorithm::kConstrainedEvolution: StepConstrained(s); break;
    case SearchAlgorithm::kRegularizedEvolution: StepRegularized(s); break;
    case SearchAlgorithm::kNsga2: StepNsga2(s); break;
    case SearchAlgorithm::kRandom: StepRandom(s); break;
    case SearchAlgorithm::kExhaustive: {
      s.population.clear();
      for (const Genome& g : space_.Enumerate(true, 10'000'000)) {
        if (evaluator_.MeetsCostConstraints(g)) s.population.push_back(g);
      }
      EDGENAS_THROW_IF_NOT_FMT(!s.population.empty(), "no network of space '{}' meets the constraints", space_.name());
      evaluator_.Score(s.population);
      s.evaluations = static_cast<int64_t>(s.population.size());
      break;
    }
  }
  ++s.generation;
}

void SearchEngine::RecordHistory(State& s) {
  HistoryRow row;
  row.generation = s.generation;
  row.evaluations = s.evaluations;
  if (recipe_.search.algorithm == SearchAlgorithm::kNsga2) {
    std::vector<std::vector<double>> points;
    for (const Scores* scores : evaluator_.Score(s.population)) points.push_back(ObjectiveVector(*scores));
    const std::vector<int> front = NonDominatedSort(points)[0];
    std::vector<std::vector<double>> normalised;
    for (int i : front) {
      std::vector<double> z(points[i].size());
      for (size_t k = 0; k < z.size(); ++k) {
        const double range = s.objective_high[k] - s.objective_low[k];
        z[k] = (points[i][k] - s.objective_low[k]) / (range > 0 ? range : 1);
      }
      normalised.push_back(std::move(z));
    }
    row.front_size = static_cast<int>(front.size());
    // Reference point 1.1 in each normalised objective: 10% beyond the first population's worst.
    row.hypervolume = Hypervolume(normalised, std::vector<double>(recipe_.objectives.size(), 1.1));
  } else {
    // The population's best feasible member (the first of equals) becomes the
    // best so far if it beats it.
    const int metric = evaluator_.MetricIndex(recipe_.objectives.front().metric);
    const std::vector<const Scores*> scores = evaluator_.Score(s.population);
    int population_best = -1;
    double sum = 0;
    int feasible = 0;
    for (size_t i = 0; i < scores.size(); ++i) {
      if (!scores[i]->feasible) continue;
      sum += scores[i]->values[metric];
      ++feasible;
      if (population_best < 0 || evaluator_.Fitness(*scores[i]) > evaluator_.Fitness(*scores[population_best])) {
        population_best = static_cast<int>(i);
      }
    }
    if (population_best >= 0 &&
        (!s.has_best || evaluator_.Fitness(*scores[population_best]) > evaluator_.Fitness(evaluator_.Score(s.best)))) {
      s.best = s.population[population_best];
      s.has_best = true;
    }
    row.best = s.has_best ? evaluator_.Score(s.best).values[metric] : std::nan("");
    row.mean = feasible ? sum / feasible : std::nan("");
  }
  s.history.push_back(row);
}

// ---- Checkpoints -----------------------------------------------------------

void SearchEngine::SaveCheckpoint(const State& s) const {
  nlohmann::json j;
  j["format"] = kCheckpointFormat;
  j["recipe"] = fs::absolute(recipe_.path).string();
  j["recipe_fingerprint"] = recipe_fingerprint_;
  j["generation"] = s.generation;
  j["rng"] = s.rng.SaveState();
  j["evaluations"] = s.evaluations;
  j["seconds"] = s.previous_seconds;
  j["best"] = s.has_best ? GenesToHex(s.best) : "";
  j["objective_low"] = s.objective_low;
  j["objective_high"] = s.objective_high;
  for (const Genome& g : s.population) j["population"].push_back(GenesToHex(g));
  for (const HistoryRow& r : s.history) j["history"].push_back(HistoryToJson(r));
  WriteFileAtomically((fs::path(options_.output_dir) / "checkpoint.json").string(), j.dump() + "\n");
}

namespace {

// checkpoint.json of `folder`, parsed; says why if there is nothing to resume.
nlohmann::json ReadCheckpoint(const std::string& folder) {
  const std::string path = (fs::path(folder) / "checkpoint.json").string();
  if (!fs::exists(path)) {
    EDGENAS_THROW_IF_NOT_FMT(!fs::exists(fs::path(folder) / "summary.json"),
                             "{}: the job has finished (summary.json is there); nothing to resume", folder);
    EDGENAS_THROW_FMT("{}: no checkpoint.json to resume from", folder);
  }
  try {
    nlohmann::json j = nlohmann::json::parse(ReadFile(path));
    EDGENAS_THROW_IF_NOT_FMT(j.at("format").get<int>() == kCheckpointFormat, "{}: unknown checkpoint format", path);
    return j;
  } catch (const nlohmann::json::exception& e) {
    EDGENAS_THROW_FMT("{}: damaged checkpoint: {}", path, e.what());
  }
}

}  // namespace

std::string CheckpointRecipe(const std::string& folder) {
  try {
    return ReadCheckpoint(folder).at("recipe").get<std::string>();
  } catch (const nlohmann::json::exception& e) {
    EDGENAS_THROW_FMT("{}/checkpoint.json: damaged checkpoint: {}", folder, e.what());
  }
}

void SearchEngine::LoadCheckpoint(State& s) const {
  const nlohmann::json j = ReadCheckpoint(options_.output_dir);
  const std::string path = (fs::path(options_.output_dir) / "checkpoint.json").string();
  try {
    EDGENAS_THROW_IF_NOT_FMT(j.at("recipe_fingerprint").get<std::string>() == recipe_fingerprint_,
                             "{}: the recipe {} changed since the job started; start a new job instead", path,
                             recipe_.path);
    s.generation = j.at("generation").get<int>();
    s.rng.LoadState(j.at("rng").get<std::string>());
    s.evaluations = j.at("evaluations").get<int64_t>();
    s.previous_seconds = j.at("seconds").get<double>();
    const std::string best = j.at("best").get<std::string>();
    s.has_best = !best.empty();
    if (s.has_best) s.best = HexToGenes(best, space_);
    s.objective_low = j.at("objective_low").get<std::vector<double>>();
    s.objective_high = j.at("objective_high").get<std::vector<double>>();
    for (const auto& g : j.at("population")) s.population.push_back(HexToGenes(g.get<std::string>(), space_));
    for (const auto& r : j.at("history")) s.history.push_back(HistoryFromJson(r));
  } catch (const nlohmann::json::exception& e) {
    EDGENAS_THROW_FMT("{}: damaged checkpoint: {}", path, e.what());
  }
}

// ---- Running ---------------------------------------------------------------

SearchResult SearchEngine::Finish(State& s) {
  SearchResult result;
  result.history = s.history;
  result.evaluations = s.evaluations;
  result.generations = s.generation;
  for (const Genome& g : s.population) {
    if (evaluator_.Score(g).feasible) result.population.push_back(g);
  }
  EDGENAS_THROW_IF_NOT_FMT(!result.population.empty(), "the search ended without a feasible network");
  // The front over FrontMetrics(), each network once.
  const std::vector<int> metrics = FrontMetrics();
  std::vector<std::vector<double>> points;
  std::vector<Genome> distinct;
  std::unordered_map<Genome, bool, GenomeHash> seen;
  for (const Genome& g : result.population) {
    if (!seen.emplace(space_.Canonical(g), true).second) continue;
    const Scores& sc = evaluator_.Score(g);
    std::vector<double> v;
    for (size_t k = 0; k < metrics.size(); ++k) {
      const bool maximize = k < recipe_.objectives.size() ? recipe_.objectives[k].maximize
                                                            : recipe_.constraints.front().min.has_value();
      v.push_back(maximize ? -sc.values[metrics[k]] : sc.values[metrics[k]]);
    }
    points.push_back(std::move(v));
    distinct.push_back(g);
  }
  const std::vector<int> first_front = NonDominatedSort(points)[0];  // a copy: the sort's result is a temporary
  for (int i : first_front) result.front.push_back(distinct[i]);
  // The chosen network: the best in the first objective (on the front for nsga2).
  const std::vector<Genome>& candidates = recipe_.search.algorithm == SearchAlgorithm::kNsga2 ? result.front : result.population;
  result.best = candidates.front();
  const Objective& first = recipe_.objectives.front();
  const int first_metric = evaluator_.MetricIndex(first.metric);
  const auto value = [&](const Genome& g) {
    const double v = evaluator_.Score(g).values[first_metric];
    return first.maximize ? v : -v;
  };
  for (const Genome& g : candidates) {
    if (value(g) > value(result.best)) result.best = g;
  }
  if (s.has_best && recipe_.search.algorithm != SearchAlgorithm::kNsga2 && value(s.best) > value(result.best)) {
    result.best = s.best;  // aging evolution may have dropped its best
  }
  // Reported in canonical form: the network's one arch string.
  result.best = space_.Canonical(result.best);
  for (Genome& g : result.front) g = space_.Canonical(g);
  return result;
}

SearchResult SearchEngine::Run(bool resume) {
  const auto start = std::chrono::steady_clock::now();
  State s;
  if (resume) {
    LoadCheckpoint(s);
    evaluator_.Score(s.population);  // rebuilds the cache; scores are deterministic
  } else {
    Initialize(s);
  }
  const int total = TotalGenerations();
  const auto elapsed = [&] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  };
  while (s.generation < total) {
    Step(s);
    RecordHistory(s);
    if (options_.progress) {
      SearchProgress p;
      p.generation = s.generation;
      p.generations = total;
      p.elapsed_seconds = elapsed();
      const HistoryRow& row = s.history.back();
      p.best = recipe_.search.algorithm == SearchAlgorithm::kNsga2
                   ? fmt::format("front {}, hypervolume {:.4f}", row.front_size, row.hypervolume)
                   : fmt::format("best {} {:.6g} {}", recipe_.objectives.front().metric.ToString(), row.best,
                                 recipe_.objectives.front().metric.Unit());
      options_.progress(p);
    }
    if (options_.checkpoint_every > 0 && s.generation % options_.checkpoint_every == 0 && s.generation < total) {
      const double before = s.previous_seconds;
      s.previous_seconds = before + elapsed();
      SaveCheckpoint(s);
      s.previous_seconds = before;
    }
  }
  SearchResult result = Finish(s);
  result.wall_seconds = s.previous_seconds + elapsed();
  result.resumed = resume;
  return result;
}

}  // namespace edgenas
