// What each table and column of the mirror means, in words, for `clevertim-sync describe`
// (Markdown, or Datasette's metadata.json). The facts a column's declaration already holds
// (its type, what it references, its lookup, whether it is read-only) are added by the
// describer; these are the words only.
#pragma once

#include <string_view>

namespace clevertim::model {

// A resource table's meaning ("contacts": "People: ..."); "" for an unknown table.
std::string_view table_meaning(std::string_view table);

// A column's meaning, first as `table.column`, else as `column` alone; "" when none.
std::string_view column_meaning(std::string_view table, std::string_view column);

}  // namespace clevertim::model
