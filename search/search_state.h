// Everything a search carries from one generation to the next: what a
// checkpoint saves (search/checkpoint.h) and a resumed search continues from.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "common/rng.h"
#include "search/evaluator.h"

namespace edgenas {

// One row of history.csv, after each generation. Fields that do not apply to
// the search stay 0.
struct HistoryRow {
  int generation = 0;
  int64_t evaluations = 0;  // candidates scored so far (with repeats)
  double best = 0;          // single objective: best objective value so far
  double mean = 0;          // single objective: mean objective value of the population's feasible members
  double hypervolume = 0;   // multi-objective: of the population's first front (normalised objectives)
  int front_size = 0;       // multi-objective
};

struct SearchState {
  int generation = 0;  // generations completed
  Rng rng{0};
  std::vector<Candidate> population;
  std::optional<Candidate> best;  // single objective: the best feasible network so far
  int64_t evaluations = 0;
  std::vector<HistoryRow> history;
  // Multi-objective: each objective's range over the first population, which
  // fixes the hypervolume's scale for the whole run.
  std::vector<double> objective_low, objective_high;
  double previous_seconds = 0;  // wall time of earlier runs of this job
};

}  // namespace edgenas
