// The validation scatter plot: predicted against measured latency, with y = x
// and the ±10% band.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "common/svg_plot.h"
#include "profiler/profile_measure.h"

namespace edgenas {

std::string ValidationSvg(const ValidationReport& report, const std::string& title) {
  Plot plot;
  plot.title = title;
  plot.x_label = "measured latency (ms)";
  plot.y_label = "predicted latency (ms)";
  plot.include_zero = true;
  plot.same_axes = true;
  PlotSeries inside, outside;
  inside.label = "within ±10%";
  outside.label = "outside ±10%";
  outside.color = "#d62728";
  double max_ms = 0;
  for (const auto& n : report.networks) {
    (std::abs(n.error_percent()) <= 10.0 ? inside : outside).points.emplace_back(n.measured_ms, n.predicted_ms);
    max_ms = std::max({max_ms, n.measured_ms, n.predicted_ms});
  }
  const PlotSeries identity = PlotSeries::Line({{0, 0}, {max_ms, max_ms}}, "#444", false);
  const PlotSeries low = PlotSeries::Line({{0, 0}, {max_ms, 0.9 * max_ms}}, "#888", true);
  const PlotSeries high = PlotSeries::Line({{0, 0}, {max_ms / 1.1, max_ms}}, "#888", true);
  plot.series = {identity, low, high, inside, outside};
  plot.caption = fmt::format("{} networks: mean |error| {:.1f}%, {:.0f}% within ±10% (dashed), {:.0f}% within ±5%",
                             report.networks.size(), report.mean_abs_percent_error,
                             100 * report.share_within_10_percent, 100 * report.share_within_5_percent);
  return RenderSvg(plot);
}

}  // namespace edgenas
