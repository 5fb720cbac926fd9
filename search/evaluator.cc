#include "search/evaluator.h"

#include <fmt/format.h>
#include <tbb/parallel_for.h>

#include <limits>

#include "common/error.h"

namespace edgenas {

bool Evaluator::Options::IsValid(std::string* error) const {
  const auto fail = [&](const std::string& message) {
    *error = "Evaluator::Options::" + message;
    return false;
  };
  const auto valid_metric = [&](int m) { return m >= 0 && m < static_cast<int>(metrics.size()); };
  if (metrics.empty()) return fail("metrics is empty. Violated constraint: at least one metric");
  for (size_t i = 0; i < metrics.size(); ++i) {
    if (metrics[i].scorer == nullptr) return fail(fmt::format("metrics[{}] ('{}') has no scorer", i, metrics[i].name));
  }
  if (objectives.empty()) return fail("objectives is empty. Violated constraint: at least one objective");
  for (size_t i = 0; i < objectives.size(); ++i) {
    if (!valid_metric(objectives[i].metric)) {
      return fail(fmt::format("objectives[{}].metric = {}. Violated constraint: 0 <= metric < {}", i,
                              objectives[i].metric, metrics.size()));
    }
  }
  for (size_t i = 0; i < constraints.size(); ++i) {
    const Constraint& c = constraints[i];
    if (!valid_metric(c.metric)) {
      return fail(fmt::format("constraints[{}].metric = {}. Violated constraint: 0 <= metric < {}", i, c.metric,
                              metrics.size()));
    }
    if (!c.min && !c.max) return fail(fmt::format("constraints[{}] has neither min nor max", i));
    if (c.min && c.max && *c.min > *c.max) {
      return fail(fmt::format("constraints[{}].min = {} > max = {}. Violated constraint: min <= max", i, *c.min, *c.max));
    }
  }
  return true;
}

Evaluator::Evaluator(const SearchSpace& space, Options options) : space_(space), options_(std::move(options)) {
  std::string error;
  EDGENAS_THROW_IF_NOT_FMT(options_.IsValid(&error), "{}", error);
  for (size_t m = 0; m < options_.metrics.size(); ++m) {
    (options_.metrics[m].scorer->cheap() ? cheap_metrics_ : batched_metrics_).push_back(static_cast<int>(m));
  }
}

double Evaluator::CheapValue(const Genome& genome, int metric) const {
  const Scorer& scorer = *options_.metrics[metric].scorer;
  EDGENAS_ASSERT(scorer.cheap());
  double value = 0;
  scorer.Score(&genome, 1, &value);
  return value;
}

bool Evaluator::CheckConstraints(const Genome& genome, int* violated) const {
  for (size_t i = 0; i < options_.constraints.size(); ++i) {
    const Constraint& c = options_.constraints[i];
    if (!options_.metrics[c.metric].scorer->cheap()) continue;
    if (!c.Holds(CheapValue(genome, c.metric))) {
      if (violated != nullptr) *violated = static_cast<int>(i);
      return false;
    }
  }
  return true;
}

const Scores* Evaluator::ScoreBatch(const std::vector<Genome>& genomes, std::vector<const Scores*>* out) {
  // The distinct networks not seen before, in order of first appearance.
  std::vector<Genome> canonical(genomes.size()), fresh;
  std::unordered_map<Genome, size_t, GenomeHash> fresh_index;
  for (size_t i = 0; i < genomes.size(); ++i) {
    canonical[i] = space_.Canonical(genomes[i]);
    if (!cache_.count(canonical[i]) && fresh_index.emplace(canonical[i], fresh.size()).second) {
      fresh.push_back(canonical[i]);
    }
  }
  const size_t n = fresh.size(), num_metrics = options_.metrics.size();
  std::vector<Scores> scored(n);
  for (Scores& s : scored) {
    s.values.assign(num_metrics, 0.0);
    s.spreads.assign(num_metrics, 0.0);
  }
  // Cheap scorers genome by genome, spread over threads; the others once on the whole batch.
  tbb::parallel_for(size_t{0}, n, [&](size_t i) {
    for (int m : cheap_metrics_) options_.metrics[m].scorer->Score(&fresh[i], 1, &scored[i].values[m]);
  });
  if (n > 0) {
    std::vector<double> values(n), spreads(n);
    for (int m : batched_metrics_) {
      options_.metrics[m].scorer->ScoreWithSpread(fresh.data(), n, values.data(), spreads.data());
      for (size_t i = 0; i < n; ++i) {
        scored[i].values[m] = values[i];
        scored[i].spreads[m] = spreads[i];
      }
    }
  }
  for (size_t i = 0; i < n; ++i) {
    for (const Constraint& c : options_.constraints) {
      if (!c.Holds(scored[i].values[c.metric])) scored[i].feasible = false;
    }
    cache_.emplace(std::move(fresh[i]), std::move(scored[i]));
  }
  out->resize(genomes.size());
  for (size_t i = 0; i < genomes.size(); ++i) (*out)[i] = &cache_.at(canonical[i]);
  return out->empty() ? nullptr : out->front();
}

void Evaluator::Score(std::vector<Candidate>* candidates) {
  std::vector<Genome> unscored;
  std::vector<size_t> where;
  for (size_t i = 0; i < candidates->size(); ++i) {
    if ((*candidates)[i].scores == nullptr) {
      unscored.push_back((*candidates)[i].genome);
      where.push_back(i);
    }
  }
  std::vector<const Scores*> scores;
  ScoreBatch(unscored, &scores);
  for (size_t k = 0; k < where.size(); ++k) (*candidates)[where[k]].scores = scores[k];
}

const Scores& Evaluator::Score(const Genome& genome) {
  std::vector<const Scores*> scores;
  return *ScoreBatch({genome}, &scores);
}

double Evaluator::Fitness(const Scores& scores) const {
  if (!scores.feasible) return -std::numeric_limits<double>::infinity();
  const Objective& first = options_.objectives.front();
  const double v = scores.values[first.metric];
  return first.maximize ? v : -v;
}

std::vector<double> Evaluator::ObjectiveVector(const Scores& scores) const {
  std::vector<double> v;
  for (const Objective& o : options_.objectives) {
    const double value = scores.values[o.metric];
    v.push_back(!scores.feasible ? std::numeric_limits<double>::infinity() : o.maximize ? -value : value);
  }
  return v;
}

std::vector<int> Evaluator::FrontMetrics() const {
  std::vector<int> metrics;
  for (const Objective& o : options_.objectives) metrics.push_back(o.metric);
  if (metrics.size() == 1 && !options_.constraints.empty()) metrics.push_back(options_.constraints.front().metric);
  return metrics;
}

bool Evaluator::FrontMetricMaximized(size_t k) const {
  if (k < options_.objectives.size()) return options_.objectives[k].maximize;
  return options_.constraints.front().min.has_value();
}

}  // namespace edgenas
