// Change capture: writes made by another process (the sqlite3 shell) are recorded in the
// outbox and mark rows pending; clevertim-sync's own writes are not captured; writes that can
// never succeed are refused at once with a message that says why.
#include <doctest/doctest.h>

#include <SQLiteCpp/Statement.h>

#include <boost/json.hpp>

#include <cstdio>
#include <fstream>

#include "mirror_fixture.h"
#include "model/resources.h"
#include "storage/element_table.h"

using namespace clevertim;
using clevertim::testing::run_sqlite3;

namespace {

struct Fixture : testing::MirrorFile {
  Fixture() {
    testing::seed(mirror, "company", R"([{"id": 77, "cn": "Acme", "is_company": true}])");
    testing::seed(mirror, "contact", R"([{"id": 42, "fn": "Ann", "ln": "Lee", "city": "Oslo",
      "companyId": 77, "notes": [5]}])");
    testing::seed(mirror, "user", R"([{"id": 2, "user": "Ann Admin"}])");
  }

  std::string shell_ok(const std::string& sql) {
    auto r = run_sqlite3(db_path, sql);
    REQUIRE_MESSAGE(r.ok(), r.output);
    return r.output;
  }
  std::string shell_error(const std::string& sql) {
    auto r = run_sqlite3(db_path, sql);
    CHECK_FALSE_MESSAGE(r.ok(), "expected a refusal of: " << sql);
    return r.output;
  }
  std::string text(const std::string& sql) { return mirror.db().execAndGet(sql).getString(); }
  long long number(const std::string& sql) { return mirror.db().execAndGet(sql).getInt64(); }
};

}  // namespace

TEST_CASE_FIXTURE(Fixture, "an UPDATE from the shell is captured with the columns it changed") {
  shell_ok("UPDATE contacts SET city = 'Paris', title = 'CEO' WHERE id = 42;");
  CHECK(text("SELECT sync_state FROM contacts WHERE id = 42") == "pending");
  CHECK(number("SELECT count(*) FROM outbox") == 1);
  CHECK(text("SELECT operation FROM outbox") == "update");
  CHECK(number("SELECT record_id FROM outbox") == 42);
  CHECK(text("SELECT changed FROM outbox") == "title,city");
}

TEST_CASE_FIXTURE(Fixture, "an UPDATE that changes nothing is not captured") {
  shell_ok("UPDATE contacts SET city = 'Oslo' WHERE id = 42;");
  CHECK(number("SELECT count(*) FROM outbox") == 0);
  CHECK(text("SELECT sync_state FROM contacts WHERE id = 42") == "synced");
}

TEST_CASE_FIXTURE(Fixture, "an INSERT without an id gets a negative id and is queued") {
  shell_ok("INSERT INTO companies (name) VALUES ('Globex');");
  CHECK(number("SELECT id FROM companies WHERE name = 'Globex'") == -1);
  CHECK(text("SELECT sync_state FROM companies WHERE id = -1") == "pending");
  CHECK(text("SELECT operation || ' ' || resource || ' ' || record_id FROM outbox") ==
        "insert company -1");
  shell_ok("INSERT INTO companies (name) VALUES ('Initech');");
  CHECK(number("SELECT id FROM companies WHERE name = 'Initech'") == -2);
}

TEST_CASE_FIXTURE(Fixture, "local ids are unique across tables and never reused") {
  shell_ok("INSERT INTO companies (name) VALUES ('Globex');");
  shell_ok("INSERT INTO contacts (first_name) VALUES ('Al');");
  shell_ok("INSERT INTO contacts (id, first_name) VALUES (-10, 'Bea');");
  shell_ok("DELETE FROM companies WHERE name = 'Globex';");
  shell_ok("INSERT INTO notes (description) VALUES ('n');");
  CHECK(number("SELECT id FROM contacts WHERE first_name = 'Al'") == -2);
  CHECK(number("SELECT id FROM notes") == -11);
}

TEST_CASE_FIXTURE(Fixture, "new rows link to each other by negative ids the writer chose") {
  shell_ok(
      "INSERT INTO companies (id, name) VALUES (-1, 'Acme 2');"
      "INSERT INTO contacts (first_name, company_id) VALUES ('Bo', -1);"
      "INSERT INTO notes (description, customer_id) VALUES ('met Bo', "
      "(SELECT min(id) FROM contacts));");
  CHECK(number("SELECT company_id FROM contacts WHERE first_name = 'Bo'") == -1);
  const long long bo = number("SELECT id FROM contacts WHERE first_name = 'Bo'");
  CHECK(bo < 0);
  CHECK(number("SELECT customer_id FROM notes WHERE description = 'met Bo'") == bo);
  CHECK(number("SELECT count(*) FROM outbox WHERE operation = 'insert'") == 3);
}

TEST_CASE_FIXTURE(Fixture, "an INSERT with a positive id is refused: the CRM gives new ids") {
  // It used to become a new element under another id, silently.
  const std::string error =
      shell_error("INSERT INTO contacts (id, first_name) VALUES (500, 'Cy');");
  CHECK(error.find("contacts.id") != std::string::npos);
  CHECK(error.find("omit the id") != std::string::npos);
  CHECK(number("SELECT count(*) FROM contacts WHERE first_name = 'Cy'") == 0);
  CHECK(number("SELECT count(*) FROM outbox") == 0);
}

TEST_CASE_FIXTURE(Fixture, "INSERT OR REPLACE of an existing element is refused: it is no update") {
  // REPLACE deletes the old row without a delete trigger; the new one used to become a copy of
  // the element in the CRM, the original left as it was. Every way to re-insert an id is
  // refused, and says to use UPDATE.
  for (const std::string sql :
       {"INSERT OR REPLACE INTO contacts (id, first_name) VALUES (42, 'Ann 2');",
        "REPLACE INTO contacts (id, first_name) VALUES (42, 'Ann 2');",
        "INSERT INTO contacts (id, first_name) VALUES (42, 'Ann 2') ON CONFLICT (id) DO UPDATE "
        "SET first_name = excluded.first_name;",
        "INSERT OR IGNORE INTO companies (id, name) VALUES (77, 'Acme 2');"}) {
    CAPTURE(sql);
    const std::string error = shell_error(sql);
    CHECK(error.find("UPDATE") != std::string::npos);
    CHECK(error.find("already") != std::string::npos);
  }
  CHECK(text("SELECT first_name FROM contacts WHERE id = 42") == "Ann");
  CHECK(text("SELECT name FROM companies WHERE id = 77") == "Acme");
  CHECK(number("SELECT count(*) FROM contacts") == 1);
  CHECK(number("SELECT count(*) FROM outbox") == 0);
}

TEST_CASE_FIXTURE(Fixture,
                  "a negative id is not used again while its earlier row waits to be pushed") {
  // insert, delete, insert of one id used to be cancelled as a whole by the push: the second
  // row stayed pending for ever, never sent.
  shell_ok(
      "INSERT INTO companies (id, name) VALUES (-70, 'A');"
      "DELETE FROM companies WHERE id = -70;");
  const std::string error = shell_error("INSERT INTO companies (id, name) VALUES (-70, 'B');");
  CHECK(error.find("companies.id") != std::string::npos);
  CHECK(error.find("choose another negative id") != std::string::npos);
  // The id space is one for the whole file: another table cannot take it either.
  CHECK(shell_error("INSERT INTO contacts (id, first_name) VALUES (-70, 'C');")
            .find("choose another negative id") != std::string::npos);
  CHECK(number("SELECT count(*) FROM companies WHERE id = -70") == 0);
  CHECK(number("SELECT count(*) FROM contacts WHERE id = -70") == 0);
  // INSERT OR REPLACE of a new row that waits would replace it unseen: refused too.
  shell_ok("INSERT INTO companies (id, name) VALUES (-71, 'D');");
  CHECK(shell_error("INSERT OR REPLACE INTO companies (id, name) VALUES (-71, 'E');")
            .find("choose another negative id") != std::string::npos);
  CHECK(text("SELECT name FROM companies WHERE id = -71") == "D");
  // Without an id, a new row gets one never used.
  shell_ok("INSERT INTO companies (name) VALUES ('F');");
  CHECK(number("SELECT id FROM companies WHERE name = 'F'") == -72);
  CHECK(number("SELECT count(*) FROM outbox WHERE operation = 'insert'") == 3);
}

TEST_CASE_FIXTURE(Fixture, "a negative id chosen in one table is refused in every other") {
  shell_ok("INSERT INTO companies (id, name) VALUES (-1, 'Globex');");
  // A case's customer_id -1 would then name two rows (and went to the company).
  const std::string error = shell_error("INSERT INTO contacts (id, first_name) VALUES (-1, 'Al');");
  CHECK(error.find("contacts.id") != std::string::npos);
  CHECK(error.find("companies") != std::string::npos);
  CHECK(error.find("choose another negative id") != std::string::npos);
  for (const model::Resource& r : model::all_resources()) {
    if (r.read_only || r.endpoint == "company") continue;
    CAPTURE(r.table);
    CHECK(shell_error("INSERT INTO " + std::string(r.table) + " (id) VALUES (-1);")
              .find(std::string(r.table) + ".id") != std::string::npos);
  }
  CHECK(number("SELECT count(*) FROM outbox") == 1);
}

TEST_CASE_FIXTURE(
    Fixture, "ids handed out without a choice never collide, even in tables of new rows only") {
  // A table holding only negative ids makes SQLite's next rowid max(id) + 1: negative too (-2
  // here). It was kept as if the writer had chosen it, although a company had it already.
  shell_ok(
      "INSERT INTO companies (id, name) VALUES (-2, 'Globex');"
      "INSERT INTO cases (id, name) VALUES (-3, 'chosen');"
      "INSERT INTO cases (name) VALUES ('auto');");
  CHECK(number("SELECT id FROM cases WHERE name = 'auto'") == -4);
  CHECK(number("SELECT count(DISTINCT record_id) FROM outbox") == 3);
  // Rows skipped by a conflict clause leave nothing behind.
  shell_ok(
      "INSERT INTO companies (id, name) VALUES (-1, 'Initech');"
      "INSERT OR IGNORE INTO companies (id, name) VALUES (-1, 'again');"
      "INSERT OR IGNORE INTO cases (id, name) VALUES (-3, 'again');"
      "INSERT INTO cases (name) VALUES ('auto 2') ON CONFLICT DO NOTHING;");
  shell_error("INSERT OR IGNORE INTO cases (name, sync_state) VALUES ('bad', 'unknown');");
  CHECK(number("SELECT count(*) FROM cases") == 3);
  CHECK(number("SELECT count(*) FROM companies") == 3);
  CHECK(number("SELECT count(*) FROM companies WHERE id >= 0 AND id <> 77") == 0);
  CHECK(number("SELECT count(*) FROM cases WHERE id >= 0") == 0);
}

TEST_CASE_FIXTURE(Fixture,
                  "a reference to a row that is not in the mirror is refused, naming the column") {
  // What last_insert_rowid() and RETURNING give for a new row is not its id (the row is given a
  // negative one after the insert): linking to it must fail, not link elsewhere.
  const std::string returned =
      shell_ok("INSERT INTO companies (name) VALUES ('New Co') RETURNING id;");
  CHECK(std::stoll(returned) > 0);
  CHECK(number("SELECT count(*) FROM companies WHERE id = " + returned) == 0);
  std::string error = shell_error(
      "INSERT INTO companies (name) VALUES ('New Co 2');"
      "INSERT INTO contacts (first_name, company_id) VALUES ('Di', last_insert_rowid());");
  CHECK(error.find("contacts.company_id") != std::string::npos);
  CHECK(error.find("SELECT min(id) FROM companies") != std::string::npos);
  error = shell_error("UPDATE contacts SET company_id = 12345 WHERE id = 42;");
  CHECK(error.find("contacts.company_id") != std::string::npos);
  CHECK(shell_error("INSERT INTO notes (description, customer_id) VALUES ('n', 12345);")
            .find("notes.customer_id") != std::string::npos);
  CHECK(shell_error("INSERT INTO tasks (name, assigned_user_id) VALUES ('t', 12345);")
            .find("tasks.assigned_user_id") != std::string::npos);
  // Every reference column of every table.
  for (const model::Resource& r : model::all_resources()) {
    if (r.read_only) continue;
    for (const model::Field& f : r.fields) {
      if (!f.writable() || f.ref == model::Ref::kNone) continue;
      const std::string column = std::string(r.table) + "." + std::string(f.column);
      CAPTURE(column);
      CHECK(shell_error("INSERT INTO " + std::string(r.table) + " (\"" + std::string(f.column) +
                        "\") VALUES (987654);")
                .find(column) != std::string::npos);
    }
  }
  CHECK(number("SELECT count(*) FROM contacts WHERE first_name = 'Di'") == 0);
  CHECK(number("SELECT company_id FROM contacts WHERE id = 42") == 77);
  // What exists is accepted: a contact or a company as a customer, a user, a new row read
  // back with min(id).
  shell_ok(
      "INSERT INTO notes (description, customer_id) VALUES ('to Ann', 42);"
      "INSERT INTO notes (description, customer_id) VALUES ('to Acme', 77);"
      "INSERT INTO tasks (name, assigned_user_id) VALUES ('t', 2);"
      "INSERT INTO companies (name) VALUES ('Read Back');"
      "INSERT INTO contacts (first_name, company_id) VALUES ('Ed', (SELECT min(id) FROM "
      "companies));");
  CHECK(number("SELECT company_id FROM contacts WHERE first_name = 'Ed'") ==
        number("SELECT id FROM companies WHERE name = 'Read Back'"));
}

TEST_CASE_FIXTURE(Fixture, "the rowid of a new contact is never an existing company's id") {
  // Contacts and companies share one id space: a new contact's rowid (largest contact id + 1)
  // was company 43 here, and a note linked with last_insert_rowid() went to that company.
  testing::seed(mirror, "company", R"([{"id": 43, "cn": "Next Door"}])");
  const std::string error = shell_error(
      "INSERT INTO contacts (first_name) VALUES ('Zed');"
      "INSERT INTO notes (description, customer_id) VALUES ('for Zed', last_insert_rowid());");
  CHECK(error.find("notes.customer_id") != std::string::npos);
  CHECK(number("SELECT count(*) FROM notes") == 0);
  // The contact itself is in, with a local id; nothing else was left behind.
  CHECK(number("SELECT id FROM contacts WHERE first_name = 'Zed'") < 0);
  CHECK(number("SELECT count(*) FROM contacts") == 2);
  CHECK(number("SELECT count(*) FROM companies") == 2);
}

TEST_CASE_FIXTURE(Fixture, "python's cursor.lastrowid cannot link a new row to a wrong element") {
  const std::filesystem::path script = dir / "link.py";
  std::ofstream(script) << R"py(import sqlite3, sys
db = sqlite3.connect(sys.argv[1], isolation_level=None)
cur = db.execute("INSERT INTO companies (name) VALUES ('Py Co')")
try:
    db.execute("INSERT INTO contacts (first_name, company_id) VALUES ('Py', ?)", (cur.lastrowid,))
    print("linked to", cur.lastrowid)
except sqlite3.DatabaseError as e:
    print("refused:", e)
new_id = db.execute("SELECT min(id) FROM companies").fetchone()[0]
db.execute("INSERT INTO contacts (first_name, company_id) VALUES ('Py', ?)", (new_id,))
print("read back", new_id)
)py";
  const std::string command = "python3 '" + script.string() + "' '" + db_path.string() + "' 2>&1";
  FILE* pipe = popen(command.c_str(), "r");
  REQUIRE(pipe != nullptr);
  std::string output;
  char buffer[4096];
  size_t n = 0;
  while ((n = fread(buffer, 1, sizeof buffer, pipe)) > 0) output.append(buffer, n);
  REQUIRE_MESSAGE(pclose(pipe) == 0, output);
  CAPTURE(output);
  CHECK(output.find("refused:") != std::string::npos);
  CHECK(output.find("contacts.company_id") != std::string::npos);
  CHECK(number("SELECT count(*) FROM contacts WHERE first_name = 'Py'") == 1);
  CHECK(number("SELECT company_id FROM contacts WHERE first_name = 'Py'") ==
        number("SELECT id FROM companies WHERE name = 'Py Co'"));
  CHECK(number("SELECT id FROM companies WHERE name = 'Py Co'") < 0);
}

TEST_CASE_FIXTURE(Fixture, "a new row other rows reference cannot be deleted before them") {
  // It would never reach the CRM, and they would wait for its create for ever.
  shell_ok(
      "INSERT INTO companies (id, name) VALUES (-5, 'Parent');"
      "INSERT INTO contacts (first_name, company_id) VALUES ('Kid', -5);"
      "INSERT INTO notes (description, customer_id) VALUES ('about Parent', -5);");
  std::string error = shell_error("DELETE FROM companies WHERE id = -5;");
  CHECK(error.find("contacts.company_id") != std::string::npos);
  CHECK(error.find("set contacts.company_id to another row or NULL") != std::string::npos);
  CHECK(number("SELECT count(*) FROM companies WHERE id = -5") == 1);
  // Once nothing references it, it goes (and its create with it).
  shell_ok(
      "UPDATE contacts SET company_id = NULL WHERE first_name = 'Kid';"
      "DELETE FROM notes WHERE description = 'about Parent';"
      "DELETE FROM companies WHERE id = -5;");
  CHECK(number("SELECT count(*) FROM companies WHERE id = -5") == 0);
  // A row the CRM has is the CRM's to delete, references or not.
  shell_ok("DELETE FROM companies WHERE id = 77;");
  CHECK(number("SELECT count(*) FROM outbox WHERE record_id = 77 AND operation = 'delete'") == 1);
}

TEST_CASE_FIXTURE(Fixture, "a DELETE is captured with the row's last synced version") {
  shell_ok("DELETE FROM contacts WHERE id = 42;");
  CHECK(text("SELECT operation FROM outbox") == "delete");
  CHECK(text("SELECT old_raw FROM outbox").find("\"fn\":\"Ann\"") != std::string::npos);
}

TEST_CASE_FIXTURE(Fixture, "clevertim-sync's own writes are not captured") {
  {
    storage::ElementTable contacts(mirror.db(), *model::find_resource("contact"));
    storage::OwnWriteTransaction tx(mirror.db());
    auto e =
        storage::map_element(contacts.resource(), boost::json::parse(R"({"id": 43, "fn": "Dee"})"));
    contacts.store_synced(std::get<storage::MappedElement>(e));
    contacts.remove(42);
    tx.commit();
  }
  CHECK(number("SELECT count(*) FROM outbox") == 0);
  CHECK(number("SELECT applying FROM sync_control") == 0);
  // And a shell write right after is captured again.
  shell_ok("UPDATE contacts SET city = 'Rome' WHERE id = 43;");
  CHECK(number("SELECT count(*) FROM outbox") == 1);
}

TEST_CASE_FIXTURE(Fixture, "an own transaction that is not committed leaves capture on") {
  {
    storage::OwnWriteTransaction tx(mirror.db());
    mirror.db().exec("UPDATE contacts SET city = 'X' WHERE id = 42");
  }
  CHECK(number("SELECT applying FROM sync_control") == 0);
  CHECK(text("SELECT city FROM contacts WHERE id = 42") == "Oslo");
}

TEST_CASE_FIXTURE(
    Fixture, "triggers are off for clevertim-sync's own transactions only, and back on after") {
  // A trigger a user added: it sees SQL clients' writes, not clevertim-sync's.
  shell_ok(
      "CREATE TABLE seen (id INTEGER); CREATE TRIGGER mine AFTER UPDATE OF city ON contacts BEGIN "
      "INSERT INTO seen VALUES (NEW.id); END;");
  for (const bool commit : {true, false}) {
    storage::OwnWriteTransaction tx(mirror.db());
    mirror.db().exec("UPDATE contacts SET city = 'Own' WHERE id = 42");
    if (commit) tx.commit();
  }
  CHECK(number("SELECT count(*) FROM seen") == 0);
  CHECK(number("SELECT count(*) FROM outbox") == 0);
  // On the same connection, after commit and after rollback: triggers fire again.
  mirror.db().exec("UPDATE contacts SET city = 'Same connection' WHERE id = 42");
  CHECK(number("SELECT count(*) FROM seen") == 1);
  CHECK(number("SELECT count(*) FROM outbox") == 1);
  shell_ok("UPDATE contacts SET city = 'Shell' WHERE id = 42;");
  CHECK(number("SELECT count(*) FROM seen") == 2);
}

TEST_CASE_FIXTURE(Fixture, "writes that can never succeed are refused with the reason") {
  CHECK(shell_error("UPDATE contacts SET note_ids = '[]' WHERE id = 42;")
            .find("contacts.note_ids is read-only") != std::string::npos);
  CHECK(shell_error("INSERT INTO contacts (first_name, last_modified) VALUES ('x', 'now');")
            .find("contacts.last_modified is read-only") != std::string::npos);
  CHECK(shell_error("UPDATE contacts SET id = 1 WHERE id = 42;").find("cannot be changed") !=
        std::string::npos);
  CHECK(shell_error("UPDATE contacts SET raw = '{}' WHERE id = 42;")
            .find("written by clevertim-sync only") != std::string::npos);
  CHECK(shell_error("INSERT INTO users (name) VALUES ('Eve');").find("users is read-only") !=
        std::string::npos);
  CHECK(shell_error("UPDATE users SET name = 'Eve';").find("users is read-only") !=
        std::string::npos);
  CHECK(shell_error("DELETE FROM users;").find("users is read-only") != std::string::npos);
  CHECK(shell_error("UPDATE contacts SET emails = 'ann@example.com' WHERE id = 42;")
            .find("contacts.emails must be a JSON array") != std::string::npos);
  CHECK(shell_error("UPDATE contacts SET custom_fields = '[1]' WHERE id = 42;")
            .find("must be a JSON object") != std::string::npos);
  CHECK(shell_error("UPDATE contacts SET is_private = 2 WHERE id = 42;").find("must be 0 or 1") !=
        std::string::npos);
  CHECK(shell_error("UPDATE contacts SET company_id = 'Acme' WHERE id = 42;")
            .find("must be an integer id") != std::string::npos);
  CHECK(shell_error("INSERT INTO tasks (name, start) VALUES ('t', '29/12/2013');")
            .find("tasks.start must be a date") != std::string::npos);
  CHECK(shell_error("INSERT INTO custom_fields (name, type) VALUES ('f', 'colour');")
            .find("custom_fields.type must be one of") != std::string::npos);
  // Nothing refused reached the outbox, and the rows are as they were.
  CHECK(number("SELECT count(*) FROM outbox") == 0);
  CHECK(text("SELECT sync_state FROM contacts WHERE id = 42") == "synced");
  CHECK(number("SELECT count(*) FROM users") == 1);
}

TEST_CASE_FIXTURE(Fixture, "valid typed writes are accepted") {
  shell_ok(
      "UPDATE contacts SET emails = '[\"ann@example.com\"]', is_private = 1, "
      "custom_fields = '{\"12\": \"gold\"}' WHERE id = 42;"
      "INSERT INTO tasks (name, start, \"end\") VALUES ('t', '2013-12-29T04:04', '2013-12-30');"
      "INSERT INTO custom_fields (name, type) VALUES ('Tier', 'select');");
  CHECK(number("SELECT count(*) FROM outbox") == 3);
}
