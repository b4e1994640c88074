// The report's charts: one mark per non-zero value, text escaped, empty charts say so.
#include <doctest/doctest.h>

#include "report/svg.h"

using namespace clevertim;

namespace {

std::size_t count_of(const std::string& text, const std::string& needle) {
  std::size_t n = 0;
  for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

}  // namespace

TEST_CASE("a stacked bar chart has one mark per non-zero value, with its title") {
  report::BarChart chart{"Deals <won>", {"2026-01", "2026-02"}, {"won", "lost"}, {{2, 1}, {0, 3}}};
  const std::string svg = report::render_svg(chart);
  CHECK(svg.starts_with("<svg class=\"chart\""));
  CHECK(count_of(svg, "class=\"mark\"") == 3);
  CHECK(svg.find("<title>2026-02, lost: 3</title>") != std::string::npos);
  CHECK(svg.find("Deals &lt;won&gt;") != std::string::npos);
  CHECK(svg.find("<won>") == std::string::npos);
}

TEST_CASE("a chart without rows or with only zeros has no marks and says why") {
  CHECK(report::render_svg({"t", {}, {"n"}, {}}).find("no data") != std::string::npos);
  const std::string zeros = report::render_svg({"t", {"a"}, {"n"}, {{0}}});
  CHECK(zeros.find("all zero") != std::string::npos);
  CHECK(count_of(zeros, "class=\"mark\"") == 0);
}
