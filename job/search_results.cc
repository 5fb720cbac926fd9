#include "job/search_results.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <numeric>

#include "common/file_util.h"
#include "common/svg_plot.h"
#include "cost/lut_cost_model.h"
#include "space/network_stats.h"

namespace edgenas {

namespace fs = std::filesystem;

namespace {

std::string Csv(double v) { return fmt::format("{:.10g}", v); }

std::string PathIn(const std::string& folder, const std::string& file) { return (fs::path(folder) / file).string(); }

nlohmann::json NetworkJson(const ResultContext& c, const Candidate& network) {
  const SearchSpace& space = c.job.space();
  const NetworkStats stats = ComputeStats(space.Decode(network.genome));
  nlohmann::json j;
  j["arch"] = space.ToString(network.genome);
  if (space.has_ofa_json()) j["ofa_json"] = nlohmann::json::parse(space.ToOfaJson(network.genome));
  for (size_t i = 0; i < c.evaluator.metrics().size(); ++i) {
    const Evaluator::Metric& m = c.evaluator.metrics()[i];
    nlohmann::json value = {{"value", network.scores->values[i]}, {"unit", m.unit}};
    if (m.scorer->has_spread()) value["spread"] = network.scores->spreads[i];
    j["metrics"][m.name] = value;
  }
  j["macs"] = stats.macs;
  j["params"] = stats.params;
  j["peak_memory_bytes"] = stats.peak_activations;
  return j;
}

void WriteSummary(const ResultContext& c, const SearchResult& r, const std::string& folder) {
  const Recipe& recipe = c.job.recipe();
  nlohmann::json summary;
  summary["job"] = recipe.job;
  summary["recipe"] = recipe.path;
  summary["space"] = c.job.space().name();
  summary["algorithm"] = SearchAlgorithmToString(recipe.search.algorithm);
  summary["seed"] = recipe.seed;
  summary["edgenas_version"] = c.version;
  summary["predictor"] = recipe.predictor;
  for (const Objective& o : recipe.objectives) {
    summary["objectives"].push_back((o.maximize ? "maximize " : "minimize ") + o.metric.ToString());
  }
  for (const Constraint& k : recipe.constraints) {
    nlohmann::json bound = {{"metric", k.metric.ToString()}};
    if (k.min) bound["min"] = *k.min;
    if (k.max) bound["max"] = *k.max;
    summary["constraints"].push_back(bound);
  }
  summary["best"] = NetworkJson(c, r.best);
  summary["evaluations"] = r.evaluations;
  summary["generations"] = r.generations;
  summary["wall_time_seconds"] = r.wall_seconds;
  summary["front_size"] = r.front.size();
  // Costs that rest on estimated table entries say so (recipe 'interpolate_missing_costs').
  for (const auto& [metric, model] : c.job.cost_models()) {
    if (!model->estimated().empty()) summary["estimated_cost_entries"][metric] = model->estimated().size();
  }
  WriteFileAtomically(PathIn(folder, "summary.json"), summary.dump(2) + "\n");
}

// Values that do not apply to the search (best and mean with several
// objectives, the front without) and values not yet known (no feasible
// network so far) are left empty.
void WriteHistory(const ResultContext& c, const SearchResult& r, const std::string& folder) {
  const bool multi_objective = c.evaluator.objectives().size() > 1;
  const auto value = [](double v) { return std::isnan(v) ? std::string() : Csv(v); };
  std::string history = "generation,evaluations,best,population_mean,hypervolume,front_size\n";
  for (const HistoryRow& h : r.history) {
    history += fmt::format("{},{},{},{},{},{}\n", h.generation, h.evaluations, multi_objective ? "" : value(h.best),
                           multi_objective ? "" : value(h.mean), multi_objective ? value(h.hypervolume) : "",
                           multi_objective ? std::to_string(h.front_size) : "");
  }
  WriteFileAtomically(PathIn(folder, "history.csv"), history);
}

// The front, sorted by its last front metric.
std::vector<Candidate> SortedFront(const ResultContext& c, const SearchResult& r) {
  const int key = c.evaluator.FrontMetrics().back();
  std::vector<Candidate> front = r.front;
  std::stable_sort(front.begin(), front.end(), [&](const Candidate& a, const Candidate& b) {
    return a.scores->values[key] < b.scores->values[key];
  });
  return front;
}

void WriteParetoCsv(const ResultContext& c, const SearchResult& r, const std::vector<Candidate>& front,
                    const std::string& folder) {
  std::string pareto = "arch";
  for (const Evaluator::Metric& m : c.evaluator.metrics()) pareto += "," + m.name;
  pareto += ",chosen\n";
  for (const Candidate& network : front) {
    pareto += c.job.space().ToString(network.genome);
    for (double value : network.scores->values) pareto += "," + Csv(value);
    pareto += fmt::format(",{}\n", network.genome == r.best.genome ? 1 : 0);
  }
  WriteFileAtomically(PathIn(folder, "pareto.csv"), pareto);
}

// y = the first objective, x = the next front metric.
void WriteParetoSvg(const ResultContext& c, const SearchResult& r, const std::vector<Candidate>& front,
                    const std::string& folder) {
  const std::vector<int> front_metrics = c.evaluator.FrontMetrics();
  if (front_metrics.size() < 2) return;
  const int y = front_metrics[0], x = front_metrics[1];
  const Evaluator::Metric& ym = c.evaluator.metrics()[y];
  const Evaluator::Metric& xm = c.evaluator.metrics()[x];
  const auto point = [&](const Candidate& n) { return std::make_pair(n.scores->values[x], n.scores->values[y]); };
  Plot plot;
  plot.title = fmt::format("{}: {} vs {}", c.job.recipe().job, ym.name, xm.name);
  plot.x_label = fmt::format("{} ({})", xm.name, xm.unit);
  plot.y_label = fmt::format("{} ({})", ym.name, ym.unit);
  PlotSeries population, line, chosen;
  population.label = "final population";
  population.color = "#bbbbbb";
  for (const Candidate& n : r.population) population.points.push_back(point(n));
  line.label = fmt::format("non-dominated ({})", front.size());
  line.line = true;
  std::vector<const Candidate*> by_x;
  for (const Candidate& n : front) by_x.push_back(&n);
  std::stable_sort(by_x.begin(), by_x.end(), [&](const Candidate* a, const Candidate* b) { return point(*a) < point(*b); });
  // Hover titles: the arch string and the two plotted values.
  const auto title = [&](const Candidate& n) {
    return fmt::format("{}\n{} = {:.5g} {}\n{} = {:.5g} {}", c.job.space().ToString(n.genome), ym.name, point(n).second,
                       ym.unit, xm.name, point(n).first, xm.unit);
  };
  for (const Candidate* n : by_x) {
    line.points.push_back(point(*n));
    line.titles.push_back(title(*n));
  }
  chosen.label = "chosen: " + c.job.space().ToString(r.best.genome);
  chosen.color = "#d62728";
  chosen.radius = 5;
  chosen.points.push_back(point(r.best));
  chosen.titles.push_back(title(r.best));
  plot.series = {population, line, chosen};
  for (const Constraint& k : c.job.recipe().constraints) {
    AddBudgetGuides(k.metric.ToString(), k.min, k.max, xm.name, ym.name, &plot);
  }
  plot.caption = fmt::format("{} evaluations, {} generations, seed {}", r.evaluations, r.generations,
                             c.job.recipe().seed);
  WriteFileAtomically(PathIn(folder, "pareto.svg"), RenderSvg(plot));
}

// breakdown_<device>[_energy].csv: the chosen network's cost per layer, largest first.
void WriteBreakdown(const ResultContext& c, const Metric& metric, const LutCostModel& model, const Genome& best,
                    const std::string& folder) {
  const NetworkSpec network = c.job.space().Decode(best);
  const std::vector<double> per_layer = model.LayerCosts(best);
  const double total = model.Cost(best);
  std::vector<size_t> order(per_layer.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return per_layer[a] > per_layer[b]; });
  std::string csv = fmt::format("rank,layer,op,in_channels,out_channels,kernel,stride,expand_ratio,{}_{},share_percent\n",
                                MetricKindToString(metric.kind), metric.Unit());
  double layers_sum = 0;
  int rank = 0;
  for (size_t k : order) {
    const LayerSpec& l = network.layers[k];
    layers_sum += per_layer[k];
    csv += fmt::format("{},{},{},{},{},{},{},{:g},{},{:.2f}\n", ++rank, l.name, LayerOpToString(l.op), l.in_channels,
                       l.out_channels, l.kernel, l.stride, l.expand_ratio, Csv(per_layer[k]), 100 * per_layer[k] / total);
  }
  if (std::abs(total - layers_sum) > 1e-12) {
    csv += fmt::format(",per-network constant,,,,,,,{},{:.2f}\n", Csv(total - layers_sum),
                       100 * (total - layers_sum) / total);
  }
  const std::string name =
      fmt::format("breakdown_{}{}.csv", metric.device,
                  metric.kind == Metric::Kind::kLatency ? "" : std::string("_") + MetricKindToString(metric.kind));
  WriteFileAtomically(PathIn(folder, name), csv);
}

}  // namespace

void AddBudgetGuides(const std::string& metric, std::optional<double> min, std::optional<double> max,
                     const std::string& x_metric, const std::string& y_metric, Plot* plot) {
  if (metric != x_metric && metric != y_metric) return;
  if (max) plot->guides.push_back({metric == x_metric, *max, fmt::format("budget: {} ≤ {:g}", metric, *max)});
  if (min) plot->guides.push_back({metric == x_metric, *min, fmt::format("budget: {} ≥ {:g}", metric, *min)});
}

std::string SummaryText(const ResultContext& c, const SearchResult& r) {
  std::string out = fmt::format("best network: {}\n", c.job.space().ToString(r.best.genome));
  for (size_t i = 0; i < c.evaluator.metrics().size(); ++i) {
    const Evaluator::Metric& m = c.evaluator.metrics()[i];
    out += fmt::format("  {:<22} {:.6g} {}", m.name, r.best.scores->values[i], m.unit);
    if (r.best.scores->spreads[i] > 0) out += fmt::format(" (± {:.3g})", r.best.scores->spreads[i]);
    out += "\n";
  }
  out += fmt::format("{} evaluations in {} generations, {:.3f} s{}\n", r.evaluations, r.generations, r.wall_seconds,
                     r.resumed ? " (resumed)" : "");
  return out;
}

void WriteSearchResults(const ResultContext& c, const SearchResult& r, const std::string& folder) {
  WriteHistory(c, r, folder);
  const std::vector<Candidate> front = SortedFront(c, r);
  WriteParetoCsv(c, r, front, folder);
  WriteParetoSvg(c, r, front, folder);
  for (const Metric& metric : c.job.metrics()) {
    if (const LutCostModel* model = c.job.CostModel(metric)) WriteBreakdown(c, metric, *model, r.best.genome, folder);
  }
  WriteSummary(c, r, folder);  // last: a folder with summary.json holds a finished job
}

}  // namespace edgenas
