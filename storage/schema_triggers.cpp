#include "storage/schema_triggers.h"

#include <algorithm>
#include <string_view>

#include "model/resources.h"
#include "storage/sql_quote.h"

namespace clevertim::storage {
namespace {

using model::Field;
using model::FieldType;
using model::Resource;

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

}  // namespace

std::vector<std::string> trigger_statements(const Resource& r) {
  if (r.read_only) return read_only_table_triggers(r);
  std::vector<std::string> out;
  out.push_back(guard_insert_trigger(r));
  out.push_back(guard_update_trigger(r));
  out.push_back(capture_insert_trigger(r));
  out.push_back(capture_update_trigger(r));
  if (std::string guard = guard_delete_trigger(r); !guard.empty()) out.push_back(std::move(guard));
  out.push_back(capture_delete_trigger(r));
  return out;
}

}  // namespace clevertim::storage
