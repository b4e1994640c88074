#include "report_page.h"

#include <zlib.h>

#include <cstdlib>
#include <fstream>
#include <iterator>

namespace clevertim::testing {
namespace {

// The text between `open` and `close` starting at `from`; npos-safe.
std::string between(const std::string& text, std::size_t from, const std::string& open,
                    const std::string& close, std::size_t* end = nullptr) {
  const std::size_t a = text.find(open, from);
  if (a == std::string::npos) return {};
  const std::size_t b = text.find(close, a + open.size());
  if (b == std::string::npos) return {};
  if (end != nullptr) *end = b + close.size();
  return text.substr(a + open.size(), b - a - open.size());
}

// Every `<tag ... data-query="ID" ...>BODY</tag>`: ID -> BODY.
std::map<std::string, std::string> by_query(const std::string& html, const std::string& start,
                                            const std::string& close) {
  std::map<std::string, std::string> out;
  for (std::size_t at = html.find(start); at != std::string::npos; at = html.find(start, at + 1)) {
    const std::size_t q = html.find("data-query=\"", at);
    const std::size_t q_end = html.find('"', q + 12);
    const std::size_t body = html.find('>', q_end) + 1;
    const std::size_t end = html.find(close, body);
    out[html.substr(q + 12, q_end - q - 12)] = html.substr(body, end - body);
  }
  return out;
}

Rows rows_of(const std::string& table) {
  Rows rows;
  const std::string body = between(table, 0, "<tbody>", "</tbody>");
  std::size_t at = 0;
  for (;;) {
    std::size_t end = 0;
    const std::string tr = between(body, at, "<tr>", "</tr>", &end);
    if (end == 0) break;
    at = end;
    std::vector<std::string> row;
    std::size_t cell_at = 0, cell_end = 0;
    for (;;) {
      cell_end = 0;
      const std::string td = between(tr, cell_at, "<td>", "</td>", &cell_end);
      if (cell_end == 0) break;
      row.push_back(unescape_html(td));
      cell_at = cell_end;
    }
    rows.push_back(std::move(row));  // <tr class="empty"> (no rows) does not match "<tr>"
  }
  return rows;
}

std::uint32_t be32(const unsigned char* p) {
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) |
         std::uint32_t{p[3]};
}

}  // namespace

std::string unescape_html(const std::string& text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '&') {
      out += text[i];
      continue;
    }
    for (auto [entity, c] : {std::pair<const char*, char>{"&amp;", '&'},
                             {"&lt;", '<'},
                             {"&gt;", '>'},
                             {"&quot;", '"'},
                             {"&#39;", '\''}})
      if (text.compare(i, std::string(entity).size(), entity) == 0) {
        out += c;
        i += std::string(entity).size() - 1;
        break;
      }
  }
  return out;
}

std::size_t count_of(const std::string& text, const std::string& needle) {
  std::size_t n = 0;
  for (std::size_t at = text.find(needle); at != std::string::npos;
       at = text.find(needle, at + needle.size()))
    ++n;
  return n;
}

ReportPage parse_report(const std::string& html) {
  ReportPage page;
  for (const auto& [id, table] : by_query(html, "<table class=\"figures\"", "</table>"))
    page.tables[id] = rows_of(table);
  for (const auto& [id, sql] : by_query(html, "<pre class=\"sql\"", "</pre>"))
    page.sql[id] = unescape_html(sql);
  page.figures = by_query(html, "<figure ", "</figure>");
  return page;
}

Pixels read_png(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  const std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto* p = reinterpret_cast<const unsigned char*>(data.data());
  if (data.size() < 33 || data.compare(1, 3, "PNG") != 0) return {};
  int width = 0, height = 0, channels = 0;
  std::string idat;
  for (std::size_t at = 8; at + 12 <= data.size();) {
    const std::uint32_t length = be32(p + at);
    const std::string type = data.substr(at + 4, 4);
    if (type == "IHDR") {
      width = static_cast<int>(be32(p + at + 8));
      height = static_cast<int>(be32(p + at + 12));
      const int depth = p[at + 16], colour = p[at + 17], interlace = p[at + 20];
      if (depth != 8 || interlace != 0 || (colour != 2 && colour != 6)) return {};
      channels = colour == 2 ? 3 : 4;
    } else if (type == "IDAT") {
      idat.append(data, at + 8, length);
    }
    at += 12 + length;
  }
  const std::size_t stride = static_cast<std::size_t>(width) * static_cast<std::size_t>(channels);
  std::vector<unsigned char> raw((stride + 1) * static_cast<std::size_t>(height));
  uLongf size = raw.size();
  if (channels == 0 ||
      uncompress(raw.data(), &size, reinterpret_cast<const Bytef*>(idat.data()), idat.size()) !=
          Z_OK ||
      size != raw.size())
    return {};
  // Undo each scanline's filter (PNG specification, section 9).
  std::vector<unsigned char> image(stride * static_cast<std::size_t>(height));
  for (std::size_t y = 0; y < static_cast<std::size_t>(height); ++y) {
    const int filter = raw[y * (stride + 1)];
    const unsigned char* line = &raw[y * (stride + 1) + 1];
    unsigned char* out = &image[y * stride];
    const unsigned char* up = y > 0 ? &image[(y - 1) * stride] : nullptr;
    for (std::size_t x = 0; x < stride; ++x) {
      const int a = x >= static_cast<std::size_t>(channels) ? out[x - channels] : 0;
      const int b = up != nullptr ? up[x] : 0;
      const int c = up != nullptr && x >= static_cast<std::size_t>(channels) ? up[x - channels] : 0;
      int predictor = 0;
      switch (filter) {
        case 1:
          predictor = a;
          break;
        case 2:
          predictor = b;
          break;
        case 3:
          predictor = (a + b) / 2;
          break;
        case 4: {
          const int pa = std::abs(b - c), pb = std::abs(a - c), pc = std::abs(a + b - 2 * c);
          predictor = pa <= pb && pa <= pc ? a : (pb <= pc ? b : c);
          break;
        }
        default:
          break;
      }
      out[x] = static_cast<unsigned char>(line[x] + predictor);
    }
  }
  Pixels px{width, height, {}};
  px.rgb.reserve(static_cast<std::size_t>(width) * static_cast<std::size_t>(height) * 3);
  for (std::size_t i = 0; i < image.size(); i += static_cast<std::size_t>(channels))
    px.rgb.insert(px.rgb.end(), image.begin() + static_cast<std::ptrdiff_t>(i),
                  image.begin() + static_cast<std::ptrdiff_t>(i + 3));
  return px;
}

}  // namespace clevertim::testing
