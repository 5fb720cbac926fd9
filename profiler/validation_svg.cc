// The validation scatter plot, written as SVG by hand: one plot does not
// justify a plotting dependency, and SVG is plain text.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "profiler/profile_measure.h"

namespace edgenas {

std::string ValidationSvg(const ValidationReport& report, const std::string& title) {
  const double size = 420, left = 70, top = 50;  // plot square and margins, px
  double max_ms = 0;
  for (const auto& n : report.networks) max_ms = std::max({max_ms, n.predicted_ms, n.measured_ms});
  // A round axis limit: 1, 2 or 5 times a power of ten, five ticks.
  const double raw_step = std::max(max_ms, 1e-9) * 1.05 / 5;
  const double magnitude = std::pow(10.0, std::floor(std::log10(raw_step)));
  const double step = raw_step / magnitude <= 1 ? magnitude : raw_step / magnitude <= 2 ? 2 * magnitude
                                                          : raw_step / magnitude <= 5 ? 5 * magnitude
                                                                                      : 10 * magnitude;
  const double limit = step * 5;
  auto x = [&](double ms) { return left + ms / limit * size; };
  auto y = [&](double ms) { return top + size - ms / limit * size; };

  std::string svg = fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" height=\"{}\" font-family=\"sans-serif\" "
      "font-size=\"12\">\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
      "<text x=\"{}\" y=\"25\" font-size=\"14\" text-anchor=\"middle\">{}</text>\n",
      left + size + 30, top + size + 60, left + size / 2, title);
  for (int i = 0; i <= 5; ++i) {
    const double v = step * i;
    svg += fmt::format(
        "<line x1=\"{0:.1f}\" y1=\"{1:.1f}\" x2=\"{0:.1f}\" y2=\"{2:.1f}\" stroke=\"#ddd\"/>"
        "<line x1=\"{3:.1f}\" y1=\"{4:.1f}\" x2=\"{5:.1f}\" y2=\"{4:.1f}\" stroke=\"#ddd\"/>"
        "<text x=\"{0:.1f}\" y=\"{6:.1f}\" text-anchor=\"middle\">{7:g}</text>"
        "<text x=\"{8:.1f}\" y=\"{9:.1f}\" text-anchor=\"end\">{7:g}</text>\n",
        x(v), top, top + size, left, y(v), left + size, top + size + 18, v, left - 6, y(v) + 4);
  }
  // y = x, and the ±10% band.
  svg += fmt::format("<line x1=\"{:.1f}\" y1=\"{:.1f}\" x2=\"{:.1f}\" y2=\"{:.1f}\" stroke=\"#444\"/>\n", x(0), y(0),
                     x(limit), y(limit));
  for (double f : {0.9, 1.1}) {
    const double end = std::min(limit, limit / f);
    svg += fmt::format(
        "<line x1=\"{:.1f}\" y1=\"{:.1f}\" x2=\"{:.1f}\" y2=\"{:.1f}\" stroke=\"#888\" stroke-dasharray=\"4 3\"/>\n",
        x(0), y(0), x(end), y(end * f));
  }
  for (const auto& n : report.networks) {
    const bool inside = std::abs(n.error_percent()) <= 10.0;
    svg += fmt::format("<circle cx=\"{:.1f}\" cy=\"{:.1f}\" r=\"3\" fill=\"{}\" fill-opacity=\"0.7\"/>\n",
                       x(n.measured_ms), y(n.predicted_ms), inside ? "#1f77b4" : "#d62728");
  }
  svg += fmt::format(
      "<text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"middle\">measured latency (ms)</text>\n"
      "<text transform=\"translate(18 {:.1f}) rotate(-90)\" text-anchor=\"middle\">predicted latency (ms)</text>\n"
      "<text x=\"{:.1f}\" y=\"{:.1f}\">{} networks: mean |error| {:.1f}%, {:.0f}% within ±10% (dashed), {:.0f}% "
      "within ±5%</text>\n</svg>\n",
      left + size / 2, top + size + 38, top + size / 2, left, top + size + 56, report.networks.size(),
      report.mean_abs_percent_error, 100 * report.share_within_10_percent, 100 * report.share_within_5_percent);
  return svg;
}

}  // namespace edgenas
