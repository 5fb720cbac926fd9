#include "job/job_report.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <vector>

#include "common/csv_reader.h"
#include "common/error.h"
#include "common/file_util.h"
#include "common/svg_plot.h"
#include "common/text.h"
#include "job/search_results.h"
#include "space/network_stats.h"
#include "space/space_loader.h"

namespace edgenas {

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// Where the figures come from, relative to the job folder.
constexpr const char* kSummary = "summary.json";
constexpr const char* kExport = "export/report.json";
constexpr const char* kTraining = "train/metrics.json";
constexpr const char* kTeacher = "teacher/metrics.json";
constexpr const char* kRun = "run.json";

json ReadJsonIfThere(const std::string& path) {
  if (!PathExists(path)) return nullptr;
  try {
    return json::parse(ReadFile(path));
  } catch (const json::parse_error& e) {
    EDGENAS_THROW_FMT("{}: not JSON: {}", path, JsonErrorReason(e.what()));
  }
}

// A number at a JSON pointer, or nullopt when it is absent or null.
std::optional<double> NumberAt(const json& document, const std::string& pointer) {
  if (document.is_null()) return std::nullopt;
  const json::json_pointer at(pointer);
  if (!document.contains(at) || !document.at(at).is_number()) return std::nullopt;
  return document.at(at).get<double>();
}

std::string PointerToken(const std::string& key) {  // RFC 6901 escaping
  std::string out;
  for (char c : key) out += c == '~' ? std::string("~0") : c == '/' ? std::string("~1") : std::string(1, c);
  return out;
}

struct Breakdown {
  std::string file;    // breakdown_<device>[_<metric>].csv
  std::string metric;  // its value column, e.g. latency_int8_ms
  std::vector<std::pair<std::string, double>> rows;  // (layer, value), as in the file
};

// Everything a job folder holds that the page shows.
struct JobFiles {
  std::string folder;
  json summary, training, teacher, exported, run;
  std::optional<CsvFile> pareto;
  std::vector<Breakdown> breakdowns;
  std::optional<NetworkSpec> network;  // the chosen network, decoded from its space
  std::string network_error;           // why it could not be, if so
  std::string recipe_text;

  // The document read from `file` (one of the k* paths); null if absent.
  const json& Document(const std::string& file) const {
    if (file == kSummary) return summary;
    if (file == kExport) return exported;
    if (file == kTraining) return training;
    if (file == kTeacher) return teacher;
    EDGENAS_ASSERT(file == kRun);
    return run;
  }
};

std::string In(const std::string& folder, const std::string& file) { return (fs::path(folder) / file).string(); }

std::vector<Breakdown> ReadBreakdowns(const std::string& folder) {
  std::vector<std::string> files;
  for (const auto& entry : fs::directory_iterator(folder)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind("breakdown_", 0) == 0 && entry.path().extension() == ".csv") files.push_back(name);
  }
  std::sort(files.begin(), files.end());
  std::vector<Breakdown> breakdowns;
  for (const std::string& file : files) {
    const CsvFile csv = CsvFile::Read(In(folder, file));
    const int layer = csv.Column("layer"), value = csv.Column("share_percent") - 1;
    if (layer < 0 || value < 1) csv.Fail({csv.header_line(), {}}, "expected columns layer, ..., <metric>, share_percent");
    Breakdown b{file, csv.header()[value], {}};
    for (const CsvFile::Row& row : csv.rows()) b.rows.emplace_back(row.fields[layer], csv.Number(row, value));
    breakdowns.push_back(std::move(b));
  }
  return breakdowns;
}

JobFiles ReadJobFiles(const std::string& folder) {
  JobFiles f;
  f.folder = folder;
  f.summary = ReadJsonIfThere(In(folder, kSummary));
  EDGENAS_THROW_IF_NOT_FMT(!f.summary.is_null(), "{}: not a finished search (no summary.json)", folder);
  f.training = ReadJsonIfThere(In(folder, kTraining));
  f.teacher = ReadJsonIfThere(In(folder, kTeacher));
  f.exported = ReadJsonIfThere(In(folder, kExport));
  f.run = ReadJsonIfThere(In(folder, kRun));
  if (PathExists(In(folder, "pareto.csv"))) f.pareto = CsvFile::Read(In(folder, "pareto.csv"));
  f.breakdowns = ReadBreakdowns(folder);
  try {
    const SearchSpace space = LoadSpace(f.summary.at("space").get<std::string>());
    f.network = space.Decode(space.Parse(f.summary.at("best").at("arch").get<std::string>()));
  } catch (const Error& e) {
    f.network_error = e.what();
  }
  if (f.run.contains("recipe_text")) {
    f.recipe_text = f.run["recipe_text"].get<std::string>();
  } else if (const std::string recipe = f.summary.value("recipe", ""); PathExists(recipe)) {
    f.recipe_text = ReadFile(recipe);
  }
  return f;
}

// ---- pieces of HTML -------------------------------------------------------

std::string Html(const std::string& text) { return EscapeXml(text); }

// `value` in fixed point: `decimals` places, thousands separated for integers.
std::string Fixed(double value, int decimals) {
  if (decimals == 0 && std::abs(value) < 9e15) return WithThousands(std::llround(value));
  return fmt::format("{:.{}f}", value, decimals);
}

// Decimals that show four significant digits of `value` (latencies in ms).
int SignificantDecimals(double value) {
  if (value == 0 || !std::isfinite(value)) return 0;
  return std::clamp(3 - static_cast<int>(std::floor(std::log10(std::abs(value)))), 0, 8);
}

// A number in one of the job's files, and how it is shown: `decimals` places
// (-1: four significant digits) of the value divided by `scale`.
struct FigureRef {
  std::string file, pointer;
  int decimals = -1;
  double scale = 1;
};

std::optional<double> ValueOf(const JobFiles& f, const FigureRef& r) { return NumberAt(f.Document(r.file), r.pointer); }

// The figure as shown, or empty when the file does not hold it.
std::string ShownText(const JobFiles& f, const FigureRef& r) {
  const std::optional<double> value = ValueOf(f, r);
  if (!value) return "";
  const double shown = *value / r.scale;
  return Fixed(shown, r.decimals >= 0 ? r.decimals : SignificantDecimals(shown));
}

// The figure on the page, tied to its file and pointer for the page test.
std::string Figure(const JobFiles& f, const FigureRef& r) {
  const std::optional<double> value = ValueOf(f, r);
  if (!value) return "<span class=\"missing\">&mdash;</span>";
  return fmt::format("<span class=\"figure\" data-file=\"{}\" data-key=\"{}\" data-value=\"{:.17g}\"{}>{}</span>",
                     r.file, Html(r.pointer), *value, r.scale == 1 ? "" : fmt::format(" data-scale=\"{:g}\"", r.scale),
                     ShownText(f, r));
}

std::string Figure(const JobFiles& f, const std::string& file, const std::string& pointer, int decimals = -1) {
  return Figure(f, FigureRef{file, pointer, decimals});
}

bool IsAccuracy(const std::string& metric) { return metric.rfind("accuracy", 0) == 0; }

// Predicted minus measured: accuracy in points, the rest relative to the measurement.
std::string ErrorText(const std::string& metric, double predicted, double measured) {
  return IsAccuracy(metric) ? fmt::format("{:+.2f} points", predicted - measured)
                            : fmt::format("{:+.1f}%", 100 * (predicted - measured) / measured);
}

// What a metric was measured on, after its name.
std::string MetricNote(const std::string& metric) {
  if (IsAccuracy(metric)) return "top-1 on the validation split, fp32: what the predictor learned";
  if (metric.rfind("latency_int8@", 0) == 0) return "the int8 model";
  if (metric.rfind("latency@", 0) == 0) return "the fp32 model";
  return "";
}

// ---- the predicted-vs-measured table ---------------------------------------

// One row of the job's table, for the page and the terminal alike.
struct ResultRow {
  std::string what, note;  // the note goes after `what`, in parentheses
  std::optional<FigureRef> predicted, measured;
  std::string error;
  std::string unit;
};

std::vector<ResultRow> ResultRows(const JobFiles& f) {
  std::vector<ResultRow> rows;
  const json& predicted = f.exported.is_null() ? json::object() : f.exported.value("predicted", json::object());
  for (const auto& [metric, figure] : f.summary.at("best").at("metrics").items()) {
    const int decimals = IsAccuracy(metric) ? 2 : -1;
    ResultRow row{metric, MetricNote(metric), FigureRef{kSummary, "/best/metrics/" + PointerToken(metric) + "/value", decimals},
                  std::nullopt, "", figure.value("unit", "")};
    const std::string measured = "/" + PointerToken(metric) + "/measured";
    if (const std::optional<double> m = NumberAt(predicted, measured)) {
      row.measured = FigureRef{kExport, "/predicted" + measured, decimals};
      row.error = ErrorText(metric, figure.at("value").get<double>(), *m);
    }
    rows.push_back(row);
  }
  const bool exported = !f.exported.is_null();
  const FigureRef fp32_top1{kExport, "/onnxruntime_fp32/test_top1", 2}, int8_top1{kExport, "/onnxruntime_int8/test_top1", 2};
  if (exported) {
    rows.push_back({"test top-1, fp32 in ONNX Runtime", "", std::nullopt, fp32_top1, "", "%"});
    const std::optional<double> fp32 = ValueOf(f, fp32_top1), int8 = ValueOf(f, int8_top1);
    rows.push_back({"test top-1, int8 in ONNX Runtime", "", std::nullopt, int8_top1,
                    fp32 && int8 ? fmt::format("{:+.2f} points vs fp32", *int8 - *fp32) : "", "%"});
  }
  rows.push_back({"MACs", "", FigureRef{kSummary, "/best/macs", 0}, std::nullopt, "", ""});
  rows.push_back({"parameters", "", FigureRef{kSummary, "/best/params", 0}, std::nullopt, "", ""});
  if (exported) {
    rows.push_back({"ONNX file, fp32", "", std::nullopt, FigureRef{kExport, "/onnxruntime_fp32/file_bytes", 1, 1024}, "", "KiB"});
    rows.push_back({"ONNX file, int8", "", std::nullopt, FigureRef{kExport, "/onnxruntime_int8/file_bytes", 1, 1024}, "", "KiB"});
  }
  return rows;
}

std::string PredictionTable(const JobFiles& f) {
  std::string rows;
  for (const ResultRow& r : ResultRows(f)) {
    std::string what = Html(r.what);
    if (!r.note.empty()) what += " <small>(" + Html(r.note) + ")</small>";
    if (IsAccuracy(r.what) && !f.teacher.is_null()) {
      what += " <small>measured on the network distilled from the teacher, which the predictor's were not</small>";
    }
    rows += fmt::format("<tr><th>{}</th><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n", what,
                        r.predicted ? Figure(f, *r.predicted) : "", r.measured ? Figure(f, *r.measured) : "",
                        Html(r.error), Html(r.unit));
  }
  std::string html =
      "<table class=\"predictions\">\n<tr><th></th><th>predicted</th><th>measured</th><th>error</th><th>unit</th></tr>\n" +
      rows + "</table>\n";
  if (f.exported.is_null()) {
    html += fmt::format("<p class=\"note\">Not exported yet: <code>edgenas export {}</code> trains, quantizes and "
                        "measures the chosen network.</p>\n",
                        Html(f.folder));
  } else {
    const json& latency = f.exported.value("latency", json::object());
    html += fmt::format(
        "<p class=\"note\">Latency measured in {} at batch {}, {} intra-op thread(s), the {} ({} runs each), given at the "
        "speed the device profile was measured at (its reference network is timed beside the models). Accuracy "
        "errors are predicted minus measured, in points; latency errors relative to the measurement.</p>\n",
        Html(latency.value("runtime", "ONNX Runtime")), latency.value("batch", 1), latency.value("intra_op_threads", 1),
        Html(latency.value("statistic", "median")), latency.value("timed_runs", 0));
  }
  return html;
}

// ---- the Pareto front --------------------------------------------------------

// The panels, as (y, x) metric pairs that pareto.csv has: every pair of
// objectives, then the first objective against each constrained metric that
// is not an objective (so that every budget is drawn).
std::vector<std::pair<std::string, std::string>> ParetoPanels(const JobFiles& f) {
  std::vector<std::string> objectives, constrained;
  const auto add = [&](std::vector<std::string>& to, const std::string& m) {
    const bool seen = std::find(objectives.begin(), objectives.end(), m) != objectives.end() ||
                      std::find(constrained.begin(), constrained.end(), m) != constrained.end();
    if (f.pareto->Column(m) >= 0 && !seen) to.push_back(m);
  };
  for (const json& o : f.summary.value("objectives", json::array())) {
    const std::string text = o.get<std::string>();  // "maximize accuracy"
    add(objectives, text.substr(text.find(' ') + 1));
  }
  for (const json& c : f.summary.value("constraints", json::array())) add(constrained, c.at("metric").get<std::string>());
  std::vector<std::pair<std::string, std::string>> panels;
  for (size_t i = 0; i < objectives.size(); ++i) {
    for (size_t j = i + 1; j < objectives.size(); ++j) panels.emplace_back(objectives[i], objectives[j]);
  }
  if (!objectives.empty()) {
    for (const std::string& m : constrained) panels.emplace_back(objectives[0], m);
  }
  return panels;
}

std::string AxisLabel(const JobFiles& f, const std::string& metric) {
  const std::string unit = f.summary.at("best").at("metrics").value(metric, json::object()).value("unit", "");
  return unit.empty() ? metric : fmt::format("{} ({})", metric, unit);
}

std::string ParetoPanel(const JobFiles& f, const std::string& y_metric, const std::string& x_metric) {
  const CsvFile& csv = *f.pareto;
  const int x = csv.Column(x_metric), y = csv.Column(y_metric), chosen_column = csv.Column("chosen");
  const std::vector<std::string>& header = csv.header();
  Plot plot;
  plot.title = fmt::format("{} vs {}", y_metric, x_metric);
  plot.x_label = AxisLabel(f, x_metric);
  plot.y_label = AxisLabel(f, y_metric);
  plot.width = 420;
  plot.height = 300;
  PlotSeries front, chosen;
  front.label = fmt::format("non-dominated networks ({})", csv.rows().size());
  chosen.label = "chosen network";
  chosen.color = "#d62728";
  chosen.radius = 6;
  for (const CsvFile::Row& row : csv.rows()) {
    std::string title = row.fields[0];
    for (size_t c = 1; c < header.size(); ++c) {
      if (header[c] != "chosen") title += fmt::format("\n{} = {:.5g}", header[c], csv.Number(row, static_cast<int>(c)));
    }
    const bool is_chosen = chosen_column >= 0 && row.fields[chosen_column] == "1";
    PlotSeries& series = is_chosen ? chosen : front;
    series.points.emplace_back(csv.Number(row, x), csv.Number(row, y));
    series.titles.push_back(title);
  }
  plot.series = {front, chosen};
  for (const json& c : f.summary.value("constraints", json::array())) {
    const auto bound = [&](const char* key) {
      return c.contains(key) ? std::optional<double>(c.at(key).get<double>()) : std::nullopt;
    };
    AddBudgetGuides(c.at("metric").get<std::string>(), bound("min"), bound("max"), x_metric, y_metric, &plot);
  }
  return RenderSvg(plot);
}

std::string ParetoSection(const JobFiles& f) {
  if (!f.pareto) return "<p class=\"note\">No pareto.csv in the folder.</p>\n";
  const std::vector<std::pair<std::string, std::string>> panels = ParetoPanels(f);
  if (panels.empty()) {
    return "<p class=\"note\">One objective and no constrained metric beside it: there is no front to draw.</p>\n";
  }
  std::string html = "<div class=\"panels\">\n";
  for (const auto& [y, x] : panels) html += "<figure class=\"pareto\">" + ParetoPanel(f, y, x) + "</figure>\n";
  return html + "</div>\n<p class=\"note\">The non-dominated networks of the final population, as the search scored "
                "them (predicted, not measured). Hover a point for its arch string and figures; dashed lines are "
                "the recipe's budgets.</p>\n";
}

// ---- the chosen network, block by block ------------------------------------

std::string ActivationName(Activation a) {
  switch (a) {
    case Activation::kNone: return "";
    case Activation::kReLU: return "ReLU";
    case Activation::kReLU6: return "ReLU6";
    case Activation::kHSwish: return "h-swish";
  }
  return "";
}

std::vector<std::string> BlockLines(const LayerSpec& l) {
  const std::string size = fmt::format("{}→{} px", l.in_size, l.out_size);
  const std::string channels = fmt::format("{}→{} ch", l.in_channels, l.out_channels);
  switch (l.op) {
    case LayerOp::kMBConv:
      return {fmt::format("MBConv{:g} {}×{}", l.expand_ratio, l.kernel, l.kernel), channels, size,
              ActivationName(l.activation) + (l.se ? " + SE" : "") + (l.residual ? " + res" : "")};
    case LayerOp::kConv:
      return {fmt::format("{}conv {}×{}", l.groups > 1 ? "dw " : "", l.kernel, l.kernel), channels, size,
              ActivationName(l.activation)};
    case LayerOp::kLinear: return {"linear", channels, "", ActivationName(l.activation)};
    case LayerOp::kIdentity: return {"skip", channels, size, ""};
    case LayerOp::kGlobalAvgPool: return {"global avg pool", channels, size, ""};
  }
  return {};
}

std::string BlockColor(const LayerSpec& l) {
  if (l.skip_op || l.op == LayerOp::kIdentity) return "#f4f4f4";
  if (l.op != LayerOp::kMBConv) return "#e3e8ef";
  static const char* by_kernel[] = {"#cfe3f7", "#9cc7ef", "#5f9fd8"};  // 3x3, 5x5, 7x7 and up
  return by_kernel[std::clamp((l.kernel - 3) / 2, 0, 2)];
}

std::string NetworkSection(const JobFiles& f) {
  if (!f.network) return fmt::format("<p class=\"note\">The network could not be drawn: {}</p>\n", Html(f.network_error));
  const NetworkSpec& n = *f.network;
  const NetworkStats stats = ComputeStats(n);
  const int per_row = 8;
  const double box_w = 118, box_h = 92, gap = 16, pad = 10;
  const int count = static_cast<int>(n.layers.size());
  const int rows = (count + per_row - 1) / per_row;
  const double width = pad * 2 + per_row * box_w + (per_row - 1) * gap;
  const double height = pad * 2 + rows * box_h + (rows - 1) * gap;
  std::string svg = fmt::format(
      "<svg class=\"network\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{:.0f}\" height=\"{:.0f}\" "
      "font-family=\"sans-serif\" font-size=\"11\">\n",
      width, height);
  for (int i = 0; i < count; ++i) {
    const LayerSpec& l = n.layers[i];
    const double x = pad + (i % per_row) * (box_w + gap), y = pad + (i / per_row) * (box_h + gap);
    const std::vector<std::string> lines = BlockLines(l);
    svg += fmt::format(
        "<g class=\"block\" data-layer=\"{}\"><title>{}: {}, {} MACs, {} parameters</title>"
        "<rect x=\"{:.0f}\" y=\"{:.0f}\" width=\"{:.0f}\" height=\"{:.0f}\" rx=\"6\" fill=\"{}\" stroke=\"#567\"{}/>"
        "<text x=\"{:.0f}\" y=\"{:.0f}\" font-weight=\"bold\">{}</text>",
        Html(l.name), Html(l.name), Html(lines[0]), WithThousands(stats.layers[i].macs),
        WithThousands(stats.layers[i].params), x, y, box_w, box_h, BlockColor(l),
        l.skip_op ? " stroke-dasharray=\"4 3\"" : "", x + 6, y + 15, Html(l.name));
    for (size_t k = 0; k < lines.size(); ++k) {
      svg += fmt::format("<text x=\"{:.0f}\" y=\"{:.0f}\">{}</text>", x + 6, y + 33 + 16 * k, Html(lines[k]));
    }
    svg += "</g>\n";
    if (i + 1 < count && (i + 1) % per_row != 0) {  // an arrow to the next block in the row
      svg += fmt::format("<line x1=\"{:.0f}\" y1=\"{:.0f}\" x2=\"{:.0f}\" y2=\"{:.0f}\" stroke=\"#567\"/>"
                         "<polygon points=\"{:.0f},{:.0f} {:.0f},{:.0f} {:.0f},{:.0f}\" fill=\"#567\"/>\n",
                         x + box_w, y + box_h / 2, x + box_w + gap - 4, y + box_h / 2, x + box_w + gap, y + box_h / 2,
                         x + box_w + gap - 5, y + box_h / 2 - 4, x + box_w + gap - 5, y + box_h / 2 + 4);
    }
  }
  svg += "</svg>\n";
  return fmt::format(
      "<p><code class=\"arch\">{}</code>: input {}×{}×{}, {} layers, {} MACs, {} parameters. Blocks are coloured by "
      "kernel size (lighter: 3×3); a dashed border is a skipped layer.</p>\n<div class=\"scroll\">{}</div>\n",
      Html(f.summary.at("best").at("arch").get<std::string>()), n.input_channels, n.resolution, n.resolution, count,
      Figure(f, kSummary, "/best/macs", 0), Figure(f, kSummary, "/best/params", 0), svg);
}

// ---- per-layer cost ----------------------------------------------------------

std::string BreakdownChart(const JobFiles& f, const Breakdown& b) {
  // Network order when the network is known; what it does not name (the
  // per-network constant) after, as in the file.
  std::map<std::string, size_t> position;
  if (f.network) {
    for (size_t i = 0; i < f.network->layers.size(); ++i) position[f.network->layers[i].name] = i;
  }
  std::vector<std::pair<std::string, double>> order = b.rows;
  std::stable_sort(order.begin(), order.end(), [&](const auto& x, const auto& y) {
    const auto at = [&](const std::string& layer) {
      const auto found = position.find(layer);
      return found == position.end() ? position.size() : found->second;
    };
    return at(x.first) < at(y.first);
  });
  double total = 0, largest = 0;
  for (const auto& [layer, value] : order) total += value, largest = std::max(largest, value);
  const double label_w = 150, bar_w = 420, row_h = 18, top = 8;
  const double height = top * 2 + row_h * order.size();
  std::string svg = fmt::format(
      "<svg class=\"bars\" data-file=\"{}\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{:.0f}\" height=\"{:.0f}\" "
      "font-family=\"sans-serif\" font-size=\"11\">\n",
      Html(b.file), label_w + bar_w + 120, height);
  for (size_t i = 0; i < order.size(); ++i) {
    const auto& [layer, value] = order[i];
    const double y = top + row_h * i;
    const double w = largest > 0 ? bar_w * value / largest : 0;
    svg += fmt::format(
        "<g class=\"bar\" data-layer=\"{0}\" data-value=\"{1:.17g}\"><title>{0}: {2:.4g} ({3:.1f}% of {4:.4g})</title>"
        "<text x=\"{5:.0f}\" y=\"{6:.0f}\" text-anchor=\"end\">{0}</text>"
        "<rect x=\"{7:.0f}\" y=\"{8:.0f}\" width=\"{9:.1f}\" height=\"{10:.0f}\" fill=\"#5f9fd8\"/>"
        "<text x=\"{11:.0f}\" y=\"{6:.0f}\">{2:.4g}</text></g>\n",
        Html(layer), value, value, total > 0 ? 100 * value / total : 0, total, label_w - 6, y + 13, label_w, y + 3,
        w, row_h - 5, label_w + w + 4);
  }
  svg += "</svg>\n";
  return fmt::format("<figure><figcaption><code>{}</code>: {} per layer, in network order (total {:.4g}), predicted "
                     "from the device profile</figcaption>{}</figure>\n",
                     Html(b.file), Html(b.metric), total, svg);
}

// ---- how the job ran ---------------------------------------------------------

std::string RunSection(const JobFiles& f) {
  std::string items;
  const auto item = [&](const std::string& what, const std::string& text) {
    items += fmt::format("<tr><th>{}</th><td>{}</td></tr>\n", what, text);
  };
  const json& s = f.summary;
  item("job", fmt::format("{} (recipe <code>{}</code>), space {}", Html(s.value("job", "")), Html(s.value("recipe", "")),
                          Html(s.value("space", ""))));
  item("search", fmt::format("{}, seed {}: {} networks scored in {} generations, {} s", Html(s.value("algorithm", "")),
                             Figure(f, kSummary, "/seed", 0), Figure(f, kSummary, "/evaluations", 0),
                             Figure(f, kSummary, "/generations", 0), Figure(f, kSummary, "/wall_time_seconds", 2)));
  if (!f.training.is_null()) {
    item("training", fmt::format("{} epoch(s) on {} images, {} thread(s), {} s; validation top-1 {} %, test top-1 {} %",
                                 f.training.contains("train_loss") ? f.training["train_loss"].size() : 0,
                                 Figure(f, kTraining, "/train_images", 0), Figure(f, kTraining, "/threads", 0),
                                 Figure(f, kTraining, "/train_seconds", 1), Figure(f, kTraining, "/validation_top1", 2),
                                 Figure(f, kTraining, "/test_top1", 2)));
  }
  if (!f.teacher.is_null()) {
    item("distillation", fmt::format("from the teacher <code class=\"arch\">{}</code> ({} MACs), trained first the "
                                     "same way: validation top-1 {} %, {} s. The predictor's networks were trained "
                                     "without a teacher.",
                                     Html(f.teacher.value("arch", "")), Figure(f, kTeacher, "/macs", 0),
                                     Figure(f, kTeacher, "/validation_top1", 2), Figure(f, kTeacher, "/train_seconds", 1)));
  }
  if (!f.exported.is_null()) {
    const json& q = f.exported.value("quantization", json::object());
    item("quantization", fmt::format("weights {}; activations {}, {} ranges from {} images of the {}; {} epoch(s) of "
                                     "quantization-aware training",
                                     Html(q.value("weights", "")), Html(q.value("activations", "")),
                                     Html(q.value("calibration", "")), Figure(f, kExport, "/quantization/calibration_images", 0),
                                     Html(q.value("calibration_data", "")), Figure(f, kExport, "/quantization/qat_epochs", 0)));
  }
  if (!f.run.is_null()) {
    std::string stages;
    const json stage_list = f.run.value("stages", json::array());
    for (size_t k = 0; k < stage_list.size(); ++k) {
      const json& stage = stage_list[k];
      stages += fmt::format("{}{} {} s{}", stages.empty() ? "" : "; ", Html(stage.value("stage", "")),
                            Figure(f, kRun, fmt::format("/stages/{}/seconds", k), 1),
                            stage.value("kept", false) ? " (kept from an earlier run)" : "");
    }
    item("stages", stages + fmt::format("; this run {} s", Figure(f, kRun, "/total_seconds", 1)));
    item("machine", fmt::format("{}, {} core(s); {} thread(s) for the search; started {}",
                                Html(f.run.value("cpu", "")), Figure(f, kRun, "/cores", 0), Figure(f, kRun, "/threads", 0),
                                Html(f.run.value("started_utc", ""))));
    item("versions", Html(f.run.value("versions", "")));
  } else {
    item("versions", "edgenas " + Html(s.value("edgenas_version", "")));
  }
  std::string html = "<table class=\"facts\">\n" + items + "</table>\n";
  if (!f.recipe_text.empty()) {
    html += "<details open><summary>The recipe</summary><pre>" + Html(f.recipe_text) + "</pre></details>\n";
  }
  return html;
}

constexpr const char* kStyle = R"(
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 1140px; color: #222; padding: 0 1em; }
h1 { font-size: 1.5em; } h2 { font-size: 1.2em; margin-top: 2em; border-bottom: 1px solid #ccc; }
table { border-collapse: collapse; } th, td { padding: 4px 10px; border-bottom: 1px solid #e4e4e4; text-align: left; }
table.predictions td { text-align: right; font-variant-numeric: tabular-nums; }
.note { color: #555; font-size: 0.9em; } .missing { color: #999; }
.panels { display: flex; flex-wrap: wrap; gap: 1em; } figure { margin: 0.5em 0; }
.scroll { overflow-x: auto; } code.arch { font-size: 0.95em; background: #f3f3f3; padding: 1px 4px; }
pre { background: #f6f6f6; padding: 0.8em; overflow-x: auto; }
)";

}  // namespace

std::string RenderJobReportHtml(const std::string& folder) {
  const JobFiles f = ReadJobFiles(folder);
  const std::string job = f.summary.value("job", "");
  std::string html = fmt::format(
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>edgenas: {}</title>\n"
      "<style>{}</style>\n</head>\n<body>\n<h1>edgenas job <em>{}</em></h1>\n"
      "<p>The network the search chose in {}, <code class=\"arch\">{}</code>, and how its predicted figures held up "
      "once it was trained, quantized and run.</p>\n",
      Html(job), kStyle, Html(job), Html(f.summary.value("space", "")),
      Html(f.summary.at("best").at("arch").get<std::string>()));
  html += "<h2 id=\"predictions\">Predicted and measured</h2>\n" + PredictionTable(f);
  html += "<h2 id=\"pareto\">The Pareto front</h2>\n" + ParetoSection(f);
  html += "<h2 id=\"network\">The chosen network</h2>\n" + NetworkSection(f);
  html += "<h2 id=\"layers\">Cost per layer</h2>\n";
  if (f.breakdowns.empty()) html += "<p class=\"note\">No breakdown_*.csv: the recipe scores no device profile.</p>\n";
  for (const Breakdown& b : f.breakdowns) html += BreakdownChart(f, b);
  html += "<h2 id=\"run\">How the job ran</h2>\n" + RunSection(f);
  return html + "</body>\n</html>\n";
}

std::string WriteJobReport(const std::string& folder) {
  const std::string path = In(folder, "report.html");
  WriteFileAtomically(path, RenderJobReportHtml(folder));
  return path;
}

std::string JobResultTable(const std::string& folder) {
  const JobFiles f = ReadJobFiles(folder);
  const json& best = f.summary.at("best");
  std::string out = fmt::format("{}: {} ({})\n\n| | predicted | measured | error |\n|---|---|---|---|\n",
                                f.summary.value("job", ""), best.at("arch").get<std::string>(),
                                f.summary.value("space", ""));
  for (const ResultRow& r : ResultRows(f)) {
    const std::string unit = r.unit.empty() ? "" : " " + r.unit;
    const auto shown = [&](const std::optional<FigureRef>& ref) {
      const std::string text = ref ? ShownText(f, *ref) : "";
      return text.empty() ? text : text + unit;
    };
    for (const std::string& cell :
         {r.what + (r.note.empty() ? "" : " (" + r.note + ")"), shown(r.predicted), shown(r.measured), r.error}) {
      out += cell.empty() ? "| " : "| " + cell + " ";
    }
    out += "|\n";
  }
  if (const std::optional<double> teacher = NumberAt(f.teacher, "/validation_top1")) {
    out += fmt::format("\nThe network was distilled from the teacher {} ({:.2f} % validation top-1); the predictor's "
                       "networks were trained without one.\n",
                       f.teacher.value("arch", ""), *teacher);
  }
  out += "\nwritten:\n";
  const auto written = [&](const std::string& file, const std::string& what) {
    if (PathExists(In(folder, file))) out += fmt::format("  {:<44} {}\n", In(folder, file), what);
  };
  written("report.html", "this job on one page");
  written("summary.json", "the search's chosen network and its predicted figures");
  written("pareto.csv", "the non-dominated networks");
  written("teacher/weights.pt", "the teacher it was distilled from");
  written("train/weights.pt", "the trained network (LibTorch state_dict)");
  written("export/model_int8.onnx", "the int8 model to deploy");
  written("export/model_fp32.onnx", "the fp32 model");
  written("export/report.md", "the export's measurements, in words");
  return out;
}

}  // namespace edgenas
