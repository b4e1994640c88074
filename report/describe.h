// `clevertim-sync describe`: every table and column of the mirror with its meaning, from the
// model (model/resources.cpp, model/lookups.cpp, model/meanings.cpp), so that it never lags
// behind the schema. No mirror is read.
#pragma once

#include <string>
#include <vector>

namespace clevertim::report {

struct ColumnDoc {
  std::string name;
  std::string type;     // "integer", "JSON array of strings", "DATETIME (ISO 8601)", ...
  std::string meaning;  // the words of meanings.cpp, plus what the model declares
};

struct TableDoc {
  std::string name;
  std::string kind;  // "table" or "view"
  std::string meaning;
  std::string label_column;  // the column that names a row, for Datasette ("" when none)
  std::vector<ColumnDoc> columns;
};

// Every resource table, lookup table and public view, in the order MIRROR.md lists them.
std::vector<TableDoc> describe_mirror();

// As Markdown: a heading and a column table per table.
std::string describe_markdown();

// As Datasette's metadata.json, for the database `database` (the mirror's file name without
// its extension, as Datasette names it).
std::string describe_datasette(const std::string& database);

}  // namespace clevertim::report
