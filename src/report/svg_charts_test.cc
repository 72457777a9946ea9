#include "report/svg_charts.h"

#include <gtest/gtest.h>

namespace sweinfer::report {
namespace {

TEST(SvgCharts, HistogramBinsAndClamps) {
  auto bins = Histogram({0, 1, 9.99, 10, 55, -3, 1000}, 0, 50, 5);
  ASSERT_EQ(bins.size(), 5u);
  EXPECT_EQ(bins[0].value, 4);  // 0, 1, 9.99 and -3 (clamped)
  EXPECT_EQ(bins[1].value, 1);
  EXPECT_EQ(bins[4].value, 2);  // 55 and 1000 clamped into the last bin
  EXPECT_EQ(bins[0].label, "0-10");
}

TEST(SvgCharts, EscapesTextAndDrawsEverySegment) {
  std::string svg = StackedBarChart("Apply <outcome>", {{"git apply", "#1"}, {"patch", "#2"}},
                                    {{"a&b/repo", {3, 1}}, {"c/d", {0, 2}}});
  EXPECT_NE(svg.find("Apply &lt;outcome&gt;"), std::string::npos);
  EXPECT_NE(svg.find("a&amp;b/repo"), std::string::npos);
  EXPECT_EQ(svg.find("a&b/repo"), std::string::npos);
  size_t rects = 0;
  for (size_t at = svg.find("<rect"); at != std::string::npos; at = svg.find("<rect", at + 1)) ++rects;
  EXPECT_EQ(rects, 3u + 2u);  // three non-empty segments and two legend swatches
  std::string bars = BarChart("Recall", {{"k=1", 0.5}, {"k=5", 0.75}}, "#333", "%.2f");
  EXPECT_NE(bars.find(">0.75<"), std::string::npos);
}

}  // namespace
}  // namespace sweinfer::report
