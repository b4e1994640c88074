#include "report/svg.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>

namespace clevertim::report {
namespace {

// Colours that stay apart in print and for the common colour-vision deficiencies (Okabe-Ito).
constexpr std::array<const char*, 6> kColours{"#0072B2", "#E69F00", "#009E73",
                                              "#D55E00", "#CC79A7", "#56B4E9"};

constexpr int kWidth = 720, kLabelWidth = 200, kRight = 70, kBar = 18, kGap = 6, kTop = 30;

std::string number(double v) {
  char buf[32];
  if (std::floor(v) == v && std::fabs(v) < 1e15)
    std::snprintf(buf, sizeof buf, "%.0f", v);
  else
    std::snprintf(buf, sizeof buf, "%.2f", v);
  return buf;
}

std::string fixed(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", v);
  return buf;
}

std::string shorten(const std::string& label) {
  return label.size() > 28 ? label.substr(0, 27) + "…" : label;
}

}  // namespace

std::string escape_html(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string render_svg(const BarChart& chart) {
  double max_total = 0;
  for (const auto& row : chart.values) {
    double total = 0;
    for (double v : row) total += std::max(0.0, v);
    max_total = std::max(max_total, total);
  }
  const bool legend = chart.series.size() > 1;
  const int rows = static_cast<int>(chart.categories.size());
  const int legend_height = legend ? 24 : 0;
  const int height = kTop + legend_height + std::max(rows, 1) * (kBar + kGap) + 10;
  std::string svg =
      "<svg class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" "
      "viewBox=\"0 0 " +
      std::to_string(kWidth) + " " + std::to_string(height) + "\" width=\"" +
      std::to_string(kWidth) + "\" height=\"" + std::to_string(height) + "\" aria-label=\"" +
      escape_html(chart.title) + "\">\n<text class=\"chart-title\" x=\"0\" y=\"18\">" +
      escape_html(chart.title) + "</text>\n";
  if (legend) {
    int x = kLabelWidth;
    for (std::size_t s = 0; s < chart.series.size(); ++s) {
      svg += "<rect class=\"legend\" x=\"" + std::to_string(x) + "\" y=\"" + std::to_string(kTop) +
             "\" width=\"12\" height=\"12\" fill=\"" + kColours[s % kColours.size()] +
             "\"/><text x=\"" + std::to_string(x + 16) + "\" y=\"" + std::to_string(kTop + 11) +
             "\">" + escape_html(chart.series[s]) + "</text>\n";
      x += 24 + 8 * static_cast<int>(chart.series[s].size());
    }
  }
  if (rows == 0 || max_total <= 0) {
    svg += "<text class=\"no-data\" x=\"" + std::to_string(kLabelWidth) + "\" y=\"" +
           std::to_string(kTop + legend_height + 14) + "\">" +
           (rows == 0 ? "no data" : "all zero") + "</text>\n</svg>";
    return svg;
  }
  const double scale = (kWidth - kLabelWidth - kRight) / max_total;
  for (int r = 0; r < rows; ++r) {
    const int y = kTop + legend_height + r * (kBar + kGap);
    const std::string& category = chart.categories[static_cast<std::size_t>(r)];
    svg += "<text class=\"label\" x=\"" + std::to_string(kLabelWidth - 6) + "\" y=\"" +
           std::to_string(y + kBar - 4) + "\" text-anchor=\"end\">" +
           escape_html(shorten(category)) + "</text>\n";
    double x = kLabelWidth, total = 0;
    const auto& row = chart.values[static_cast<std::size_t>(r)];
    for (std::size_t s = 0; s < row.size(); ++s) {
      const double v = std::max(0.0, row[s]);
      total += v;
      if (v <= 0) continue;
      const double w = std::max(1.0, v * scale);
      svg += "<rect class=\"mark\" x=\"" + fixed(x) + "\" y=\"" + std::to_string(y) +
             "\" width=\"" + fixed(w) + "\" height=\"" + std::to_string(kBar) + "\" fill=\"" +
             kColours[s % kColours.size()] + "\"><title>" + escape_html(category) +
             (chart.series.size() > 1 ? ", " + escape_html(chart.series[s]) : std::string()) +
             ": " + number(v) + "</title></rect>\n";
      x += w;
    }
    svg += "<text class=\"value\" x=\"" + fixed(x + 4) + "\" y=\"" + std::to_string(y + kBar - 4) +
           "\">" + number(total) + "</text>\n";
  }
  return svg + "</svg>";
}

}  // namespace clevertim::report
