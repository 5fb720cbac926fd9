#include "search/search_results.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <filesystem>

#include "common/file_util.h"
#include "common/svg_plot.h"
#include "space/network_stats.h"

namespace edgenas {

namespace fs = std::filesystem;

namespace {

nlohmann::json NetworkJson(const ResultContext& c, const Genome& g) {
  const Scores& s = c.evaluator.Score(g);
  const NetworkStats stats = ComputeStats(c.space.Decode(g));
  nlohmann::json j;
  j["arch"] = c.space.ToString(g);
  if (c.space.factored()) j["ofa_json"] = nlohmann::json::parse(c.space.ToOfaJson(g));
  for (size_t i = 0; i < c.evaluator.metrics().size(); ++i) {
    const Metric& m = c.evaluator.metrics()[i];
    nlohmann::json value = {{"value", s.values[i]}, {"unit", m.Unit()}};
    if (m.kind == Metric::Kind::kAccuracy) value["spread"] = s.accuracy_spread;
    j["metrics"][m.ToString()] = value;
  }
  j["macs"] = stats.macs;
  j["params"] = stats.params;
  j["peak_memory_bytes"] = stats.peak_activations;
  return j;
}

std::string Csv(double v) { return fmt::format("{:.10g}", v); }

}  // namespace

std::string SummaryText(const ResultContext& c, const SearchResult& r) {
  const Scores& s = c.evaluator.Score(r.best);
  std::string out = fmt::format("best network: {}\n", c.space.ToString(r.best));
  for (size_t i = 0; i < c.evaluator.metrics().size(); ++i) {
    const Metric& m = c.evaluator.metrics()[i];
    out += fmt::format("  {:<22} {:.6g} {}", m.ToString(), s.values[i], m.Unit());
    if (m.kind == Metric::Kind::kAccuracy && s.accuracy_spread > 0) out += fmt::format(" (± {:.3g})", s.accuracy_spread);
    out += "\n";
  }
  out += fmt::format("{} evaluations in {} generations, {:.3f} s{}\n", r.evaluations, r.generations, r.wall_seconds,
                     r.resumed ? " (resumed)" : "");
  return out;
}

void WriteSearchResults(const ResultContext& c, const SearchResult& r, const std::string& folder) {
  const Recipe& recipe = c.recipe;
  // summary.json
  nlohmann::json summary;
  summary["job"] = recipe.job;
  summary["recipe"] = recipe.path;
  summary["space"] = c.space.name();
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
  for (const auto& [metric, model] : recipe.cost_models) {
    if (!model->estimated().empty()) summary["estimated_cost_entries"][metric] = model->estimated().size();
  }
  WriteFileAtomically((fs::path(folder) / "summary.json").string(), summary.dump(2) + "\n");

  // history.csv
  std::string history = "generation,evaluations,best,population_mean,hypervolume,front_size\n";
  for (const HistoryRow& h : r.history) {
    history += fmt::format("{},{},{},{},{},{}\n", h.generation, h.evaluations, Csv(h.best), Csv(h.mean),
                           Csv(h.hypervolume), h.front_size);
  }
  WriteFileAtomically((fs::path(folder) / "history.csv").string(), history);

  // pareto.csv: the front, sorted by the first front metric.
  const std::vector<int> front_metrics = c.engine.FrontMetrics();
  std::vector<Genome> front = r.front;
  const auto value = [&](const Genome& g, int metric) { return c.evaluator.Score(g).values[metric]; };
  std::stable_sort(front.begin(), front.end(), [&](const Genome& a, const Genome& b) {
    return value(a, front_metrics.back()) < value(b, front_metrics.back());
  });
  std::string pareto = "arch";
  for (const Metric& m : c.evaluator.metrics()) pareto += "," + m.ToString();
  pareto += ",chosen\n";
  for (const Genome& g : front) {
    pareto += c.space.ToString(g);
    for (size_t i = 0; i < c.evaluator.metrics().size(); ++i) pareto += "," + Csv(value(g, static_cast<int>(i)));
    pareto += fmt::format(",{}\n", c.space.Canonical(g) == c.space.Canonical(r.best) ? 1 : 0);
  }
  WriteFileAtomically((fs::path(folder) / "pareto.csv").string(), pareto);

  // pareto.svg: y = the first objective, x = the next front metric.
  if (front_metrics.size() >= 2) {
    const int y_metric = front_metrics[0], x_metric = front_metrics[1];
    const Metric& ym = c.evaluator.metrics()[y_metric];
    const Metric& xm = c.evaluator.metrics()[x_metric];
    Plot plot;
    plot.title = fmt::format("{}: {} vs {}", recipe.job, ym.ToString(), xm.ToString());
    plot.x_label = fmt::format("{} ({})", xm.ToString(), xm.Unit());
    plot.y_label = fmt::format("{} ({})", ym.ToString(), ym.Unit());
    PlotSeries population, line, chosen;
    population.label = "final population";
    population.color = "#bbbbbb";
    for (const Genome& g : r.population) population.points.emplace_back(value(g, x_metric), value(g, y_metric));
    line.label = fmt::format("non-dominated ({})", front.size());
    line.line = true;
    for (const Genome& g : front) line.points.emplace_back(value(g, x_metric), value(g, y_metric));
    std::sort(line.points.begin(), line.points.end());
    chosen.label = "chosen: " + c.space.ToString(r.best);
    chosen.color = "#d62728";
    chosen.radius = 5;
    chosen.points.emplace_back(value(r.best, x_metric), value(r.best, y_metric));
    plot.series = {population, line, chosen};
    plot.caption = fmt::format("{} evaluations, {} generations, seed {}", r.evaluations, r.generations, recipe.seed);
    WriteFileAtomically((fs::path(folder) / "pareto.svg").string(), RenderSvg(plot));
  }

  // breakdown_<device>.csv for each device metric scored.
  const NetworkSpec network = c.space.Decode(r.best);
  for (size_t i = 0; i < c.evaluator.metrics().size(); ++i) {
    const LutCostModel* model = c.evaluator.cost_model(static_cast<int>(i));
    if (model == nullptr) continue;
    const Metric& m = c.evaluator.metrics()[i];
    const std::vector<double> per_layer = model->LayerCosts(r.best);
    const double total = model->Cost(r.best);
    std::vector<size_t> order(per_layer.size());
    std::iota(order.begin(), order.end(), size_t{0});
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return per_layer[a] > per_layer[b]; });
    std::string csv = fmt::format("rank,layer,op,in_channels,out_channels,kernel,stride,expand_ratio,{}_{},share_percent\n",
                                  m.kind == Metric::Kind::kLatency ? "latency" : "energy", m.Unit());
    double layers_sum = 0;
    int rank = 0;
    for (size_t k : order) {
      const LayerSpec& l = network.layers[k];
      layers_sum += per_layer[k];
      csv += fmt::format("{},{},{},{},{},{},{},{:g},{},{:.2f}\n", ++rank, l.name, LayerOpToString(l.op), l.in_channels,
                         l.out_channels, l.kernel, l.stride, l.expand_ratio, Csv(per_layer[k]),
                         100 * per_layer[k] / total);
    }
    if (std::abs(total - layers_sum) > 1e-12) {
      csv += fmt::format(",per-network constant,,,,,,,{},{:.2f}\n", Csv(total - layers_sum), 100 * (total - layers_sum) / total);
    }
    const std::string name = fmt::format("breakdown_{}{}.csv", m.device, m.kind == Metric::Kind::kEnergy ? "_energy" : "");
    WriteFileAtomically((fs::path(folder) / name).string(), csv);
  }
}

}  // namespace edgenas
