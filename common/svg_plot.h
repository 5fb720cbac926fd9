// Scatter and line plots written as SVG by hand: a few plots do not justify a
// plotting dependency, and SVG is plain text that a browser or a doc renders.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace edgenas {

struct PlotSeries {
  std::string label;  // shown in the legend; empty = no legend entry
  std::string color = "#1f77b4";
  std::vector<std::pair<double, double>> points;  // (x, y) in data units
  bool markers = true;                            // a dot per point
  bool line = false;                              // join the points in order
  bool dashed = false;
  double radius = 3;
  std::vector<std::string> titles;  // empty, or one hover title per point

  // A line through `points` without markers or legend entry.
  static PlotSeries Line(std::vector<std::pair<double, double>> points, std::string color, bool dashed) {
    PlotSeries s;
    s.points = std::move(points);
    s.color = std::move(color);
    s.markers = false;
    s.line = true;
    s.dashed = dashed;
    return s;
  }
};

// A dashed line across the plot at x = value (vertical) or y = value, such as
// a budget; the axes always reach it.
struct PlotGuide {
  bool vertical = true;
  double value = 0;
  std::string label;
  std::string color = "#d62728";
};

struct Plot {
  std::string title, x_label, y_label;
  std::string caption;  // one line under the plot
  std::vector<PlotSeries> series;
  std::vector<PlotGuide> guides;
  double width = 480, height = 400;  // the plot area, px (the margins come on top)
  bool include_zero = false;  // axes start at 0 instead of just below the data
  bool same_axes = false;     // one range for both axes (predicted vs measured plots)
};

// Axis ranges are rounded to 1, 2 or 5 times a power of ten around all points.
// Each series is a <g class="series" data-label="..."> and each guide a
// <line class="guide" data-value="...">, for pages and tests that look inside.
std::string RenderSvg(const Plot& plot);

// `text` with &, <, >, " and ' escaped, for XML and HTML text and attributes.
std::string EscapeXml(const std::string& text);

}  // namespace edgenas
