#include "search/search_engine.h"

#include <fmt/format.h>

#include <chrono>
#include <cmath>
#include <limits>
#include <unordered_set>

#include "common/error.h"
#include "search/pareto.h"
#include "search/search_context.h"

namespace edgenas {

namespace {

constexpr double kInfinity = std::numeric_limits<double>::infinity();

}  // namespace

bool SearchEngine::Options::IsValid(std::string* error) const {
  if (!strategy.IsValid(error)) return false;
  if (checkpoint_every < 0) {
    *error = fmt::format("SearchEngine::Options::checkpoint_every = {}. Violated constraint: checkpoint_every >= 0",
                         checkpoint_every);
    return false;
  }
  return true;
}

SearchEngine::SearchEngine(const SearchSpace& space, Evaluator& evaluator, Options options)
    : space_(space), evaluator_(evaluator), options_(std::move(options)) {
  std::string error;
  EDGENAS_THROW_IF_NOT_FMT(options_.IsValid(&error), "{}", error);
  const SearchAlgorithm algorithm = options_.strategy.algorithm;
  const size_t objectives = evaluator_.objectives().size();
  if (SearchStrategy::IsMultiObjective(algorithm)) {
    EDGENAS_THROW_IF_NOT_FMT(objectives >= 2, "{} needs at least two objectives", SearchAlgorithmToString(algorithm));
  } else {
    EDGENAS_THROW_IF_NOT_FMT(objectives == 1, "{} optimises one objective, got {}", SearchAlgorithmToString(algorithm),
                             objectives);
  }
  strategy_ = SearchStrategy::Create(options_.strategy);
}

SearchEngine::~SearchEngine() = default;

SearchResult SearchEngine::Run() {
  SearchState state;
  state.rng = Rng(options_.seed);
  SearchContext context(space_, evaluator_, options_.strategy, state);
  strategy_->Initialize(context);
  if (multi_objective()) SetObjectiveRanges(state);
  return Loop(state, false);
}

bool SearchEngine::CheckState(const SearchState& state, std::string* error) const {
  const int total = strategy_->NumGenerations();
  const size_t objectives = multi_objective() ? evaluator_.objectives().size() : 0;
  if (state.generation < 0 || state.generation > total) {
    *error = fmt::format("generation {} is outside the search's 0..{}", state.generation, total);
  } else if (state.history.size() != static_cast<size_t>(state.generation)) {
    *error = fmt::format("{} history rows for {} generations", state.history.size(), state.generation);
  } else if (!strategy_->IsValidPopulationSize(state.population.size(), state.generation)) {
    *error = fmt::format("a population of {} after {} generations does not fit {} with population_size {}",
                         state.population.size(), state.generation, SearchAlgorithmToString(options_.strategy.algorithm),
                         options_.strategy.population_size);
  } else if ((objectives > 0 || !state.objective_low.empty()) &&
             (state.objective_low.size() != objectives || state.objective_high.size() != objectives)) {
    *error = fmt::format("objective ranges of {} and {} values for {} objectives", state.objective_low.size(),
                         state.objective_high.size(), evaluator_.objectives().size());
  } else if (state.evaluations < 0 || !(state.previous_seconds >= 0)) {
    *error = fmt::format("negative evaluations ({}) or seconds ({})", state.evaluations, state.previous_seconds);
  } else {
    return true;
  }
  return false;
}

SearchResult SearchEngine::Resume(SearchState state) {
  std::string error;
  EDGENAS_THROW_IF_NOT_FMT(CheckState(state, &error), "the saved search state does not fit this search: {}", error);
  // Scores are deterministic: scoring again rebuilds the evaluator's cache.
  evaluator_.Score(&state.population);
  if (state.best) {
    std::vector<Candidate> best = {*state.best};
    evaluator_.Score(&best);
    state.best = best.front();
  }
  return Loop(state, true);
}

// Each objective's range over the first population fixes the hypervolume's scale.
void SearchEngine::SetObjectiveRanges(SearchState& state) const {
  const size_t m = evaluator_.objectives().size();
  state.objective_low.assign(m, kInfinity);
  state.objective_high.assign(m, -kInfinity);
  for (const Candidate& c : state.population) {
    const std::vector<double> v = evaluator_.ObjectiveVector(*c.scores);
    for (size_t k = 0; k < m; ++k) {
      if (!std::isfinite(v[k])) continue;
      state.objective_low[k] = std::min(state.objective_low[k], v[k]);
      state.objective_high[k] = std::max(state.objective_high[k], v[k]);
    }
  }
}

SearchResult SearchEngine::Loop(SearchState& state, bool resumed) {
  const auto start = std::chrono::steady_clock::now();
  const auto elapsed = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(); };
  SearchContext context(space_, evaluator_, options_.strategy, state);
  const int total = strategy_->NumGenerations();
  while (state.generation < total) {
    strategy_->Step(context);
    ++state.generation;
    RecordHistory(state);
    if (options_.progress) {
      const HistoryRow& row = state.history.back();
      const Evaluator::Metric& first = evaluator_.metrics()[evaluator_.objectives().front().metric];
      SearchProgress p;
      p.generation = state.generation;
      p.generations = total;
      p.elapsed_seconds = elapsed();
      p.best = multi_objective() ? fmt::format("front {}, hypervolume {:.4f}", row.front_size, row.hypervolume)
                                 : fmt::format("best {} {:.6g} {}", first.name, row.best, first.unit);
      options_.progress(p);
    }
    const bool stop = state.generation < total && options_.stop_requested && options_.stop_requested();
    const bool periodic = options_.checkpoint_every > 0 && state.generation % options_.checkpoint_every == 0;
    if (options_.checkpoint && state.generation < total && (stop || periodic)) {
      const double before = state.previous_seconds;
      state.previous_seconds = before + elapsed();
      options_.checkpoint(state);
      state.previous_seconds = before;
    }
    if (stop) {
      SearchResult result;
      result.history = state.history;
      result.evaluations = state.evaluations;
      result.generations = state.generation;
      result.wall_seconds = state.previous_seconds + elapsed();
      result.resumed = resumed;
      result.interrupted = true;
      return result;
    }
  }
  SearchResult result = Finish(state);
  result.wall_seconds = state.previous_seconds + elapsed();
  result.resumed = resumed;
  return result;
}

void SearchEngine::RecordHistory(SearchState& state) const {
  HistoryRow row;
  row.generation = state.generation;
  row.evaluations = state.evaluations;
  if (!multi_objective()) {
    RecordBest(state, &row);
    state.history.push_back(row);
    return;
  }
  std::vector<ObjectiveVector> points;
  for (const Candidate& c : state.population) points.push_back(evaluator_.ObjectiveVector(*c.scores));
  const std::vector<int> front = NonDominatedSort(points)[0];
  std::vector<ObjectiveVector> normalised;
  for (int i : front) {
    ObjectiveVector z(points[i].size());
    for (size_t k = 0; k < z.size(); ++k) {
      const double range = state.objective_high[k] - state.objective_low[k];
      z[k] = (points[i][k] - state.objective_low[k]) / (range > 0 ? range : 1);
    }
    normalised.push_back(std::move(z));
  }
  row.front_size = static_cast<int>(front.size());
  // Reference point 1.1 in each normalised objective: 10% beyond the first population's worst.
  row.hypervolume = Hypervolume(normalised, ObjectiveVector(evaluator_.objectives().size(), 1.1));
  state.history.push_back(row);
}

// The population's best feasible member (the first of equals) becomes the best
// so far if it beats it; the row gets the best so far and the population's mean.
void SearchEngine::RecordBest(SearchState& state, HistoryRow* row) const {
  const int metric = evaluator_.objectives().front().metric;
  const Candidate* population_best = nullptr;
  double sum = 0;
  int feasible = 0;
  for (const Candidate& c : state.population) {
    if (!c.scores->feasible) continue;
    sum += c.scores->values[metric];
    ++feasible;
    if (population_best == nullptr || evaluator_.Fitness(*c.scores) > evaluator_.Fitness(*population_best->scores)) {
      population_best = &c;
    }
  }
  if (population_best != nullptr &&
      (!state.best || evaluator_.Fitness(*population_best->scores) > evaluator_.Fitness(*state.best->scores))) {
    state.best = *population_best;
  }
  row->best = state.best ? state.best->scores->values[metric] : std::nan("");
  row->mean = feasible ? sum / feasible : std::nan("");
}

SearchResult SearchEngine::Finish(SearchState& state) const {
  SearchResult result;
  result.history = state.history;
  result.evaluations = state.evaluations;
  result.generations = state.generation;
  for (const Candidate& c : state.population) {
    if (c.scores->feasible) result.population.push_back(c);
  }
  EDGENAS_THROW_IF_NOT_FMT(!result.population.empty(), "the search ended without a feasible network");
  // The front over FrontMetrics(), each network once.
  const std::vector<int> metrics = evaluator_.FrontMetrics();
  std::vector<ObjectiveVector> points;
  std::vector<const Candidate*> distinct;
  std::unordered_set<const Scores*> seen;  // one Scores per distinct network
  for (const Candidate& c : result.population) {
    if (!seen.insert(c.scores).second) continue;
    ObjectiveVector v;
    for (size_t k = 0; k < metrics.size(); ++k) {
      const double value = c.scores->values[metrics[k]];
      v.push_back(evaluator_.FrontMetricMaximized(k) ? -value : value);
    }
    points.push_back(std::move(v));
    distinct.push_back(&c);
  }
  const std::vector<int> first_front = NonDominatedSort(points)[0];  // a copy: the sort's result is a temporary
  for (int i : first_front) result.front.push_back(*distinct[i]);
  // The chosen network: the best in the first objective (on the front when
  // there are several objectives).
  const std::vector<Candidate>& candidates = multi_objective() ? result.front : result.population;
  const Evaluator::Objective& first = evaluator_.objectives().front();
  const auto value = [&](const Candidate& c) {
    const double v = c.scores->values[first.metric];
    return first.maximize ? v : -v;
  };
  result.best = candidates.front();
  for (const Candidate& c : candidates) {
    if (value(c) > value(result.best)) result.best = c;
  }
  if (state.best && !multi_objective() && value(*state.best) > value(result.best)) {
    result.best = *state.best;  // aging evolution may have dropped its best
  }
  // Reported in canonical form: the network's one arch string.
  result.best.genome = space_.Canonical(result.best.genome);
  for (Candidate& c : result.front) c.genome = space_.Canonical(c.genome);
  return result;
}

}  // namespace edgenas
