#include "storage/schema_tables.h"

#include <iterator>
#include <string_view>

#include "model/resources.h"
#include "storage/bi_schema.h"
#include "storage/sql_quote.h"

namespace clevertim::storage {
namespace {

using model::Field;
using model::FieldType;
using model::Resource;

constexpr std::string_view kInternalTables[] = {
    // One row; `applying` is 1 only inside the daemon's own write transactions.
    // `local_id_floor` is the lowest local (negative) id handed out so far.
    "CREATE TABLE sync_control (id INTEGER PRIMARY KEY CHECK (id = 1), applying INTEGER NOT "
    "NULL DEFAULT 0, local_id_floor INTEGER NOT NULL DEFAULT 0)",
    "INSERT INTO sync_control (id, applying, local_id_floor) VALUES (1, 0, 0)",
    // Captured local writes, oldest first; removed once pushed.
    "CREATE TABLE outbox (seq INTEGER PRIMARY KEY AUTOINCREMENT, resource TEXT NOT NULL, "
    "record_id INTEGER NOT NULL, operation TEXT NOT NULL CHECK (operation IN ('insert', "
    "'update', 'delete')), changed TEXT, old_raw TEXT, created_at TEXT NOT NULL DEFAULT "
    "(strftime('%Y-%m-%dT%H:%M:%fZ', 'now')))",
    "CREATE INDEX outbox_by_record ON outbox (resource, record_id)",
    // Every version of every element the CRM ever showed, and every deletion.
    "CREATE TABLE history (seq INTEGER PRIMARY KEY AUTOINCREMENT, resource TEXT NOT NULL, id "
    "INTEGER NOT NULL, seen_at TEXT NOT NULL, operation TEXT NOT NULL CHECK (operation IN "
    "('create', 'update', 'delete', 'push')), raw TEXT)",
    "CREATE INDEX history_by_element ON history (resource, id)",
    "CREATE TABLE conflicts (id INTEGER PRIMARY KEY AUTOINCREMENT, resource TEXT NOT NULL, "
    "record_id INTEGER NOT NULL, fields TEXT, base TEXT, local TEXT, remote TEXT, outcome TEXT "
    "NOT NULL, resolution TEXT CHECK (resolution IS NULL OR resolution IN ('local', 'remote')), "
    "detected_at TEXT NOT NULL, resolved_at TEXT)",
    "CREATE TABLE sync_runs (id INTEGER PRIMARY KEY AUTOINCREMENT, started_at TEXT NOT NULL, "
    "ended_at TEXT, pulled INTEGER NOT NULL DEFAULT 0, pushed INTEGER NOT NULL DEFAULT 0, failed "
    "INTEGER NOT NULL DEFAULT 0, error TEXT)",
    // Small key/value facts about the mirror (e.g. when the first full pull completed).
    "CREATE TABLE sync_meta (key TEXT PRIMARY KEY, value TEXT) WITHOUT ROWID",
};

}  // namespace

// Column affinity: integers and booleans INTEGER; text, dates and JSON TEXT; time stamps and
// free-form values no affinity, so SQLite keeps them exactly as given.
std::string_view column_type(FieldType type) {
  switch (type) {
    case FieldType::kInt:
    case FieldType::kBool:
      return " INTEGER";
    case FieldType::kTimestamp:
    case FieldType::kAny:
      return "";
    default:
      return " TEXT";
  }
}

std::string create_table_statement(const Resource& r) {
  std::string sql = "CREATE TABLE " + sql_identifier(r.table) + " (\n  id INTEGER PRIMARY KEY";
  for (const Field& f : r.fields)
    sql += ",\n  " + sql_identifier(f.column) + std::string(column_type(f.type)) +
           references_clause(r, f);
  sql +=
      ",\n  sync_state TEXT NOT NULL DEFAULT 'synced' CHECK (sync_state IN ('synced', "
      "'pending', 'conflict', 'error')),\n  sync_error TEXT,\n  raw TEXT,\n  raw_hash INTEGER\n)";
  return sql;
}

// The first schema: tables, sync columns and the internal bookkeeping tables.
std::vector<std::string> version1_statements() {
  std::vector<std::string> out(std::begin(kInternalTables), std::end(kInternalTables));
  for (const Resource& r : model::all_resources()) {
    out.push_back(create_table_statement(r));
    out.push_back("CREATE INDEX " + sql_identifier(std::string(r.table) + "_unsynced") + " ON " +
                  sql_identifier(r.table) + " (sync_state) WHERE sync_state <> 'synced'");
    for (const Field& f : r.fields)
      if (f.ref != model::Ref::kNone && f.ref != model::Ref::kUser)
        out.push_back("CREATE INDEX " +
                      sql_identifier(std::string(r.table) + "_by_" + std::string(f.column)) +
                      " ON " + sql_identifier(r.table) + " (" + sql_identifier(f.column) + ")");
  }
  return out;
}

}  // namespace clevertim::storage
