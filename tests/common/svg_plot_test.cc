#include "common/svg_plot.h"

#include <gtest/gtest.h>

namespace edgenas {
namespace {

size_t Count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

// A budget beyond every point still shows: the x axis reaches it.
TEST(SvgPlot, GuidesWidenTheAxesAndAreTaggedWithTheirValue) {
  Plot plot;
  PlotSeries s;
  s.label = "front";
  s.points = {{0.02, 84}, {0.05, 87}, {0.08, 89}};
  plot.series = {s};
  plot.guides.push_back({true, 0.11, "budget"});
  const std::string svg = RenderSvg(plot);
  EXPECT_EQ(Count(svg, "<line class=\"guide\" data-value=\"0.11\""), 1u);
  EXPECT_NE(svg.find(">0.12</text>"), std::string::npos) << "the last x tick covers the guide";
  // The guide sits inside the plot area: its x is between the frame's edges (75 and 555 px).
  const size_t x1 = svg.find("x1=\"", svg.find("class=\"guide\"")) + 4;
  const double x = std::stod(svg.substr(x1));
  EXPECT_GT(x, 75.0);
  EXPECT_LT(x, 555.0);
}

TEST(SvgPlot, PointsCarryEscapedHoverTitlesInTheirSeriesGroup) {
  Plot plot;
  PlotSeries s;
  s.label = "a \"quoted\" <series>";
  s.points = {{1, 2}, {3, 4}};
  s.titles = {"first & <b>", "second"};
  plot.series = {s};
  const std::string svg = RenderSvg(plot);
  EXPECT_NE(svg.find("<g class=\"series\" data-label=\"a &quot;quoted&quot; &lt;series&gt;\">"), std::string::npos);
  EXPECT_NE(svg.find("<title>first &amp; &lt;b&gt;</title></circle>"), std::string::npos);
  EXPECT_EQ(Count(svg, "<circle"), 2u);
  EXPECT_EQ(Count(svg, "<title>"), 2u);
}

TEST(SvgPlot, EscapeXmlCoversTextAndAttributes) {
  EXPECT_EQ(EscapeXml("a<b>&\"c'"), "a&lt;b&gt;&amp;&quot;c&#39;");
  EXPECT_EQ(EscapeXml("plain"), "plain");
}

}  // namespace
}  // namespace edgenas
