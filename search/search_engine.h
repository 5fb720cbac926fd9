// The search loop: runs a SearchStrategy over a space, scoring candidates with
// an Evaluator, and chooses the result.
//
//   Run / Resume(SearchState)
//     -> strategy.Initialize, then per generation: strategy.Step, history row,
//        progress callback, checkpoint callback (every checkpoint_every)
//     -> SearchResult: the chosen network, the final population, its front
//
// The engine knows no files: checkpoints are written by the callback the
// caller passes (search/checkpoint.h does it for `edgenas search`).
//
// Determinism: every random choice comes from one Rng, in a fixed order, and
// scores do not depend on threads or batches (evaluator.h). The same options
// and seed give the same results with any thread count, and a search resumed
// from a saved SearchState continues exactly as if never stopped.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "search/search_state.h"
#include "search/search_strategy.h"

namespace edgenas {

struct SearchProgress {
  int generation = 0;
  int generations = 0;
  std::string best;  // e.g. "best accuracy 81.79 %" or "front 37, hypervolume 0.4120"
  double elapsed_seconds = 0;
};

// The candidates' scores belong to the search's Evaluator: valid while it lives.
struct SearchResult {
  Candidate best;                     // the chosen network, canonical
  std::vector<Candidate> population;  // the final population's feasible members
  std::vector<Candidate> front;       // its non-dominated networks over Evaluator::FrontMetrics, canonical
  std::vector<HistoryRow> history;    // one row per generation
  int64_t evaluations = 0;
  int generations = 0;
  double wall_seconds = 0;  // over every run of the job, resumes included
  bool resumed = false;
  // Stopped on request before the last generation: the state went to the
  // checkpoint callback, and nothing else (best, population, front) is set.
  bool interrupted = false;
};

class SearchEngine {
 public:
  struct Options {
    SearchStrategy::Options strategy;
    uint64_t seed = 0;
    int checkpoint_every = 50;  // generations between checkpoint calls; 0 = never
    // Saves the state (every checkpoint_every generations, not after the last); may be empty.
    std::function<void(const SearchState&)> checkpoint;
    // After each generation; may be empty.
    std::function<void(const SearchProgress&)> progress;
    // Asked after each generation; true stops the search there, after handing
    // the state to `checkpoint` (whatever checkpoint_every says). May be empty.
    std::function<bool()> stop_requested;

    bool IsValid(std::string* error) const;
  };

  // The space and evaluator are borrowed. Throws Error if !options.IsValid or
  // the evaluator's objectives do not suit the algorithm.
  SearchEngine(const SearchSpace& space, Evaluator& evaluator, Options options);
  ~SearchEngine();

  // The whole search from the seed. Throws Error when the constraints cannot
  // be met, saying by how much.
  SearchResult Run();
  // Continues from a saved state (its candidates need not be scored). Throws
  // Error if the state does not fit this search (CheckState).
  SearchResult Resume(SearchState state);
  // False, saying why, unless `state` could have been saved by this search:
  // generation in range, one history row per generation, a population of a
  // size the algorithm makes, objective ranges for each objective.
  bool CheckState(const SearchState& state, std::string* error) const;

 private:
  SearchResult Loop(SearchState& state, bool resumed);
  void RecordHistory(SearchState& state) const;
  void RecordBest(SearchState& state, HistoryRow* row) const;
  void SetObjectiveRanges(SearchState& state) const;
  SearchResult Finish(SearchState& state) const;
  bool multi_objective() const { return evaluator_.objectives().size() > 1; }

  const SearchSpace& space_;
  Evaluator& evaluator_;
  Options options_;
  std::unique_ptr<SearchStrategy> strategy_;
};

}  // namespace edgenas
