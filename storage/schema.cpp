#include "storage/schema.h"

#include <algorithm>
#include <initializer_list>
#include <string_view>

#include "model/resources.h"
#include "storage/bi_schema.h"

namespace clevertim::storage {
namespace {

using model::Field;
using model::FieldType;
using model::Resource;

// Column affinity: integers and booleans INTEGER; text, dates and JSON TEXT; time stamps and
// free-form values no affinity, so SQLite keeps them exactly as given.

std::string qualified(const Resource& r, const Field& f) {
  return std::string(r.table) + "." + std::string(f.column);
}

constexpr std::string_view kNotApplying = "WHEN (SELECT applying FROM sync_control) = 0";
constexpr std::string_view kDateGlobs =
    "(NEW.{c} GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]' OR NEW.{c} GLOB "
    "'[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]')";

std::string replace_all(std::string text, std::string_view what, std::string_view with) {
  for (size_t pos = text.find(what); pos != std::string::npos;
       pos = text.find(what, pos + with.size()))
    text.replace(pos, what.size(), with);
  return text;
}

// One "SELECT RAISE(...) WHERE condition;" per rule, so each refusal names its column.
std::string refuse_when(std::string_view condition, std::string_view message) {
  return "  SELECT RAISE(ABORT, " + sql_literal(message) + ") WHERE " + std::string(condition) +
         ";\n";
}

// A JSON column must hold valid JSON of the expected kind. CASE guarantees json_type() only
// sees valid JSON (it raises on anything else).
std::string json_kind_condition(const std::string& col, std::string_view kind) {
  return "NEW." + col + " IS NOT NULL AND CASE WHEN json_valid(NEW." + col +
         ") THEN json_type(NEW." + col + ") <> '" + std::string(kind) + "' ELSE 1 END";
}

// The type rules a local write must follow, derived from each writable field's type.
std::string type_checks(const Resource& r) {
  std::string body;
  for (const Field& f : r.fields) {
    if (!f.writable()) continue;
    const std::string col = sql_identifier(f.column);
    const std::string name = qualified(r, f);
    switch (f.type) {
      case FieldType::kInt:
        body += refuse_when("NEW." + col + " IS NOT NULL AND typeof(NEW." + col + ") <> 'integer'",
                            name + " must be an integer id (or NULL)");
        break;
      case FieldType::kBool:
        body += refuse_when("NEW." + col + " IS NOT NULL AND NEW." + col + " NOT IN (0, 1)",
                            name + " must be 0 or 1 (or NULL)");
        break;
      case FieldType::kDate:
        body += refuse_when("NEW." + col + " IS NOT NULL AND NOT " +
                                replace_all(std::string(kDateGlobs), "{c}", col),
                            name + " must be a date: YYYY-MM-DD or YYYY-MM-DDTHH:MM (or NULL)");
        break;
      case FieldType::kStringArray:
      case FieldType::kIntArray:
      case FieldType::kObjectArray:
        body += refuse_when(json_kind_condition(col, "array"),
                            name + " must be a JSON array, e.g. '[]' (or NULL)");
        break;
      case FieldType::kObject:
        body += refuse_when(json_kind_condition(col, "object"),
                            name + " must be a JSON object, e.g. '{}' (or NULL)");
        break;
      default:
        break;
    }
    if (!f.allowed.empty()) {
      std::string list;
      for (std::string_view v : f.allowed) list += (list.empty() ? "" : ", ") + sql_literal(v);
      std::string words;
      for (std::string_view v : f.allowed) words += (words.empty() ? "" : ", ") + std::string(v);
      body += refuse_when("NEW." + col + " IS NOT NULL AND NEW." + col + " NOT IN (" + list + ")",
                          name + " must be one of: " + words);
    }
  }
  return body;
}

std::string read_only_column_message(const Resource& r, std::string_view column) {
  return std::string(r.table) + "." + std::string(column) +
         " is read-only: the CRM computes it and clevertim-sync copies it; change the other "
         "side of the link, or leave it out of the write";
}

std::string trigger_name(const Resource& r, std::string_view what) {
  return sql_identifier(std::string(r.table) + "_" + std::string(what));
}

// The resources local SQL may write: their tables share one space of local (negative) ids.
std::vector<const Resource*> writable_resources() {
  std::vector<const Resource*> out;
  for (const Resource& r : model::all_resources())
    if (!r.read_only) out.push_back(&r);
  return out;
}

std::string exists_in(std::string_view table, const std::string& id) {
  return "EXISTS (SELECT 1 FROM " + sql_identifier(table) + " WHERE id = " + id + ")";
}

// The other tables whose ids a reference cannot tell from this table's: contacts and companies,
// since a customer_id names either (the CRM gives both from one sequence).
std::vector<const Resource*> id_space_siblings(const Resource& r) {
  std::vector<const Resource*> out;
  const auto customers = model::endpoints_for(model::Ref::kCustomer);
  if (std::find(customers.begin(), customers.end(), r.endpoint) == customers.end()) return out;
  for (std::string_view endpoint : customers)
    if (endpoint != r.endpoint) out.push_back(model::find_resource(endpoint));
  return out;
}

// A reference must name a row of the mirror. What last_insert_rowid(), RETURNING and Python's
// cursor.lastrowid give for a new row is the rowid SQLite chose, not the negative id the row
// has once inserted: a child linked with it must fail here rather than link to another
// element. On UPDATE only a changed reference is checked, so a row whose element the CRM
// deleted can still be edited otherwise.
std::string reference_checks(const Resource& r, bool on_update) {
  std::string body;
  for (const Field& f : r.fields) {
    if (!f.writable() || f.ref == model::Ref::kNone) continue;
    const std::string value = "NEW." + sql_identifier(f.column);
    const std::string name = qualified(r, f);
    std::string condition = value + " IS NOT NULL";
    if (on_update) condition += " AND " + value + " IS NOT OLD." + sql_identifier(f.column);
    std::string singulars, tables;
    for (std::string_view endpoint : model::endpoints_for(f.ref)) {
      const Resource* target = model::find_resource(endpoint);
      condition += " AND NOT " + exists_in(target->table, value);
      singulars += (singulars.empty() ? "" : " or ") + std::string(target->singular);
      tables += (tables.empty() ? "" : " (or ") + std::string(target->table);
    }
    if (model::endpoints_for(f.ref).size() > 1) tables += ")";
    if (f.ref == model::Ref::kUser) {
      // Users come from the CRM only; without them (an account whose user list cannot be read)
      // there is nothing to check against.
      condition += " AND EXISTS (SELECT 1 FROM users)";
      body += refuse_when(condition, name +
                                         " names no user of the mirror: use the id of a row of "
                                         "users (users are made in the Clevertim web app)");
      continue;
    }
    body += refuse_when(
        condition,
        name + " names no " + singulars + " of the mirror: use the id of a row of " + tables +
            ". A new row's id is negative: choose it in its INSERT, or read it right after with "
            "SELECT min(id) FROM " +
            tables +
            " (last_insert_rowid(), RETURNING id and cursor.lastrowid give a number that is "
            "not its id); an element made in the CRM since the last pull is known after the "
            "next sync");
  }
  return body;
}

std::string sync_state_is_valid(const std::string& value) {
  std::string out;
  for (std::string_view state : {"synced", "pending", "conflict", "error"})
    out += (out.empty() ? "" : " OR ") + value + " = " + sql_literal(state);
  return out;
}

// Marks the placeholder row below (never a value of a real row).
constexpr std::string_view kPlaceholderMark = "clevertim-sync: rowid placeholder";

// The largest id a rowid SQLite chooses for this table must exceed: 0 (a rowid is positive, so
// the capture trigger can tell it from a negative id the writer chose; a table holding only
// new rows would otherwise get max(id) + 1 <= 0), and every id of a sibling table (so the
// number last_insert_rowid() gives is no contact's or company's id at all).
std::string rowid_floor(const Resource& r) {
  const auto siblings = id_space_siblings(r);
  if (siblings.empty()) return "0";
  std::string out = "max(0";
  for (const Resource* s : siblings)
    out += ", coalesce((SELECT max(id) FROM " + sql_identifier(s->table) + "), 0)";
  return out + ")";
}

// Writes to users / groups can never reach the CRM: refuse them at once.
std::vector<std::string> read_only_table_triggers(const Resource& r) {
  const std::string message = std::string(r.table) + " is read-only: it mirrors the CRM's " +
                              std::string(r.table) + "; change them in the Clevertim web app";
  std::vector<std::string> out;
  for (std::string_view op : {"INSERT", "UPDATE", "DELETE"}) {
    out.push_back("CREATE TRIGGER " + trigger_name(r, std::string("refuse_") + std::string(op)) +
                  " BEFORE " + std::string(op) + " ON " + sql_identifier(r.table) + " " +
                  std::string(kNotApplying) + " BEGIN\n  SELECT RAISE(ABORT, " +
                  sql_literal(message) + ");\nEND");
  }
  return out;
}

// A positive id is the CRM's. Inserting one either re-inserts an element the mirror has
// (INSERT OR REPLACE, REPLACE, an upsert: REPLACE deletes the old row without any delete
// trigger, and the new one would be POSTed as a copy, the original left as it was) or invents
// one the CRM would not honour (a POST gets a new id). In a BEFORE INSERT trigger NEW.id is -1
// when the writer gave no id, so `NEW.id > 0` is exactly "the writer chose a positive id".
std::string positive_id_checks(const Resource& r) {
  const std::string table(r.table);
  return refuse_when("NEW.id > 0 AND " + exists_in(r.table, "NEW.id"),
                     table + ".id: this id is already an element of " + table +
                         "; an INSERT of it (INSERT OR REPLACE, REPLACE, an upsert) would make a "
                         "copy of it in the CRM and leave it unchanged: change it with UPDATE " +
                         table + " SET ... WHERE id = ...") +
         refuse_when("NEW.id > 0",
                     table +
                         ".id: a new row cannot choose a positive id: those are the CRM's, and "
                         "it gives each new element its own; omit the id (a negative local one "
                         "is given), or choose a negative one to link other new rows to it");
}

// When SQLite is about to choose the rowid itself (NEW.id is -1 in a BEFORE INSERT trigger
// then; a writer's own -1 looks the same and is harmless here), a placeholder row at
// rowid_floor() makes its choice exceed that floor. The capture trigger removes it at once.
// `applying` keeps the placeholder's own insert from being captured or checked. Not while the
// table holds -1: an explicit -1 would then conflict, and INSERT OR IGNORE would skip the row
// and its capture trigger, leaving the placeholder behind (SQLite's rowid is >= 0 then anyway).
std::string placeholder_statements(const Resource& r) {
  const std::string table = sql_identifier(r.table);
  const std::string floor = rowid_floor(r);
  // The one constraint an INSERT with no id can break (sync_state's NOT NULL and CHECK) is
  // checked first: under OR IGNORE or OR FAIL a broken constraint keeps the placeholder.
  return refuse_when(
             "NEW.sync_state IS NULL OR NOT (" + sync_state_is_valid("NEW.sync_state") + ")",
             std::string(r.table) +
                 ".sync_state must be 'synced', 'pending', 'conflict' or 'error'; "
                 "better leave it out: clevertim-sync sets it") +
         "  UPDATE sync_control SET applying = 1 WHERE NEW.id = -1 AND NOT " +
         exists_in(r.table, "-1") + " AND " + floor + " > coalesce((SELECT max(id) FROM " + table +
         "), 0);\n"
         "  INSERT INTO " +
         table + " (id, sync_error) SELECT " + floor + ", " + sql_literal(kPlaceholderMark) +
         " FROM sync_control WHERE applying = 1;\n"
         "  UPDATE sync_control SET applying = 0 WHERE applying = 1;\n";
}

std::string guard_insert_trigger(const Resource& r) {
  std::string body = positive_id_checks(r);
  for (const Field& f : r.fields)
    if (!f.writable())
      body += refuse_when("NEW." + sql_identifier(f.column) + " IS NOT NULL",
                          read_only_column_message(r, f.column));
  for (std::string_view internal : {"raw", "raw_hash"})
    body += refuse_when("NEW." + std::string(internal) + " IS NOT NULL",
                        std::string(r.table) + "." + std::string(internal) +
                            " is written by clevertim-sync only; leave it out of the INSERT");
  body += type_checks(r);
  body += reference_checks(r, /*on_update=*/false);
  body += placeholder_statements(r);
  return "CREATE TRIGGER " + trigger_name(r, "guard_insert") + " BEFORE INSERT ON " +
         sql_identifier(r.table) + " " + std::string(kNotApplying) + " BEGIN\n" + body + "END";
}

std::string guard_update_trigger(const Resource& r) {
  std::string body = refuse_when(
      "NEW.id IS NOT OLD.id",
      std::string(r.table) +
          ".id cannot be changed: it is the CRM's id (negative until the row is pushed); "
          "insert a new row and delete the old one instead");
  for (const Field& f : r.fields)
    if (!f.writable())
      body +=
          refuse_when("NEW." + sql_identifier(f.column) + " IS NOT OLD." + sql_identifier(f.column),
                      read_only_column_message(r, f.column));
  for (std::string_view internal : {"raw", "raw_hash"})
    body += refuse_when(
        "NEW." + std::string(internal) + " IS NOT OLD." + std::string(internal),
        std::string(r.table) + "." + std::string(internal) + " is written by clevertim-sync only");
  body += type_checks(r);
  body += reference_checks(r, /*on_update=*/true);
  return "CREATE TRIGGER " + trigger_name(r, "guard_update") + " BEFORE UPDATE ON " +
         sql_identifier(r.table) + " " + std::string(kNotApplying) + " BEGIN\n" + body + "END";
}

// A negative id the writer chose (a rowid SQLite chose is positive: see rowid_floor) must be
// new to the whole file. Another table's row with it would make a reference ambiguous (a
// customer_id of -1 names a contact and a company). Queued changes of an earlier row with it
// (deleted or replaced before they were pushed) would be taken for this row's: the push sees
// one record created and deleted, and cancels it, this row included; a create of the earlier
// row whose answer is awaited (its entries stay queued until then) would give this row the
// earlier one's CRM id. Checked after the insert, when NEW.id is what was stored.
std::string chosen_local_id_checks(const Resource& r) {
  const std::string table(r.table);
  std::string body;
  for (const Resource* other : writable_resources()) {
    if (other == &r) continue;
    body += refuse_when("NEW.id < 0 AND " + exists_in(other->table, "NEW.id"),
                        table + ".id: this negative id is already the id of a new row of " +
                            std::string(other->table) +
                            "; local ids are one space for the whole file (a customer_id names "
                            "a contact or a company by it): choose another negative id, e.g. "
                            "below SELECT min(id) FROM " +
                            std::string(other->table) + ", or omit the id");
  }
  std::string queued;
  for (const Resource* any : writable_resources())
    queued += (queued.empty() ? "" : " OR ") +
              ("EXISTS (SELECT 1 FROM outbox WHERE resource = " + sql_literal(any->endpoint) +
               " AND record_id = NEW.id)");
  body += refuse_when(
      "NEW.id < 0 AND (" + queued + ")",
      table +
          ".id: this negative id belongs to a new row that was deleted or replaced before its "
          "changes were pushed, and they are still queued under it: choose another negative id, "
          "or omit the id (to change a new row, UPDATE it)");
  return body;
}

// A new local row gets a negative id unless the writer chose one, becomes `pending`, and is
// queued for a POST. Local ids come from one counter for the whole mirror (a note's
// customer_id may name a new contact or a new company, so their ids must not collide), kept
// below every id a writer chose, so a number is never reused while it may be referenced.
std::string capture_insert_trigger(const Resource& r) {
  const std::string table = sql_identifier(r.table);
  const std::string ep = sql_literal(r.endpoint);
  const std::string local_id =
      "CASE WHEN NEW.id < 0 THEN NEW.id ELSE (SELECT local_id_floor FROM sync_control) END";
  return "CREATE TRIGGER " + trigger_name(r, "capture_insert") + " AFTER INSERT ON " + table + " " +
         std::string(kNotApplying) + " BEGIN\n" + chosen_local_id_checks(r) +
         "  UPDATE sync_control SET applying = 1, local_id_floor = CASE WHEN NEW.id < 0 THEN "
         "min(local_id_floor, NEW.id) ELSE min(local_id_floor, (SELECT coalesce(min(id), 0) FROM " +
         table +
         ")) - 1 END;\n"
         "  UPDATE " +
         table + " SET id = " + local_id +
         ", sync_state = 'pending', sync_error = NULL WHERE id = NEW.id;\n"
         "  INSERT INTO outbox (resource, record_id, operation) VALUES (" +
         ep + ", " + local_id +
         ", 'insert');\n"
         "  DELETE FROM " +
         table + " WHERE id = " + rowid_floor(r) +
         " AND sync_error = " + sql_literal(kPlaceholderMark) +
         ";\n"
         "  UPDATE sync_control SET applying = 0;\n"
         "END";
}

std::string capture_update_trigger(const Resource& r) {
  std::string columns, changed_any, changed_list;
  for (const Field& f : r.fields) {
    if (!f.writable()) continue;
    const std::string col = sql_identifier(f.column);
    columns += (columns.empty() ? "" : ", ") + col;
    changed_any += (changed_any.empty() ? "" : " OR ") + ("OLD." + col + " IS NOT NEW." + col);
    changed_list += (changed_list.empty() ? "" : " || ") +
                    ("CASE WHEN OLD." + col + " IS NOT NEW." + col + " THEN " +
                     sql_literal(std::string(f.column) + ",") + " ELSE '' END");
  }
  const std::string table = sql_identifier(r.table);
  return "CREATE TRIGGER " + trigger_name(r, "capture_update") + " AFTER UPDATE OF " + columns +
         " ON " + table + " WHEN (SELECT applying FROM sync_control) = 0 AND (" + changed_any +
         ") BEGIN\n"
         "  UPDATE sync_control SET applying = 1;\n"
         "  UPDATE " +
         table +
         " SET sync_state = 'pending', sync_error = NULL WHERE id = NEW.id;\n"
         "  UPDATE sync_control SET applying = 0;\n"
         "  INSERT INTO outbox (resource, record_id, operation, changed) VALUES (" +
         sql_literal(r.endpoint) + ", NEW.id, 'update', rtrim(" + changed_list + ", ','));\n" +
         "END";
}

// A new row (negative id) other rows reference cannot be deleted: it never reaches the CRM
// then, and they would wait for its create for ever (their push says they wait for it). A row
// the CRM has is left to the CRM, which knows what its deletion does to the others.
std::string guard_delete_trigger(const Resource& r) {
  std::string body;
  for (const Resource* other : writable_resources())
    for (const Field& f : other->fields) {
      if (!f.writable() || f.ref == model::Ref::kNone) continue;
      const auto targets = model::endpoints_for(f.ref);
      if (std::find(targets.begin(), targets.end(), r.endpoint) == targets.end()) continue;
      const std::string column = sql_identifier(f.column);
      body +=
          refuse_when("OLD.id < 0 AND EXISTS (SELECT 1 FROM " + sql_identifier(other->table) +
                          " WHERE " + column + " = OLD.id)",
                      std::string(r.table) + ": this new row is not in the CRM yet and rows of " +
                          std::string(other->table) + " reference it in " + qualified(*other, f) +
                          ", which would wait for it for ever: delete them, or set " +
                          qualified(*other, f) + " to another row or NULL, first");
    }
  if (body.empty()) return {};
  return "CREATE TRIGGER " + trigger_name(r, "guard_delete") + " BEFORE DELETE ON " +
         sql_identifier(r.table) + " " + std::string(kNotApplying) + " BEGIN\n" + body + "END";
}

std::string capture_delete_trigger(const Resource& r) {
  return "CREATE TRIGGER " + trigger_name(r, "capture_delete") + " AFTER DELETE ON " +
         sql_identifier(r.table) + " " + std::string(kNotApplying) +
         " BEGIN\n"
         "  INSERT INTO outbox (resource, record_id, operation, old_raw) VALUES (" +
         sql_literal(r.endpoint) + ", OLD.id, 'delete', OLD.raw);\nEND";
}

// `json_each` over a column only when it holds valid JSON: a bad value hides its rows from the
// view instead of failing the whole report.
std::string json_source(const std::string& column) {
  return "json_each(CASE WHEN json_valid(" + column + ") THEN " + column + " END)";
}

std::vector<std::string> array_views(const Resource& r) {
  std::vector<std::string> out;
  for (const Field& f : r.fields) {
    if (f.view.empty()) continue;
    std::string select = "SELECT t.id AS " + std::string(r.singular) + "_id";
    if (f.view_columns.empty()) {
      select += ", j.value AS " + sql_identifier(f.view_value);
    } else {
      for (const model::ViewColumn& vc : f.view_columns)
        select += ", CASE WHEN j.type = 'object' THEN json_extract(j.value, " +
                  sql_literal("$." + std::string(vc.json_key)) + ") END AS " +
                  sql_identifier(vc.column);
    }
    out.push_back("CREATE VIEW " + sql_identifier(f.view) + " AS " + select + " FROM " +
                  sql_identifier(r.table) + " AS t, " +
                  json_source("t." + sql_identifier(f.column)) + " AS j");
  }
  return out;
}

std::string custom_values_view() {
  std::string parts;
  for (const Resource& r : model::all_resources()) {
    const Field* cf = r.field_by_api("cf");
    if (cf == nullptr) continue;
    const std::string col = "t." + sql_identifier(cf->column);
    parts += std::string(parts.empty() ? "" : "\nUNION ALL\n") + "SELECT " +
             sql_literal(r.endpoint) +
             " AS resource, t.id AS record_id, CAST(j.key AS INTEGER) AS field_id, f.name AS "
             "field_name, j.value AS value FROM " +
             sql_identifier(r.table) + " AS t, json_each(CASE WHEN json_valid(" + col +
             ") THEN CASE WHEN json_type(" + col + ") = 'object' THEN " + col +
             " END END) AS j LEFT JOIN custom_fields AS f ON f.id = CAST(j.key AS INTEGER)";
  }
  return "CREATE VIEW custom_values AS " + parts;
}

constexpr std::string_view kPipelineView =
    "CREATE VIEW pipeline AS SELECT status, currency, count(*) AS count, "
    "total(CAST(value AS REAL)) AS total_value FROM opportunities GROUP BY status, currency";

constexpr std::string_view kOpenTasksView =
    "CREATE VIEW open_tasks AS SELECT t.id AS id, t.name AS name, t.type AS type, "
    "t.start AS start, t.\"end\" AS \"end\", t.customer_id AS customer_id, "
    "coalesce(nullif(trim(coalesce(c.first_name, '') || ' ' || coalesce(c.last_name, '')), ''), "
    "co.name) AS customer_name, t.assigned_user_id AS assigned_user_id, u.name AS assignee_name, "
    "t.case_id AS case_id, t.opportunity_id AS opportunity_id "
    "FROM tasks AS t LEFT JOIN contacts AS c ON c.id = t.customer_id "
    "LEFT JOIN companies AS co ON co.id = t.customer_id "
    "LEFT JOIN users AS u ON u.id = t.assigned_user_id "
    "WHERE coalesce(t.is_completed, 0) = 0 AND coalesce(t.is_deleted, 0) = 0";

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

// Version 2: the push's bookkeeping. POSTs whose answer never arrived are remembered so the
// next pull can recognise the element before anything is sent again; a held change (mass
// deletion guard) says why it waits.
constexpr std::string_view kVersion2[] = {
    "CREATE TABLE push_intents (resource TEXT NOT NULL, record_id INTEGER NOT NULL, payload TEXT "
    "NOT NULL, sent_at TEXT NOT NULL, PRIMARY KEY (resource, record_id)) WITHOUT ROWID",
    "ALTER TABLE outbox ADD COLUMN held TEXT",
    // Why the last push of this change failed for good (400/403/404/501); such a change waits
    // until the row is edited again or `clevertim-sync retry` runs.
    "ALTER TABLE outbox ADD COLUMN error TEXT",
    // The CRM's version of an element whose row has unpushed local changes: the pull must not
    // overwrite the local row, and the push compares both against the base in `raw`.
    "CREATE TABLE remote_versions (resource TEXT NOT NULL, id INTEGER NOT NULL, raw TEXT, "
    "deleted INTEGER NOT NULL DEFAULT 0, seen_at TEXT NOT NULL, PRIMARY KEY (resource, id)) "
    "WITHOUT ROWID",
    // Restores in progress: which element of a source became which element of the account.
    // new_id NULL means "sent, answer not recorded": checked against the account on resume.
    "CREATE TABLE restore_map (source TEXT NOT NULL, resource TEXT NOT NULL, old_id INTEGER NOT "
    "NULL, new_id INTEGER, payload TEXT, PRIMARY KEY (source, resource, old_id)) WITHOUT ROWID",
};

}  // namespace

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

std::string sql_literal(std::string_view text) {
  std::string out = "'";
  for (char c : text) {
    if (c == '\'') out += '\'';
    out += c;
  }
  return out + "'";
}

std::string sql_identifier(std::string_view name) {
  std::string out = "\"";
  for (char c : name) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
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

// `x IN ('a', 'b', 'c')` with more than two values is evaluated by building a temporary index
// of the values, once per statement run: in a CHECK that is once per row written, and the
// daemon writes rows one statement run at a time (2 µs each, a second per 250k-element pull).
// The same test spelled as `x = 'a' OR x = 'b' OR ...` costs nothing. Changing a CHECK to an
// equivalent one needs no table rebuild: SQLite documents editing the table's SQL with
// writable_schema for changing CHECK constraints (ALTER TABLE, "other kinds of table schema
// changes"); the mirror's migration then bumps the schema version so every connection reloads.
std::string as_or_chain(std::string_view column, std::initializer_list<std::string_view> values) {
  std::string in, ors;
  for (std::string_view v : values) {
    in += (in.empty() ? "" : ", ") + sql_literal(v);
    ors += (ors.empty() ? "" : " OR ") + std::string(column) + " = " + sql_literal(v);
  }
  return "UPDATE sqlite_schema SET sql = replace(sql, " +
         sql_literal("CHECK (" + std::string(column) + " IN (" + in + "))") + ", " +
         sql_literal("CHECK (" + ors + ")") + ") WHERE type = 'table'";
}

// Version 3: per table, an index holding what a pull compares (id, raw_hash, sync_state), so
// that reading it does not read every row's raw JSON; and the CHECKs of the tables written per
// element (resource tables, history) without IN lists.
std::vector<std::string> version3_statements() {
  std::vector<std::string> out;
  for (const Resource& r : model::all_resources())
    out.push_back("CREATE INDEX " + sql_identifier(std::string(r.table) + "_digest") + " ON " +
                  sql_identifier(r.table) + " (id, raw_hash, sync_state)");
  out.emplace_back("PRAGMA writable_schema = ON");
  out.push_back(as_or_chain("sync_state", {"synced", "pending", "conflict", "error"}));
  out.push_back(as_or_chain("operation", {"create", "update", "delete", "push"}));
  out.emplace_back("PRAGMA writable_schema = OFF");
  return out;
}

// Version 4: the PUTs sent whose answer is not recorded yet. When the answer is lost (a crash,
// a dropped connection), the CRM's next version carries our own values; they must count as
// ours, not as an edit made in the CRM that would conflict with a later local edit.
constexpr std::string_view kVersion4[] = {
    "CREATE TABLE sent_updates (resource TEXT NOT NULL, id INTEGER NOT NULL, payload TEXT NOT "
    "NULL, sent_at TEXT NOT NULL, PRIMARY KEY (resource, id)) WITHOUT ROWID",
};

// Version 5: the triggers refuse what used to go wrong later (a positive id in an INSERT, a
// negative id another table or a queued change has, a reference to no row); they are
// recreated with every migration. Version 4's push could strand a new row: a negative id
// inserted, deleted and inserted again was cancelled as one created-then-deleted record, the
// row left pending with nothing queued, never sent. Such rows get their create queued again
// (a new row always has queued changes until its create is answered, so this finds no other).
std::vector<std::string> version5_statements() {
  std::vector<std::string> out;
  for (const Resource& r : model::all_resources()) {
    if (r.read_only) continue;
    const std::string table = sql_identifier(r.table), endpoint = sql_literal(r.endpoint);
    out.push_back("INSERT INTO outbox (resource, record_id, operation) SELECT " + endpoint +
                  ", id, 'insert' FROM " + table +
                  " AS t WHERE id < 0 AND NOT EXISTS (SELECT 1 FROM outbox WHERE resource = " +
                  endpoint + " AND record_id = t.id) ORDER BY id DESC");
  }
  return out;
}

std::vector<std::string> migration_statements(int to_version) {
  if (to_version == 1) return version1_statements();
  if (to_version == 2) return {std::begin(kVersion2), std::end(kVersion2)};
  if (to_version == 3) return version3_statements();
  if (to_version == 4) return {std::begin(kVersion4), std::end(kVersion4)};
  if (to_version == 5) return version5_statements();
  if (to_version == 6) return version6_statements();
  return {};
}

std::vector<std::string> trigger_and_view_statements() {
  std::vector<std::string> out;
  for (const Resource& r : model::all_resources()) {
    if (r.read_only) {
      for (std::string& s : read_only_table_triggers(r)) out.push_back(std::move(s));
    } else {
      out.push_back(guard_insert_trigger(r));
      out.push_back(guard_update_trigger(r));
      out.push_back(capture_insert_trigger(r));
      out.push_back(capture_update_trigger(r));
      if (std::string guard = guard_delete_trigger(r); !guard.empty())
        out.push_back(std::move(guard));
      out.push_back(capture_delete_trigger(r));
    }
    for (std::string& s : array_views(r)) out.push_back(std::move(s));
  }
  out.push_back(custom_values_view());
  out.emplace_back(kPipelineView);
  out.emplace_back(kOpenTasksView);
  for (std::string& s : bi_view_statements()) out.push_back(std::move(s));
  return out;
}

}  // namespace clevertim::storage
