// `clevertim-sync describe` (issue 17, item 4): every public table and view of a real mirror,
// and every one of their columns, has a meaning; and --datasette is metadata Datasette reads.
#include <doctest/doctest.h>

#include <SQLiteCpp/Statement.h>

#include <boost/json.hpp>

#include <map>
#include <set>

#include "mirror_fixture.h"
#include "report/describe.h"

using namespace clevertim;
using clevertim::testing::ScratchDir;

namespace {

// Internal tables (MIRROR.md: "Anything not named here ... is internal").
const std::set<std::string> kInternal{"outbox",       "sync_control",   "remote_versions",
                                      "push_intents", "sent_updates",   "restore_map",
                                      "sync_meta",    "sqlite_sequence"};

}  // namespace

TEST_CASE("every public table, view and column of a mirror is described") {
  ScratchDir dir;
  auto mirror = storage::Mirror::open(dir / "crm.db");
  std::map<std::string, std::map<std::string, std::string>> described;
  for (const report::TableDoc& t : report::describe_mirror()) {
    CHECK_MESSAGE(!t.meaning.empty(), t.name);
    for (const report::ColumnDoc& c : t.columns) {
      CHECK_MESSAGE(c.meaning.size() > 3, t.name << "." << c.name);
      described[t.name][c.name] = c.meaning;
    }
  }
  SQLite::Statement objects(mirror.db(),
                            "SELECT name FROM sqlite_schema WHERE type IN ('table', 'view') "
                            "AND name NOT LIKE 'sqlite_%' ORDER BY name");
  int checked = 0;
  while (objects.executeStep()) {
    const std::string name = objects.getColumn(0).getString();
    if (kInternal.contains(name)) continue;
    REQUIRE_MESSAGE(described.contains(name), name << " is not described");
    SQLite::Statement columns(mirror.db(), "SELECT name FROM pragma_table_xinfo(?)");
    columns.bind(1, name);
    while (columns.executeStep()) {
      const std::string column = columns.getColumn(0).getString();
      CHECK_MESSAGE(described[name].contains(column), name << "." << column << " is not described");
      ++checked;
    }
    // Nothing described that the mirror lacks.
    for (const auto& [column, meaning] : described[name]) {
      SQLite::Statement has(mirror.db(),
                            "SELECT count(*) FROM pragma_table_xinfo(?) WHERE name = ?");
      has.bind(1, name);
      has.bind(2, column);
      has.executeStep();
      CHECK_MESSAGE(has.getColumn(0).getInt() == 1, name << "." << column << " does not exist");
    }
  }
  CHECK(checked > 300);
  CHECK(described["contacts"]["company_id"].find("References companies.id") != std::string::npos);
  CHECK(described["contacts"]["customer_type"].find("lookup_customer_types") != std::string::npos);
  CHECK(described["notes"]["customer_id"].find("note_customers") != std::string::npos);
}

TEST_CASE("describe: Markdown, and Datasette metadata for the mirror's database") {
  const std::string md = report::describe_markdown();
  CHECK(md.find("## contacts\n") != std::string::npos);
  CHECK(md.find("| `first_name` | text | First name.") != std::string::npos);
  CHECK(md.find("## report_tasks (view)") != std::string::npos);

  const boost::json::value meta = boost::json::parse(report::describe_datasette("crm"));
  const auto& tables = meta.at("databases").at("crm").at("tables").as_object();
  CHECK(tables.at("contacts").at("columns").at("last_name") == "Last name. API field `ln`.");
  CHECK(tables.at("companies").at("label_column") == "name");
  CHECK(tables.at("lookup_customer_types").at("label_column") == "label");
  CHECK(tables.at("lookup_customer_types").at("description").as_string().find("H Other") !=
        boost::json::string::npos);
  CHECK(tables.contains("note_customers"));
}
