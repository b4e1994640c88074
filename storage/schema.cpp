#include "storage/schema.h"

#include <initializer_list>
#include <iterator>
#include <string_view>

#include "model/resources.h"
#include "storage/bi_schema.h"
#include "storage/schema_tables.h"
#include "storage/schema_triggers.h"
#include "storage/schema_views.h"

namespace clevertim::storage {
namespace {

using model::Resource;

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

}  // namespace

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
    for (std::string& s : trigger_statements(r)) out.push_back(std::move(s));
    for (std::string& s : array_view_statements(r)) out.push_back(std::move(s));
  }
  for (std::string& s : summary_view_statements()) out.push_back(std::move(s));
  for (std::string& s : bi_view_statements()) out.push_back(std::move(s));
  return out;
}

}  // namespace clevertim::storage
