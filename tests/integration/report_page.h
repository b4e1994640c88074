// Reading back what `clevertim-sync report` wrote, for its tests: the figures tables, the
// appendix's SQL, the charts, and the pixels of a screenshot.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace clevertim::testing {

using Rows = std::vector<std::vector<std::string>>;

// The report's figures tables by query id (<table class="figures" data-query="ID">), cells
// unescaped, and the appendix's SQL by query id (<pre class="sql" data-query="ID">).
struct ReportPage {
  std::map<std::string, Rows> tables;
  std::map<std::string, std::string> sql;
  std::map<std::string, std::string> figures;  // <figure data-query="ID"> markup, by query id
};

ReportPage parse_report(const std::string& html);

// HTML entities of escape_html() back to text.
std::string unescape_html(const std::string& text);

// How many times `needle` occurs in `text`.
std::size_t count_of(const std::string& text, const std::string& needle);

// An 8-bit RGB or RGBA PNG as RGB pixels; empty when the file is not such a PNG.
struct Pixels {
  int width = 0, height = 0;
  std::vector<unsigned char> rgb;  // width * height * 3
};
Pixels read_png(const std::filesystem::path& file);

}  // namespace clevertim::testing
