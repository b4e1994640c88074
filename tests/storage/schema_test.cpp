#include <doctest/doctest.h>
#include <sys/stat.h>

#include <SQLiteCpp/Statement.h>
#include <sqlite3.h>

#include <fstream>

#include "mirror_fixture.h"
#include "model/resources.h"
#include "storage/schema.h"

using namespace clevertim;
using clevertim::testing::run_sqlite3;
using clevertim::testing::ScratchDir;

namespace {

bool has_column(SQLite::Database& db, const std::string& table, const std::string& column) {
  SQLite::Statement q(db, "SELECT 1 FROM pragma_table_info(?) WHERE name = ?");
  q.bind(1, table);
  q.bind(2, column);
  return q.executeStep();
}

bool has_object(SQLite::Database& db, const std::string& type, const std::string& name) {
  SQLite::Statement q(db, "SELECT 1 FROM sqlite_schema WHERE type = ? AND name = ?");
  q.bind(1, type);
  q.bind(2, name);
  return q.executeStep();
}

}  // namespace

TEST_CASE("a new mirror has the public tables, columns and views of MIRROR.md") {
  ScratchDir dir;
  auto mirror = storage::Mirror::open(dir / "crm.db");
  auto& db = mirror.db();
  CHECK(mirror.created());
  CHECK(mirror.schema_version() == storage::kSchemaVersion);
  CHECK(db.execAndGet("PRAGMA journal_mode").getString() == "wal");

  for (const char* table :
       {"contacts", "companies", "cases", "opportunities", "tasks", "notes", "comments",
        "custom_fields", "users", "groups", "history", "conflicts", "sync_runs"})
    CHECK_MESSAGE(has_object(db, "table", table), table);
  for (const char* column : {"id",         "sync_state", "sync_error",    "raw",
                             "first_name", "last_name",  "company_id",    "emails",
                             "websites",   "social_ids", "customer_type", "custom_fields",
                             "note_ids",   "added_on",   "last_modified", "last_contacted",
                             "photo",      "is_private", "private_to",    "group_mask"})
    CHECK_MESSAGE(has_column(db, "contacts", column), column);
  for (auto [table, column] : std::initializer_list<std::pair<const char*, const char*>>{
           {"tasks", "start"},
           {"tasks", "end"},
           {"tasks", "assigned_user_id"},
           {"tasks", "recurrence"},
           {"tasks", "recur_every"},
           {"tasks", "recur_options"},
           {"notes", "description"},
           {"notes", "headline"},
           {"comments", "text"},
           {"comments", "note_id"},
           {"comments", "task_id"},
           {"custom_fields", "type"},
           {"custom_fields", "applies_to"},
           {"custom_fields", "allowed_values"},
           {"custom_fields", "full_name"},
           {"custom_fields", "is_multi_value"},
           {"opportunities", "lead_user_id"},
           {"opportunities", "created_by"},
           {"cases", "customer_id"},
           {"users", "name"},
           {"history", "resource"},
           {"history", "seen_at"},
           {"history", "operation"},
           {"conflicts", "record_id"},
           {"conflicts", "base"},
           {"conflicts", "local"},
           {"conflicts", "remote"},
           {"conflicts", "outcome"},
           {"conflicts", "resolution"},
           {"conflicts", "detected_at"},
           {"sync_runs", "pulled"},
           {"sync_runs", "pushed"},
           {"sync_runs", "failed"}})
    CHECK_MESSAGE(has_column(db, table, column), table << "." << column);
  for (const char* view :
       {"contact_emails", "contact_phones", "contact_tags", "company_emails", "company_phones",
        "company_tags", "case_tags", "opportunity_tags", "custom_values", "pipeline", "open_tasks"})
    CHECK_MESSAGE(has_object(db, "view", view), view);
}

TEST_CASE("the mirror file is readable by its owner only") {
  ScratchDir dir;
  storage::Mirror::open(dir / "crm.db");
  struct stat st {};
  REQUIRE(stat((dir / "crm.db").c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
}

TEST_CASE("a mirror written by a newer release is refused with a clear message") {
  ScratchDir dir;
  { storage::Mirror::open(dir / "crm.db"); }
  REQUIRE(run_sqlite3(dir / "crm.db", "PRAGMA user_version = 99;").ok());
  try {
    storage::Mirror::open(dir / "crm.db");
    FAIL("a newer mirror was opened");
  } catch (const storage::MirrorError& e) {
    const std::string message = e.what();
    CHECK(message.find("schema version 99") != std::string::npos);
    CHECK(message.find("upgrade clevertim-sync") != std::string::npos);
  }
}

TEST_CASE("a file that is not SQLite is refused, and left as it was") {
  ScratchDir dir;
  std::ofstream(dir / "crm.db") << "this is not a database, it is a shopping list\n";
  CHECK_THROWS_AS(storage::Mirror::open(dir / "crm.db"), storage::MirrorError);
  std::ifstream in(dir / "crm.db");
  std::string first;
  std::getline(in, first);
  CHECK(first == "this is not a database, it is a shopping list");
}

TEST_CASE("a mirror of an older schema version is migrated forward, data kept") {
  ScratchDir dir;
  {
    storage::OpenOptions version1;
    version1.target_version = 1;
    auto old = storage::Mirror::open(dir / "crm.db", version1);
    CHECK(old.schema_version() == 1);
    testing::seed(old, "contact", R"([{"id": 42, "fn": "Ann", "city": "Oslo"}])");
    CHECK_FALSE(has_object(old.db(), "table", "remote_versions"));
  }
  auto mirror = storage::Mirror::open(dir / "crm.db");
  CHECK_FALSE(mirror.created());
  CHECK(mirror.schema_version() == storage::kSchemaVersion);
  CHECK(has_object(mirror.db(), "table", "remote_versions"));
  CHECK(has_column(mirror.db(), "outbox", "held"));
  CHECK(has_object(mirror.db(), "index", "contacts_digest"));  // version 3
  CHECK(has_object(mirror.db(), "table", "sent_updates"));     // version 4
  CHECK(mirror.db().execAndGet("SELECT city FROM contacts WHERE id = 42").getString() == "Oslo");
  // The triggers were recreated and still capture local writes.
  REQUIRE(run_sqlite3(dir / "crm.db", "UPDATE contacts SET city = 'Paris' WHERE id = 42;").ok());
  CHECK(mirror.db().execAndGet("SELECT count(*) FROM outbox").getInt() == 1);
}

TEST_CASE("a version-4 mirror gets version 5's refusals, and its stranded new rows are queued") {
  ScratchDir dir;
  {
    storage::OpenOptions version4;
    version4.target_version = 4;
    auto old = storage::Mirror::open(dir / "crm.db", version4);
    testing::seed(old, "contact", R"([{"id": 42, "fn": "Ann"}])");
    // Version 4's insert guards lacked version 5's checks; without them, a file takes what
    // version 4 took.
    for (const model::Resource& r : model::all_resources())
      if (!r.read_only) old.db().exec("DROP TRIGGER \"" + std::string(r.table) + "_guard_insert\"");
  }
  // Version 4 accepted -70 again after its DELETE; its push then cancelled the three captured
  // writes as one row created and deleted, leaving 'B' pending with nothing queued. That state,
  // written past the triggers:
  REQUIRE(run_sqlite3(dir / "crm.db",
                      "UPDATE sync_control SET applying = 1;"
                      "INSERT INTO companies (id, name, sync_state) VALUES (-70, 'B', 'pending');"
                      "UPDATE sync_control SET applying = 0;")
              .ok());
  auto mirror = storage::Mirror::open(dir / "crm.db");
  CHECK(mirror.schema_version() == 5);
  // The stranded row's create is queued again.
  CHECK(mirror.db()
            .execAndGet("SELECT count(*) FROM outbox WHERE resource = 'company' AND "
                        "record_id = -70 AND operation = 'insert'")
            .getInt() == 1);
  CHECK(mirror.db().execAndGet("SELECT count(*) FROM outbox").getInt() == 1);
  // Writes version 4 let through are refused now.
  auto refused = run_sqlite3(dir / "crm.db",
                             "INSERT OR REPLACE INTO contacts (id, first_name) VALUES (42, 'x');");
  CHECK_FALSE(refused.ok());
  CHECK(refused.output.find("UPDATE contacts") != std::string::npos);
  refused = run_sqlite3(dir / "crm.db", "INSERT INTO contacts (id, first_name) VALUES (-70, 'x');");
  CHECK_FALSE(refused.ok());
  CHECK(refused.output.find("choose another negative id") != std::string::npos);
  refused = run_sqlite3(dir / "crm.db",
                        "INSERT INTO notes (description, customer_id) VALUES ('n', 999);");
  CHECK_FALSE(refused.ok());
  CHECK(refused.output.find("notes.customer_id") != std::string::npos);
  CHECK(mirror.db().execAndGet("SELECT first_name FROM contacts WHERE id = 42").getString() ==
        "Ann");
}

TEST_CASE("a missing folder is named in the error") {
  ScratchDir dir;
  try {
    storage::Mirror::open(dir / "nope" / "crm.db");
    FAIL("opened a mirror in a missing folder");
  } catch (const storage::MirrorError& e) {
    CHECK(std::string(e.what()).find("does not exist") != std::string::npos);
  }
}

TEST_CASE("what a pull compares is read from a small covering index, not from every row") {
  ScratchDir dir;
  auto mirror = storage::Mirror::open(dir / "crm.db");
  // The query of ElementTable::load_known(); a plan that reads the table would read every
  // row's raw JSON.
  SQLite::Statement plan(mirror.db(),
                         "EXPLAIN QUERY PLAN SELECT id, raw_hash, sync_state FROM contacts");
  REQUIRE(plan.executeStep());
  CHECK(plan.getColumn(3).getString() == "SCAN contacts USING COVERING INDEX contacts_digest");
}

TEST_CASE("the CHECKs of tables written per element use no IN list, and still refuse bad values") {
  ScratchDir dir;
  {
    storage::OpenOptions version2;
    version2.target_version = 2;
    storage::Mirror::open(dir / "crm.db", version2);
  }
  auto mirror = storage::Mirror::open(dir / "crm.db");  // migrated 2 -> 3 in place
  for (const char* table : {"contacts", "tasks", "history"}) {
    const std::string sql =
        mirror.db()
            .execAndGet(std::string("SELECT sql FROM sqlite_schema WHERE name = '") + table + "'")
            .getString();
    CAPTURE(sql);
    CHECK(sql.find(" IN (") == std::string::npos);
    CHECK(sql.find(" = 'synced' OR ") + sql.find(" = 'update' OR ") != 2 * std::string::npos);
  }
  // The statement the pull runs per element builds no temporary index.
  // (Triggers are off while the daemon writes: see OwnWriteTransaction.)
  REQUIRE(sqlite3_db_config(mirror.db().getHandle(), SQLITE_DBCONFIG_ENABLE_TRIGGER, 0, nullptr) ==
          SQLITE_OK);
  {
    SQLite::Statement plan(mirror.db(),
                           "EXPLAIN INSERT INTO contacts (id, city, sync_state, raw, raw_hash) "
                           "VALUES (?, ?, 'synced', ?, ?) ON CONFLICT (id) DO UPDATE SET city = "
                           "excluded.city, sync_state = 'synced'");
    bool ephemeral = false;
    while (plan.executeStep()) ephemeral |= plan.getColumn(1).getString() == "OpenEphemeral";
    CHECK_FALSE(ephemeral);
  }
  REQUIRE(sqlite3_db_config(mirror.db().getHandle(), SQLITE_DBCONFIG_ENABLE_TRIGGER, 1, nullptr) ==
          SQLITE_OK);
  CHECK(mirror.db().execAndGet("PRAGMA integrity_check").getString() == "ok");
  // The constraints themselves hold, for this connection and for another client.
  mirror.db().exec("INSERT INTO contacts (first_name) VALUES ('Ann')");
  CHECK_THROWS_WITH_AS(mirror.db().exec("UPDATE contacts SET sync_state = 'maybe'"),
                       doctest::Contains("CHECK constraint failed"), SQLite::Exception);
  const auto shell = run_sqlite3(dir / "crm.db", "UPDATE contacts SET sync_state = 'maybe';");
  CAPTURE(shell.output);
  CHECK_FALSE(shell.ok());
  CHECK(shell.output.find("CHECK constraint failed") != std::string::npos);
  CHECK_THROWS_WITH_AS(
      mirror.db().exec(
          "INSERT INTO history (resource, id, seen_at, operation) VALUES ('contact', 1, 'x', 'y')"),
      doctest::Contains("CHECK constraint failed"), SQLite::Exception);
}
