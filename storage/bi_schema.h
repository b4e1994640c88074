// What the mirror declares for reporting and BI tools (Metabase, Datasette, DBeaver), derived
// from model/: relations, lookup tables for coded values, ISO 8601 date columns with declared
// types, and views without the internal columns. All of it is additive: nothing of
// docs/MIRROR.md is renamed, and nothing is enforced on writers.
//
// - Relations are REFERENCES clauses that `PRAGMA foreign_key_list` shows. SQLite enforces them
//   only on a connection that runs `PRAGMA foreign_keys = ON`, which clevertim-sync never does:
//   local rows keep their negative ids until re-keyed, and a deletion stays the CRM's business.
//   A customer_id (a contact or a company) cannot be declared: `customers` is a view of both.
// - Date columns (`added_on_iso`, `start_iso`, ...) are virtual generated columns declared
//   DATETIME: computed on read, never stored, not shown by `PRAGMA table_info` of the table
//   (only `table_xinfo`) nor taken by an INSERT without a column list (`SELECT *` shows them
//   last); the `report_` views show them with their declared type.
#pragma once

#include <string>
#include <vector>

namespace SQLite {
class Database;
}

namespace clevertim::model {
struct Field;
struct Resource;
}  // namespace clevertim::model

namespace clevertim::storage {

// " REFERENCES "companies" ("id")" for a field that names one kind of element, or a coded
// field's lookup table; "" for others.
std::string references_clause(const model::Resource& resource, const model::Field& field);

// Schema version 6: the lookup tables; notes whose cust is a list of one get that customer in
// customer_id (earlier versions left it NULL). Safe to run again.
std::vector<std::string> version6_statements();

// Adds what is missing of the generated date columns and the REFERENCES clauses (a table made
// before version 6 lacks them). Runs inside the migration's transaction, before the views that
// name the columns are made; does nothing on a current file.
void add_bi_declarations(SQLite::Database& db);

// The views: `customers`, `note_customers` (each link_view of the model), and one `report_`
// view per resource table.
std::vector<std::string> bi_view_statements();

// The name of a field's ISO 8601 column ("added_on_iso"), or "" when it has none.
std::string iso_column(const model::Field& field);

// The time zone of task start and end, as `report_tasks.time_zone` carries it.
inline constexpr const char* kTaskTimeZone = "account local time";

}  // namespace clevertim::storage
