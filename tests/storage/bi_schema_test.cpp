// The mirror as a BI tool (Metabase, Datasette, DBeaver) reads it: relations from
// `PRAGMA foreign_key_list`, column types from `PRAGMA table_info`, lookup tables for codes, and
// `report_` views without the internal columns (issue 17). Declared, never enforced on writers.
#include <doctest/doctest.h>

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>

#include <set>
#include <string>
#include <vector>

#include "mirror_fixture.h"
#include "storage/mirror.h"
#include "storage/schema.h"

using namespace clevertim;
using clevertim::testing::run_sqlite3;
using clevertim::testing::ScratchDir;

namespace {

// "column>table.to" for every relation a table declares, as a tool lists them.
std::set<std::string> foreign_keys(SQLite::Database& db, const std::string& table) {
  std::set<std::string> out;
  SQLite::Statement q(db, "SELECT \"from\", \"table\", \"to\" FROM pragma_foreign_key_list(?)");
  q.bind(1, table);
  while (q.executeStep())
    out.insert(q.getColumn(0).getString() + ">" + q.getColumn(1).getString() + "." +
               q.getColumn(2).getString());
  return out;
}

// The declared type of a column of a table or view ("" when it has none, "-" when no column).
std::string declared_type(SQLite::Database& db, const std::string& table,
                          const std::string& column) {
  SQLite::Statement q(db, "SELECT type FROM pragma_table_info(?) WHERE name = ?");
  q.bind(1, table);
  q.bind(2, column);
  return q.executeStep() ? q.getColumn(0).getString() : "-";
}

std::string text(SQLite::Database& db, const std::string& sql) {
  SQLite::Statement q(db, sql);
  std::string out;
  while (q.executeStep()) {
    if (!out.empty()) out += ";";
    for (int i = 0; i < q.getColumnCount(); ++i)
      out += (i ? "|" : "") +
             (q.getColumn(i).isNull() ? std::string("NULL") : q.getColumn(i).getString());
  }
  return out;
}

// What a BI tool finds in a mirror file, opened read-only on a connection of its own.
void check_as_a_bi_tool(const std::filesystem::path& path) {
  SQLite::Database db(path.string(), SQLite::OPEN_READONLY);
  CHECK(db.execAndGet("PRAGMA foreign_keys").getInt() == 0);  // declared, not enforced
  const auto contacts = foreign_keys(db, "contacts");
  CHECK(contacts.contains("company_id>companies.id"));
  CHECK(contacts.contains("customer_type>lookup_customer_types.code"));
  CHECK(contacts.contains("private_to>users.id"));
  const auto tasks = foreign_keys(db, "tasks");
  for (const char* fk :
       {"case_id>cases.id", "opportunity_id>opportunities.id", "assigned_user_id>users.id",
        "type>lookup_task_types.code", "recurrence>lookup_recurrences.code"})
    CHECK_MESSAGE(tasks.contains(fk), fk);
  CHECK(foreign_keys(db, "comments").contains("note_id>notes.id"));
  CHECK(foreign_keys(db, "comments").contains("task_id>tasks.id"));
  CHECK(foreign_keys(db, "opportunities").contains("status>lookup_deal_statuses.code"));
  CHECK(foreign_keys(db, "notes").contains("type>lookup_note_types.code"));
  // customer_id names a contact or a company: no one table to declare; the customers view.
  for (const char* table : {"notes", "tasks", "cases", "opportunities"})
    for (const std::string& fk : foreign_keys(db, table))
      CHECK_MESSAGE(!fk.starts_with("customer_id>"), table << ": " << fk);

  CHECK(text(db,
             "SELECT code FROM lookup_customer_types WHERE code IN "
             "('C','H','L','P','R','S') ORDER BY code") == "C;H;L;P;R;S");
  CHECK(text(db, "SELECT label FROM lookup_customer_types WHERE code = 'H'") == "Other");
  CHECK(text(db, "SELECT count(*) FROM lookup_deal_statuses WHERE code IN ('Won', 'Lost')") == "2");
  CHECK(text(db, "SELECT count(*) FROM lookup_sync_states") == "4");

  // report_ views: no raw, no raw_hash; dates declared and ISO 8601.
  for (const char* view :
       {"report_contacts", "report_companies", "report_cases", "report_opportunities",
        "report_tasks", "report_notes", "report_comments", "report_custom_fields", "report_users",
        "report_groups"}) {
    CHECK_MESSAGE(declared_type(db, view, "id") == "INTEGER", view);
    CHECK_MESSAGE(declared_type(db, view, "raw") == "-", view);
    CHECK_MESSAGE(declared_type(db, view, "raw_hash") == "-", view);
  }
  CHECK(declared_type(db, "report_contacts", "added_on_iso") == "DATETIME");
  CHECK(declared_type(db, "report_contacts", "last_modified_iso") == "DATETIME");
  CHECK(declared_type(db, "report_contacts", "company_id") == "INTEGER");
  CHECK(declared_type(db, "report_tasks", "start_iso") == "DATETIME");
  CHECK(declared_type(db, "report_tasks", "end_iso") == "DATETIME");
  CHECK(declared_type(db, "report_tasks", "time_zone") != "-");
  CHECK(declared_type(db, "customers", "id") == "INTEGER");
  CHECK(declared_type(db, "customers", "kind") != "-");
  CHECK(declared_type(db, "note_customers", "customer_id") != "-");
  // The tables look as they did to SQL writers: generated columns are not in table_info.
  CHECK(declared_type(db, "contacts", "added_on_iso") == "-");
}

}  // namespace

TEST_CASE("a new mirror declares relations, lookups and typed dates a BI tool reads") {
  ScratchDir dir;
  {
    auto mirror = storage::Mirror::open(dir / "crm.db");
    testing::seed(mirror, "company", R"([{"id": 77, "cn": "Acme", "ao": 1385000000}])");
    testing::seed(mirror, "contact", R"([{"id": 42, "fn": "Ann", "ln": "Lee", "companyId": 77,
      "ctype": "L", "ao": "2013-12-29 04:04:00+02:00", "lm": 1385000000123}])");
    testing::seed(mirror, "task", R"([{"id": 9, "name": "Call",
      "startDate": {"y": 2013, "mo": 12, "d": 29, "h": 4, "mi": 4},
      "endDate": {"y": 2013, "mo": 12, "d": 30}}])");
  }
  check_as_a_bi_tool(dir / "crm.db");
  SQLite::Database db((dir / "crm.db").string(), SQLite::OPEN_READONLY);
  CHECK(text(db, "SELECT added_on_iso, last_modified_iso FROM report_contacts") ==
        "2013-12-29T02:04:00Z|2013-11-21T02:13:20Z");
  CHECK(text(db, "SELECT added_on_iso FROM report_companies") == "2013-11-21T02:13:20Z");
  CHECK(text(db, "SELECT start_iso, end_iso, time_zone FROM report_tasks") ==
        "2013-12-29T04:04|2013-12-30|account local time");
  CHECK(text(db,
             "SELECT id, kind, name, l.label FROM customers LEFT JOIN lookup_customer_types "
             "AS l ON l.code = customer_type ORDER BY id") ==
        "42|contact|Ann Lee|Lead;77|company|Acme|NULL");
}

TEST_CASE("the declarations are not enforced: local rows with negative ids link as before") {
  ScratchDir dir;
  { storage::Mirror::open(dir / "crm.db"); }
  const auto w = run_sqlite3(
      dir / "crm.db",
      "INSERT INTO companies (id, name) VALUES (-1, 'Acme');"
      "INSERT INTO contacts (first_name, company_id, customer_type) VALUES ('Ann', -1, 'Q');"
      "INSERT INTO tasks (name, start) VALUES ('Call', '2026-12-01T09:00');");
  REQUIRE_MESSAGE(w.ok(), w.output);
  SQLite::Database db((dir / "crm.db").string(), SQLite::OPEN_READONLY);
  CHECK(text(db, "SELECT company_id, customer_type, sync_state FROM contacts") == "-1|Q|pending");
  CHECK(text(db, "SELECT start_iso FROM report_tasks") == "2026-12-01T09:00");
}

TEST_CASE("a version-5 mirror gets the same declarations, and notes' lists of one customer") {
  ScratchDir dir;
  const auto path = dir / "crm.db";
  const auto made = run_sqlite3(path, ".read " + std::string(CLEVERTIM_FIXTURES) +
                                          "/mirror-v5.sql\n"
                                          // As version 5 stored a note whose cust is [13]:
                                          // customer_id NULL, the list in raw.
                                          "UPDATE sync_control SET applying = 1;"
                                          "UPDATE notes SET customer_id = NULL, raw = "
                                          "json_set(raw, '$.cust', json('[13]')) WHERE id = 19;"
                                          "UPDATE notes SET customer_id = NULL, raw = "
                                          "json_set(raw, '$.cust', json('[13, 14]')) WHERE id = 20;"
                                          "UPDATE sync_control SET applying = 0;");
  REQUIRE_MESSAGE(made.ok(), made.output);
  {
    auto mirror = storage::Mirror::open(path);
    CHECK(mirror.schema_version() == storage::kSchemaVersion);
    CHECK(mirror.db().execAndGet("PRAGMA integrity_check").getString() == "ok");
    CHECK(text(mirror.db(),
               "SELECT id, coalesce(customer_id, '-'), sync_state FROM notes WHERE "
               "id IN (19, 20) ORDER BY id") == "19|13|synced;20|-|synced");
    CHECK(text(mirror.db(), "SELECT count(*) FROM outbox WHERE resource = 'note'") == "0");
    CHECK(text(mirror.db(),
               "SELECT note_id, customer_id FROM note_customers WHERE note_id IN "
               "(19, 20) ORDER BY note_id, customer_id") == "19|13;20|13;20|14");
  }
  check_as_a_bi_tool(path);
  // Opened again: nothing to add twice.
  { storage::Mirror::open(path); }
  SQLite::Database db(path.string(), SQLite::OPEN_READONLY);
  CHECK(text(db,
             "SELECT count(*) FROM pragma_foreign_key_list('contacts') WHERE \"from\" = "
             "'company_id'") == "1");
}

// The ISO column takes a time stamp already in its own form as it is, without strftime(): for
// every such text, valid or not (a 29 February, a day 00 or 31, an hour 24), the column must
// hold exactly what strftime() makes of it, as before version 7.
TEST_CASE("an ISO column's short way gives what strftime gives, for every canonical form") {
  ScratchDir dir;
  auto mirror = storage::Mirror::open(dir / "crm.db");
  SQLite::Database& db = mirror.db();
  std::vector<std::string> stamps;
  for (const char* year : {"0000", "1970", "2000", "2023", "2024", "2100", "9999"})
    for (const char* month : {"00", "01", "02", "04", "09", "10", "12", "13", "19"})
      for (const char* day :
           {"00", "01", "09", "10", "19", "20", "28", "29", "30", "31", "32", "39"})
        for (const char* hour : {"00", "09", "19", "20", "23", "24", "29"})
          stamps.push_back(std::string(year) + "-" + month + "-" + day + "T" + hour + ":59:05Z");
  db.exec("UPDATE sync_control SET applying = 1");
  SQLite::Statement insert(db, "INSERT INTO companies (id, name, added_on) VALUES (?, 'x', ?)");
  for (std::size_t i = 0; i < stamps.size(); ++i) {
    insert.reset();
    insert.bind(1, static_cast<std::int64_t>(i + 1));
    insert.bind(2, stamps[i]);
    insert.exec();
  }
  db.exec("UPDATE sync_control SET applying = 0");
  CHECK(text(db,
             "SELECT count(*) FROM companies WHERE added_on_iso IS NOT "
             "strftime('%Y-%m-%dT%H:%M:%SZ', added_on)") == "0");
  CHECK(text(db, "SELECT count(*) FROM companies WHERE added_on_iso = added_on") != "0");
  CHECK(text(db, "SELECT count(*) FROM companies WHERE added_on_iso IS NULL") != "0");
}

TEST_CASE(
    "a version-6 mirror's ISO columns are made again, unless a view of the user's names one") {
  ScratchDir dir;
  const auto path = dir / "crm.db";
  std::string fresh_columns;
  {
    auto mirror = storage::Mirror::open(path);
    testing::seed(mirror, "contact", R"([{"id": 42, "fn": "Ann", "ao": "2013-12-29T04:04:00Z",
      "lm": 1385000000123}])");
    testing::seed(mirror, "task", R"([{"id": 9, "name": "Call", "ao": "2013-12-29T04:04:00Z",
      "startDate": {"y": 2013, "mo": 12, "d": 29}}])");
    fresh_columns =
        text(mirror.db(), "SELECT group_concat(name) FROM pragma_table_xinfo('contacts')");
  }
  // As version 6 made them: the same columns, defined without the short way.
  const char* as_version6 =
      "PRAGMA writable_schema = ON;"
      "UPDATE sqlite_schema SET sql = replace(replace(sql, 'CASE WHEN \"added_on\" GLOB', "
      "'CASE WHEN \"added_on\" || '''' GLOB'), 'CASE WHEN \"last_modified\" GLOB', "
      "'CASE WHEN \"last_modified\" || '''' GLOB') WHERE name IN ('contacts', 'tasks');"
      "PRAGMA writable_schema = OFF; PRAGMA user_version = 6;";
  REQUIRE(run_sqlite3(path, as_version6).ok());
  REQUIRE(run_sqlite3(path, "SELECT added_on_iso FROM contacts").ok());
  // A view of the user's naming tasks.added_on_iso: that column cannot be dropped, and stays.
  REQUIRE(run_sqlite3(path, "CREATE VIEW my_tasks AS SELECT id, added_on_iso FROM tasks").ok());
  {
    auto mirror = storage::Mirror::open(path);
    CHECK(mirror.schema_version() == storage::kSchemaVersion);
    SQLite::Database& db = mirror.db();
    CHECK(text(db,
               "SELECT instr(sql, '\"added_on\" || ''''') FROM sqlite_schema WHERE name = "
               "'contacts'") == "0");
    CHECK(text(db,
               "SELECT instr(sql, '\"added_on\" || ''''') > 0 FROM sqlite_schema WHERE "
               "name = 'tasks'") == "1");
    CHECK(text(db, "SELECT added_on_iso, last_modified_iso FROM contacts") ==
          "2013-12-29T04:04:00Z|2013-11-21T02:13:20Z");
    CHECK(text(db, "SELECT m.added_on_iso, start_iso FROM my_tasks AS m JOIN tasks USING (id)") ==
          "2013-12-29T04:04:00Z|2013-12-29");
    CHECK(text(db, "SELECT group_concat(name) FROM pragma_table_xinfo('contacts')") ==
          fresh_columns);
    CHECK(text(db,
               "SELECT instr(sql, '\"last_modified\" || ''''') FROM sqlite_schema WHERE name = "
               "'tasks'") == "0");
    CHECK(db.execAndGet("PRAGMA integrity_check").getString() == "ok");
  }
  check_as_a_bi_tool(path);
}
