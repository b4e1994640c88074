// The report's figures as SQL over the mirror's public views (docs/MIRROR.md): every number on
// the page comes from one of these, and the page's appendix prints each exactly as it ran, so
// that a reader can run it again with `sqlite3`.
#pragma once

#include <string>
#include <vector>

namespace SQLite {
class Database;
}

namespace clevertim::report {

struct Query {
  std::string id;     // stable, for links and tests ("pipeline_by_stage")
  std::string title;  // what it answers
  std::string sql;    // complete: the --since month is written into it as a literal
};

// A query's answer as text, as sqlite3 prints it (NULL as "").
struct Table {
  std::vector<std::string> columns;
  std::vector<std::vector<std::string>> rows;
};

// Every query of the report. `since_month` ("2026-01", or "" for all) bounds the time series.
std::vector<Query> report_queries(const std::string& since_month);

// Runs one query. Throws SQLite::Exception (a mirror without the views: an older release).
Table run_query(SQLite::Database& db, const std::string& sql);

}  // namespace clevertim::report
