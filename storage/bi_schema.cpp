#include "storage/bi_schema.h"

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>
#include <spdlog/spdlog.h>

#include <set>

#include "model/lookups.h"
#include "model/resources.h"
#include "storage/schema_tables.h"
#include "storage/sql_quote.h"

namespace clevertim::storage {
namespace {

using model::Field;
using model::FieldType;
using model::Resource;

// Text that starts as an ISO 8601 date. Only such text reaches the date functions: they read
// 'now' as the current time, which SQLite refuses in a generated column (an error on every read
// of the row, not a NULL).
constexpr const char* kIsoDate = "'[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]*'";

// A time stamp already in the form the column gives (2013-12-29T04:04:00Z), on a day every
// month has (01 to 28), is its own ISO text: taken as it is instead of being parsed and written
// again by strftime(), which was a fifth of a first pull's CPU (SQLite computes every generated
// column of a row it writes). strftime() gives the same text for each of these; any other
// form goes the long way, so no value of the column changes.
std::string canonical_utc_test(const std::string& c) {
  return c +
         " GLOB '[0-9][0-9][0-9][0-9]-[01][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-5][0-9]Z' "
         "AND substr(" +
         c + ", 6, 2) BETWEEN '01' AND '12' AND substr(" + c +
         ", 9, 2) BETWEEN '01' AND '28' AND substr(" + c + ", 12, 2) < '24'";
}

// An ISO 8601 instant in UTC from a server time stamp as the API may send it (README,
// "Conflicts"): ISO text with `Z`, an offset or no zone (UTC), or seconds or milliseconds since
// 1970 as a number or a string of digits. Anything else gives NULL.
std::string timestamp_expression(const std::string& c) {
  const std::string fmt = "'%Y-%m-%dT%H:%M:%SZ'";
  const std::string epoch =
      "CASE WHEN abs(" + c + ") >= 100000000000 THEN " + c + " / 1000.0 ELSE " + c + " END";
  const std::string digits = "CAST(" + c + " AS INTEGER)";
  return "CASE WHEN " + canonical_utc_test(c) + " THEN " + c + " WHEN typeof(" + c +
         ") = 'integer' OR typeof(" + c + ") = 'real' THEN strftime(" + fmt + ", " + epoch +
         ", 'unixepoch') WHEN typeof(" + c + ") = 'text' AND " + c + " <> '' AND NOT " + c +
         " GLOB '*[^0-9]*' THEN strftime(" + fmt + ", CASE WHEN " + digits +
         " >= 100000000000 THEN " + digits + " / 1000.0 ELSE " + digits +
         " END, 'unixepoch') WHEN typeof(" + c + ") = 'text' AND " + c + " GLOB " + kIsoDate +
         " THEN strftime(" + fmt + ", " + c + ") END";
}

// A task date is ISO already (the triggers refuse anything else): the column only adds the type.
std::string date_expression(const std::string& c) {
  return "CASE WHEN " + c + " GLOB " + kIsoDate + " THEN " + c + " END";
}

std::string generated_column(const Field& f) {
  const std::string c = sql_identifier(f.column);
  return sql_identifier(iso_column(f)) + " DATETIME GENERATED ALWAYS AS (" +
         (f.type == FieldType::kDate ? date_expression(c) : timestamp_expression(c)) + ") VIRTUAL";
}

std::set<std::string> columns_of(SQLite::Database& db, std::string_view table) {
  std::set<std::string> out;
  SQLite::Statement q(db, "SELECT name FROM pragma_table_xinfo(?)");
  q.bind(1, std::string(table));
  while (q.executeStep()) out.insert(q.getColumn(0).getString());
  return out;
}

// Whether the table's definition holds `column_definition` as written.
bool defines(SQLite::Database& db, std::string_view table, const std::string& column_definition) {
  SQLite::Statement q(db,
                      "SELECT instr(sql, ?) > 0 FROM sqlite_schema WHERE type = 'table' AND "
                      "name = ?");
  q.bind(1, column_definition);
  q.bind(2, std::string(table));
  return q.executeStep() && q.getColumn(0).getInt() != 0;
}

// A column an older version generated otherwise (version 6: without the canonical form's short
// way) is made again; nothing is stored in it, so nothing is lost. A view of the user's that
// names it makes SQLite refuse to drop it: it is then kept as it was (same values, slower to
// write), and the refusal leaves the rest of the migration as it is.
void remake_generated_column(SQLite::Database& db, const Resource& r, const Field& f) {
  const std::string table = sql_identifier(r.table);
  db.exec("SAVEPOINT remake_column");
  try {
    db.exec("ALTER TABLE " + table + " DROP COLUMN " + sql_identifier(iso_column(f)));
    db.exec("ALTER TABLE " + table + " ADD COLUMN " + generated_column(f));
    db.exec("RELEASE remake_column");
  } catch (const SQLite::Exception& e) {
    db.exec("ROLLBACK TO remake_column");
    db.exec("RELEASE remake_column");
    spdlog::warn(
        "mirror: {}.{} is kept as an older version made it (the same values, slower to "
        "write): {}",
        r.table, iso_column(f), e.what());
  }
}

// `json_extract(raw, '$.cust')` when the row's raw holds a list there (of `size_condition`).
std::string raw_list(const std::string& row, const Field& f, const std::string& size_condition) {
  const std::string path = sql_literal("$." + std::string(f.api));
  return "CASE WHEN json_valid(" + row + ".raw) THEN CASE WHEN json_type(" + row + ".raw, " + path +
         ") = 'array' AND json_array_length(" + row + ".raw, " + path + ") " + size_condition +
         " THEN json_extract(" + row + ".raw, " + path + ") END END";
}

std::string customers_view() {
  const Resource& contacts = *model::find_resource("contact");
  const Resource& companies = *model::find_resource("company");
  const std::string common =
      "customer_type, city, country, added_on_iso, last_modified_iso, sync_state";
  return "CREATE VIEW customers AS SELECT id, 'contact' AS kind, trim(coalesce(first_name, '') "
         "|| ' ' || coalesce(last_name, '')) AS name, company_id, " +
         common + " FROM " + sql_identifier(contacts.table) +
         "\nUNION ALL\nSELECT id, 'company' AS kind, name, NULL AS company_id, " + common +
         " FROM " + sql_identifier(companies.table);
}

// One row per id a list-valued reference names: the column's id when it holds one, else each
// id of the list in raw (a list of several is kept there only).
std::string link_view(const Resource& r, const Field& f) {
  const std::string holder = std::string(r.singular) + "_id";
  const std::string col = sql_identifier(f.column);
  std::string sql = "CREATE VIEW " + sql_identifier(f.link_view) + " AS SELECT l." + holder +
                    " AS " + holder + ", l." + col + " AS " + col;
  if (f.ref == model::Ref::kCustomer) sql += ", c.kind AS customer_kind";
  sql += " FROM (SELECT t.id AS " + holder + ", t." + col + " AS " + col + " FROM " +
         sql_identifier(r.table) + " AS t WHERE t." + col +
         " IS NOT NULL\nUNION ALL\nSELECT t.id, " + "CAST(j.value AS INTEGER) FROM " +
         sql_identifier(r.table) + " AS t, json_each(" + "CASE WHEN t." + col + " IS NULL THEN " +
         raw_list("t", f, "> 1") + " END) AS j) AS l";
  if (f.ref == model::Ref::kCustomer) sql += " LEFT JOIN customers AS c ON c.id = l." + col;
  return sql;
}

// Every column but raw and raw_hash, with the ISO date columns; tasks say their time zone.
std::string report_view(const Resource& r) {
  std::string cols = "t.id AS id";
  for (const Field& f : r.fields) cols += ", t." + sql_identifier(f.column);
  for (const Field& f : r.fields)
    if (!iso_column(f).empty()) cols += ", t." + sql_identifier(iso_column(f));
  if (r.endpoint == "task") cols += ", " + sql_literal(kTaskTimeZone) + " AS time_zone";
  cols += ", t.sync_state, t.sync_error";
  return "CREATE VIEW " + sql_identifier("report_" + std::string(r.table)) + " AS SELECT " + cols +
         " FROM " + sql_identifier(r.table) + " AS t";
}

// What the mass-deletion guard holds, per resource and direction (as `status` shows it).
constexpr const char* kHeldDeletionsView =
    "CREATE VIEW held_deletions AS SELECT 'push' AS direction, resource, count(*) AS count, "
    "max(held) AS reason FROM outbox WHERE held IS NOT NULL GROUP BY resource\nUNION ALL\n"
    "SELECT 'pull', substr(key, 11), json_extract(value, '$.count'), json_extract(value, "
    "'$.reason') FROM sync_meta WHERE key LIKE 'held_pull:%' AND json_valid(value)";

}  // namespace

std::string iso_column(const Field& f) {
  if (f.type == FieldType::kTimestamp || f.type == FieldType::kDate)
    return std::string(f.column) + "_iso";
  return {};
}

std::string references_clause(const Resource& r, const Field& f) {
  if (const model::Lookup* l = model::lookup_for(r.endpoint, f.api))
    return " REFERENCES " + sql_identifier(l->table) + " (\"code\")";
  const auto targets = model::endpoints_for(f.ref);
  if (targets.size() != 1) return {};  // none, or a contact or a company (the customers view)
  return " REFERENCES " + sql_identifier(model::find_resource(targets.front())->table) +
         " (\"id\")";
}

std::vector<std::string> version6_statements() {
  std::vector<std::string> out;
  for (const model::Lookup& l : model::all_lookups()) {
    const std::string table = sql_identifier(l.table);
    out.push_back("CREATE TABLE IF NOT EXISTS " + table +
                  " (code TEXT PRIMARY KEY, label TEXT NOT NULL) WITHOUT ROWID");
    std::string values;
    for (const model::Code& c : l.codes)
      values += (values.empty() ? "" : ", ") +
                ("(" + sql_literal(c.code) + ", " + sql_literal(c.label) + ")");
    out.push_back("INSERT OR REPLACE INTO " + table + " (code, label) VALUES " + values);
  }
  // Up to version 5 a list of one customer was "an unexpected shape": its column was left NULL.
  // Filled without being captured: it is what the CRM holds, not a local edit.
  out.emplace_back("UPDATE sync_control SET applying = 1");
  for (const Resource& r : model::all_resources())
    for (const Field& f : r.fields) {
      if (!f.accepts_id_list()) continue;
      const std::string first =
          "json_extract(raw, " + sql_literal("$." + std::string(f.api) + "[0]") + ")";
      const std::string list = raw_list(sql_identifier(r.table), f, "= 1");
      out.push_back("UPDATE " + sql_identifier(r.table) + " SET " + sql_identifier(f.column) +
                    " = CAST(" + first + " AS INTEGER) WHERE " + sql_identifier(f.column) +
                    " IS NULL AND " + list + " IS NOT NULL AND (typeof(" + first +
                    ") = 'integer' OR CAST(CAST(" + first + " AS INTEGER) AS TEXT) = " + first +
                    ")");
    }
  out.emplace_back("UPDATE sync_control SET applying = 0");
  return out;
}

void add_bi_declarations(SQLite::Database& db) {
  // ALTER TABLE ADD COLUMN edits the table's SQL at an offset it parsed: a schema whose text
  // an earlier step of this migration edited in place must be read again first.
  const int cookie = db.execAndGet("PRAGMA schema_version").getInt();
  db.exec("PRAGMA schema_version = " + std::to_string(cookie + 1));
  for (const Resource& r : model::all_resources()) {
    const std::set<std::string> columns = columns_of(db, r.table);
    for (const Field& f : r.fields) {
      if (iso_column(f).empty()) continue;
      const std::string table = sql_identifier(r.table);
      if (!columns.contains(iso_column(f)))
        db.exec("ALTER TABLE " + table + " ADD COLUMN " + generated_column(f));
      else if (!defines(db, r.table, generated_column(f)))
        remake_generated_column(db, r, f);
    }
  }
  // REFERENCES clauses, written into the definitions of tables made before version 6. A
  // declaration changes nothing stored (SQLite's "other kinds of table schema changes"), and
  // `replace` leaves a table that has one as it is.
  db.exec("PRAGMA writable_schema = ON");
  for (const Resource& r : model::all_resources())
    for (const Field& f : r.fields) {
      const std::string clause = references_clause(r, f);
      if (clause.empty()) continue;
      const std::string plain =
          "\n  " + sql_identifier(f.column) + std::string(column_type(f.type));
      db.exec("UPDATE sqlite_schema SET sql = replace(sql, " + sql_literal(plain + ",") + ", " +
              sql_literal(plain + clause + ",") +
              ") WHERE type = 'table' AND name = " + sql_literal(r.table));
    }
  db.exec("PRAGMA writable_schema = OFF");
}

std::vector<std::string> bi_view_statements() {
  std::vector<std::string> out;
  out.push_back(customers_view());
  out.emplace_back(kHeldDeletionsView);
  for (const Resource& r : model::all_resources()) {
    for (const Field& f : r.fields)
      if (!f.link_view.empty()) out.push_back(link_view(r, f));
    out.push_back(report_view(r));
  }
  return out;
}

}  // namespace clevertim::storage
