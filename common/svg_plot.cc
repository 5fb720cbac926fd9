#include "common/svg_plot.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>

namespace edgenas {
namespace {

struct Axis {
  double low = 0, step = 1;
  int ticks = 5;
  double high() const { return low + step * ticks; }
};

// About five ticks at 1, 2 or 5 times a power of ten, covering [low, high].
Axis NiceAxis(double low, double high) {
  if (!(high > low)) {
    const double pad = std::max(std::abs(low) * 0.05, 1e-9);
    low -= pad;
    high += pad;
  }
  const double raw = (high - low) / 5;
  const double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
  const double r = raw / magnitude;
  Axis axis;
  axis.step = (r <= 1 ? 1 : r <= 2 ? 2 : r <= 5 ? 5 : 10) * magnitude;
  axis.low = std::floor(low / axis.step) * axis.step;
  axis.ticks = std::max(1, static_cast<int>(std::ceil((high - axis.low) / axis.step - 1e-9)));
  return axis;
}

}  // namespace

std::string EscapeXml(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '<') out += "&lt;";
    else if (c == '>') out += "&gt;";
    else if (c == '&') out += "&amp;";
    else if (c == '"') out += "&quot;";
    else if (c == '\'') out += "&#39;";
    else out += c;
  }
  return out;
}

std::string RenderSvg(const Plot& plot) {
  const double width = plot.width, height = plot.height, left = 75, top = 50;  // plot area and margins, px
  double x_low = std::numeric_limits<double>::infinity(), x_high = -x_low, y_low = x_low, y_high = -x_low;
  for (const PlotSeries& s : plot.series) {
    for (const auto& [x, y] : s.points) {
      x_low = std::min(x_low, x), x_high = std::max(x_high, x);
      y_low = std::min(y_low, y), y_high = std::max(y_high, y);
    }
  }
  if (!std::isfinite(x_low)) x_low = y_low = 0, x_high = y_high = 1;
  for (const PlotGuide& g : plot.guides) {
    double& low = g.vertical ? x_low : y_low;
    double& high = g.vertical ? x_high : y_high;
    low = std::min(low, g.value), high = std::max(high, g.value);
  }
  if (plot.include_zero) x_low = std::min(x_low, 0.0), y_low = std::min(y_low, 0.0);
  if (plot.same_axes) {
    x_low = y_low = std::min(x_low, y_low);
    x_high = y_high = std::max(x_high, y_high);
  }
  const Axis ax = NiceAxis(x_low, x_high), ay = NiceAxis(y_low, y_high);
  auto px = [&](double x) { return left + (x - ax.low) / (ax.high() - ax.low) * width; };
  auto py = [&](double y) { return top + height - (y - ay.low) / (ay.high() - ay.low) * height; };

  std::string svg = fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" height=\"{}\" font-family=\"sans-serif\" "
      "font-size=\"12\">\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
      "<text x=\"{}\" y=\"25\" font-size=\"14\" text-anchor=\"middle\">{}</text>\n",
      left + width + 30, top + height + 70, left + width / 2, EscapeXml(plot.title));
  for (int i = 0; i <= ax.ticks; ++i) {
    const double v = ax.low + ax.step * i;
    svg += fmt::format(
        "<line x1=\"{0:.1f}\" y1=\"{1:.1f}\" x2=\"{0:.1f}\" y2=\"{2:.1f}\" stroke=\"#ddd\"/>"
        "<text x=\"{0:.1f}\" y=\"{3:.1f}\" text-anchor=\"middle\">{4:g}</text>\n",
        px(v), top, top + height, top + height + 18, v);
  }
  for (int i = 0; i <= ay.ticks; ++i) {
    const double v = ay.low + ay.step * i;
    svg += fmt::format(
        "<line x1=\"{0:.1f}\" y1=\"{1:.1f}\" x2=\"{2:.1f}\" y2=\"{1:.1f}\" stroke=\"#ddd\"/>"
        "<text x=\"{3:.1f}\" y=\"{4:.1f}\" text-anchor=\"end\">{5:g}</text>\n",
        left, py(v), left + width, left - 6, py(v) + 4, v);
  }
  svg += fmt::format("<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"none\" stroke=\"#444\"/>\n", left, top,
                     width, height);
  for (const PlotGuide& g : plot.guides) {
    const double x1 = g.vertical ? px(g.value) : left, x2 = g.vertical ? x1 : left + width;
    const double y1 = g.vertical ? top : py(g.value), y2 = g.vertical ? top + height : y1;
    svg += fmt::format(
        "<line class=\"guide\" data-value=\"{:.10g}\" x1=\"{:.1f}\" y1=\"{:.1f}\" x2=\"{:.1f}\" y2=\"{:.1f}\" "
        "stroke=\"{}\" stroke-dasharray=\"6 4\"><title>{}</title></line>\n"
        "<text x=\"{:.1f}\" y=\"{:.1f}\" fill=\"{}\"{}>{}</text>\n",
        g.value, x1, y1, x2, y2, g.color, EscapeXml(g.label), g.vertical ? x1 - 4 : x2 - 4,
        g.vertical ? top + height - 6 : y1 - 4,  // at the bottom, clear of the legend
        g.color, " text-anchor=\"end\"", EscapeXml(g.label));
  }
  int legend_row = 0;
  for (const PlotSeries& s : plot.series) {
    svg += fmt::format("<g class=\"series\" data-label=\"{}\">\n", EscapeXml(s.label));
    if (s.line && s.points.size() > 1) {
      std::string path;
      for (const auto& [x, y] : s.points) path += fmt::format("{:.1f},{:.1f} ", px(x), py(y));
      svg += fmt::format("<polyline points=\"{}\" fill=\"none\" stroke=\"{}\"{}/>\n", path, s.color,
                         s.dashed ? " stroke-dasharray=\"4 3\"" : "");
    }
    if (s.markers) {
      for (size_t i = 0; i < s.points.size(); ++i) {
        const auto [x, y] = s.points[i];
        const std::string title = i < s.titles.size() ? "<title>" + EscapeXml(s.titles[i]) + "</title>" : "";
        svg += fmt::format("<circle cx=\"{:.1f}\" cy=\"{:.1f}\" r=\"{}\" fill=\"{}\" fill-opacity=\"0.7\">{}</circle>\n",
                           px(x), py(y), s.radius, s.color, title);
      }
    }
    if (!s.label.empty()) {
      const double ly = top + 14 + 16 * legend_row++;
      svg += fmt::format(
          "<rect x=\"{:.1f}\" y=\"{:.1f}\" width=\"10\" height=\"10\" fill=\"{}\"/>"
          "<text x=\"{:.1f}\" y=\"{:.1f}\">{}</text>\n",
          left + 10, ly - 9, s.color, left + 26, ly, EscapeXml(s.label));
    }
    svg += "</g>\n";
  }
  svg += fmt::format(
      "<text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"middle\">{}</text>\n"
      "<text transform=\"translate(18 {:.1f}) rotate(-90)\" text-anchor=\"middle\">{}</text>\n",
      left + width / 2, top + height + 38, EscapeXml(plot.x_label), top + height / 2, EscapeXml(plot.y_label));
  if (!plot.caption.empty()) {
    svg += fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\">{}</text>\n", left, top + height + 60, EscapeXml(plot.caption));
  }
  return svg + "</svg>\n";
}

}  // namespace edgenas
