// A job's results in one place, read from what its stages left in the
// results folder:
//   summary.json, pareto.csv, breakdown_*.csv   the search (required: summary.json)
//   train/metrics.json, teacher/metrics.json    the winner's training, and its teacher's (if distilled)
//   export/report.json                          its ONNX models, measured
//   run.json                                    how `edgenas run` ran it (stage times, threads, versions)
// Parts whose files are missing (a search never exported) are said to be
// missing on the page; nothing is made up.
#pragma once

#include <string>

namespace edgenas {

// report.html: one self-contained page (inline CSS and SVG, no script, no
// network access) with the predicted-vs-measured table, the Pareto front with
// the budgets, the chosen network block by block, its per-layer latency and
// how the job ran. Every figure taken from a file is a
// <span class="figure" data-file="export/report.json" data-key="/json/pointer"
// data-value="exact"> (data-scale divides the value for the shown text), so a
// test can check what the page shows against the files.
std::string RenderJobReportHtml(const std::string& folder);

// Writes <folder>/report.html atomically; returns its path.
std::string WriteJobReport(const std::string& folder);

// The job's results as one Markdown table for the terminal: predicted against
// achieved accuracy and measured latency, MACs, params, file sizes, and where
// everything was written.
std::string JobResultTable(const std::string& folder);

}  // namespace edgenas
