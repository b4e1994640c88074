// Change capture: writes made by another process (the sqlite3 shell) are recorded in the
// outbox and mark rows pending; clevertim-sync's own writes are not captured; writes that can
// never succeed are refused at once with a message that says why.
#include <doctest/doctest.h>

#include <SQLiteCpp/Statement.h>

#include <boost/json.hpp>

#include "mirror_fixture.h"
#include "model/resources.h"
#include "storage/element_table.h"

using namespace clevertim;
using clevertim::testing::run_sqlite3;
using clevertim::testing::ScratchDir;

namespace {

struct Fixture {
  ScratchDir dir;
  std::filesystem::path db_path = dir / "crm.db";
  storage::Mirror mirror = storage::Mirror::open(db_path);

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

TEST_CASE_FIXTURE(Fixture, "a positive id given by a writer is replaced by a local one") {
  shell_ok("INSERT INTO contacts (id, first_name) VALUES (500, 'Cy');");
  CHECK(number("SELECT count(*) FROM contacts WHERE id = 500") == 0);
  CHECK(number("SELECT id FROM contacts WHERE first_name = 'Cy'") < 0);
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
