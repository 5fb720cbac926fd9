// A finished search, written to results/<job>/ (every file atomically,
// summary.json last, so that a folder holding it holds a finished job):
//   summary.json            the chosen network, its metrics and costs, the run's facts
//   history.csv             one row per generation
//   pareto.csv              the non-dominated networks of the final population
//   pareto.svg              that front, the rest of the population and the chosen network
//   breakdown_<device>.csv  the chosen network's cost per layer on each device
#pragma once

#include <optional>
#include <string>

#include "common/svg_plot.h"
#include "job/job.h"
#include "search/search_engine.h"

namespace edgenas {

// What the result files describe; everything is borrowed.
struct ResultContext {
  const Job& job;
  const Evaluator& evaluator;  // the search's: its metrics are Job::metrics()
  std::string version;         // edgenas's
};

void WriteSearchResults(const ResultContext& context, const SearchResult& result, const std::string& folder);

// Dashed lines on `plot` for a budget on `metric` (a recipe's constraint),
// if `metric` is the plot's x or y metric: pareto.svg and report.html.
void AddBudgetGuides(const std::string& metric, std::optional<double> min, std::optional<double> max,
                     const std::string& x_metric, const std::string& y_metric, Plot* plot);

// One line per fact of the chosen network, for the terminal.
std::string SummaryText(const ResultContext& context, const SearchResult& result);

}  // namespace edgenas
