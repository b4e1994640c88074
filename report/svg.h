// Charts drawn as inline SVG by the program itself: no script, no network, printable.
#pragma once

#include <string>
#include <vector>

namespace clevertim::report {

// One bar per category, horizontal, its series stacked left to right (one series: plain bars).
struct BarChart {
  std::string title;
  std::vector<std::string> categories;      // one row each, top to bottom
  std::vector<std::string> series;          // names, for the legend
  std::vector<std::vector<double>> values;  // values[category][series], >= 0
};

// The chart as an <svg> element. Every bar segment is a <rect class="mark"> with a <title>
// naming its category, series and value; a chart without rows says "no data", one whose
// values are all zero "all zero" (neither has marks).
std::string render_svg(const BarChart& chart);

// Text escaped for HTML (and SVG) content and attribute values.
std::string escape_html(const std::string& text);

}  // namespace clevertim::report
