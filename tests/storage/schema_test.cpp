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
  CHECK(mirror.schema_version() == storage::kSchemaVersion);
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
  // A page of ElementTable::stored_rows(); a plan that reads the table would read every row's
  // raw JSON.
  SQLite::Statement plan(mirror.db(),
                         "EXPLAIN QUERY PLAN SELECT id, raw_hash, sync_state FROM contacts "
                         "INDEXED BY contacts_digest WHERE id > ? ORDER BY id LIMIT ?");
  REQUIRE(plan.executeStep());
  CHECK(plan.getColumn(3).getString() ==
        "SEARCH contacts USING COVERING INDEX contacts_digest (id>?)");
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

// Issue 12, item 9: a mirror others can write is a way for any local user to push changes with
// the owner's token; it is refused like a token file others can read, with the chmod that
// fixes it. Readers (status, conflicts, verify) still get in, with a warning.
TEST_CASE("a mirror, WAL or shm file that group or others can write is refused with the chmod") {
  ScratchDir dir;
  const auto db = dir / "crm.db";
  storage::Mirror::open(db);
  for (const std::string& file : {db.string(), db.string() + "-wal", db.string() + "-shm"}) {
    CAPTURE(file);
    for (const mode_t mode : {0666, 0620, 0602}) {
      CAPTURE(mode);
      // A companion left by another client (a reader's close removes it again).
      if (file != db.string()) std::ofstream(file).flush();
      REQUIRE(chmod(file.c_str(), mode) == 0);
      try {
        storage::Mirror::open(db);
        FAIL("a writable-by-others mirror was opened");
      } catch (const storage::MirrorError& e) {
        const std::string what = e.what();
        CHECK(what.find(file) != std::string::npos);
        CHECK(what.find("chmod 600 " + file) != std::string::npos);
      }
      // A reader may still read it (and is told).
      storage::OpenOptions reader;
      reader.too_open = storage::TooOpen::kWarn;
      CHECK_NOTHROW(storage::Mirror::open(db, reader));
    }
    if (file == db.string()) REQUIRE(chmod(file.c_str(), 0600) == 0);
    std::filesystem::remove(db.string() + "-wal");
    std::filesystem::remove(db.string() + "-shm");
  }
  // Readable by the report group is what storage.report_group asks for: allowed.
  REQUIRE(chmod(db.c_str(), 0640) == 0);
  CHECK_NOTHROW(storage::Mirror::open(db));
  REQUIRE(chmod(db.c_str(), 0644) == 0);
  CHECK_NOTHROW(storage::Mirror::open(db));  // world-readable: a warning, not a refusal
}

// Issue 12, item 11: a statement after BEGIN IMMEDIATE that throws must not leave the connection
// inside a transaction, or every later write transaction fails ("cannot start a transaction
// within a transaction").
TEST_CASE("a failed start of an own write transaction rolls back - the next one works") {
  ScratchDir dir;
  storage::Mirror mirror = storage::Mirror::open(dir / "crm.db");
  SQLite::Database& db = mirror.db();
  // Makes the UPDATE of sync_control that follows BEGIN IMMEDIATE fail, as a locked or damaged
  // table would.
  db.exec(
      "CREATE TRIGGER block_applying BEFORE UPDATE ON sync_control BEGIN SELECT RAISE(ABORT, "
      "'sync_control is locked'); END");
  CHECK_THROWS(storage::OwnWriteTransaction{db});
  CHECK(sqlite3_get_autocommit(db.getHandle()) != 0);  // no transaction left open
  db.exec("DROP TRIGGER block_applying");
  {
    storage::OwnWriteTransaction tx(db);
    db.exec("INSERT INTO sync_meta (key, value) VALUES ('probe', 'written')");
    tx.commit();
  }
  CHECK(db.execAndGet("SELECT value FROM sync_meta WHERE key = 'probe'").getString() == "written");
  CHECK(db.execAndGet("SELECT applying FROM sync_control").getInt() == 0);
}

// Issue 13, item 18: a migration drops and makes again only the project's own triggers and
// views; those a user added (the README invites it) survive and keep working.
TEST_CASE("a migration keeps the triggers and views a user added") {
  ScratchDir dir;
  const auto path = dir / "crm.db";
  {
    storage::OpenOptions old;
    old.target_version = 4;
    storage::Mirror::open(path, old);
  }
  const auto r = run_sqlite3(path,
                             "CREATE TABLE audit (what TEXT);"
                             "CREATE TRIGGER my_audit AFTER INSERT ON companies BEGIN "
                             "INSERT INTO audit VALUES ('new company ' || NEW.name); END;"
                             "CREATE VIEW my_companies AS SELECT name FROM companies;");
  REQUIRE_MESSAGE(r.ok(), r.output);
  auto mirror = storage::Mirror::open(path);  // migrates to the current version
  REQUIRE(mirror.schema_version() == storage::kSchemaVersion);
  auto& db = mirror.db();
  CHECK(db.execAndGet("SELECT count(*) FROM sqlite_schema WHERE name = 'my_audit'").getInt() == 1);
  CHECK(db.execAndGet("SELECT count(*) FROM sqlite_schema WHERE name = 'my_companies'").getInt() ==
        1);
  const auto w = run_sqlite3(path, "INSERT INTO companies (name) VALUES ('Audited');");
  REQUIRE_MESSAGE(w.ok(), w.output);
  CHECK(db.execAndGet("SELECT what FROM audit").getString() == "new company Audited");
  CHECK(db.execAndGet("SELECT count(*) FROM my_companies WHERE name = 'Audited'").getInt() == 1);
  // The project's own objects are there, once each.
  CHECK(db.execAndGet("SELECT count(*) FROM sqlite_schema WHERE name = 'companies_capture_insert'")
            .getInt() == 1);
}
