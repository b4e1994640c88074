// `clevertim-sync report`: one self-contained HTML page about the account, from the mirror.
//
// The page needs nothing else: no network, no script, no external file; charts are inline SVG
// (svg.h) and it prints as it shows. Every figure on it is the answer of a query of queries.h,
// shown in an appendix with the SQL that gave it.
#pragma once

#include <string>

namespace SQLite {
class Database;
}

namespace clevertim::report {

struct ReportOptions {
  std::string since_month;   // "2026-01": time series start there; "" for all
  std::string mirror;        // the mirror's path, for the heading
  std::string generated_at;  // "2026-12-01 10:52 UTC"
};

// The whole page. Reads only. Throws SQLite::Exception when a query fails.
std::string render_report(SQLite::Database& db, const ReportOptions& options);

}  // namespace clevertim::report
