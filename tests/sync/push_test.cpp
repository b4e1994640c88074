// The push's decisions, against an in-memory CRM: what is sent, in what order, and what the
// mirror holds afterwards. (tests/integration runs the same paths against the emulator.)
#include <doctest/doctest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/json.hpp>

#include <limits>
#include <map>

#include "fake_crm.h"
#include "mirror_fixture.h"
#include "model/resources.h"
#include "sync/push.h"
#include "sync/resource_pull.h"

using namespace clevertim;
using clevertim::testing::run_sqlite3;
using clevertim::testing::ScratchDir;
namespace json = boost::json;
namespace asio = boost::asio;
using Status = sync::WriteResult::Status;
using clevertim::testing::FakeCrm;

namespace {

struct Fixture {
  ScratchDir dir;
  std::filesystem::path db_path = dir / "crm.db";
  storage::Mirror mirror = storage::Mirror::open(db_path);
  FakeCrm crm;
  sync::PushOptions options;

  Fixture() {
    // The account, as the CRM holds it and as the last pull left it in the mirror.
    crm.elements["company"][77] =
        json::parse(R"({"id": 77, "cn": "Acme", "is_company": true})").as_object();
    crm.elements["contact"][42] =
        json::parse(
            R"({"id": 42, "fn": "Ann", "ln": "Lee", "city": "Oslo", "title": "CTO", "lm": "2020-01-01T00:00:00Z"})")
            .as_object();
    crm.elements["note"][5] = json::parse(R"({"id": 5, "desc": "hello", "cust": 42})").as_object();
    crm.elements["comment"][8] =
        json::parse(R"({"id": 8, "comment": "first!", "nid": 5, "tid": null})").as_object();
    for (const char* r : {"company", "contact", "note", "comment"}) pull(r);
  }

  void pull(std::string_view resource) {
    sync::ResourcePull pull(mirror, *model::find_resource(resource));
    const json::value list = json::parse(crm.list(resource));
    for (const auto& e : list.as_array()) pull.accept(e);
    sync::PullOptions allow;
    allow.allow_mass_delete = true;
    const sync::PullReport report = pull.apply(allow);
    // As a cycle tells its push: the CRM's versions of this resource are fresh, and which of
    // its elements are new.
    options.freshly_pulled.insert(std::string(resource));
    options.freshly_created[std::string(resource)] = report.created_ids;
  }
  // The CRM changes an element "from the web app".
  void remote_edit(std::string_view resource, std::int64_t id, std::string_view changes) {
    const json::value parsed = json::parse(changes);
    for (const auto& kv : parsed.as_object())
      crm.elements[std::string(resource)][id][kv.key()] = kv.value();
  }
  sync::PushReport push() {
    asio::io_context io;
    auto future = asio::co_spawn(io, sync::push_changes(mirror, crm, options), asio::use_future);
    io.run();
    return future.get();
  }
  void shell(const std::string& sql) {
    auto r = run_sqlite3(db_path, sql);
    REQUIRE_MESSAGE(r.ok(), r.output);
  }
  std::string text(const std::string& sql) {
    auto c = mirror.db().execAndGet(sql);
    return c.isNull() ? "NULL" : c.getString();
  }
  long long number(const std::string& sql) { return mirror.db().execAndGet(sql).getInt64(); }
};

}  // namespace

TEST_CASE_FIXTURE(Fixture, "an UPDATE becomes one PUT of the changed fields") {
  shell(
      "UPDATE contacts SET city = 'Paris' WHERE id = 42; UPDATE contacts SET title = 'CEO' WHERE "
      "id = 42;");
  const auto report = push();
  REQUIRE(crm.requests.size() == 1);
  CHECK(crm.requests[0] == R"(PUT contact 42 {"title":"CEO","city":"Paris","id":42})");
  CHECK(report.updated == 1);
  CHECK(report.complete());
  CHECK(text("SELECT sync_state FROM contacts WHERE id = 42") == "synced");
  CHECK(text("SELECT raw FROM contacts WHERE id = 42").find("Paris") != std::string::npos);
  CHECK(number("SELECT count(*) FROM outbox") == 0);
}

TEST_CASE_FIXTURE(Fixture, "types go back to the API's: dates, booleans, JSON") {
  shell(
      "INSERT INTO tasks (name, start, is_completed, recur_options) VALUES ('t', "
      "'2013-12-29T04:04', 1, '{\"type\":\"weekday\"}');");
  push();
  REQUIRE(crm.requests.size() == 1);
  CHECK(
      crm.requests[0] ==
      R"(POST task {"name":"t","startDate":{"y":2013,"mo":12,"d":29,"h":4,"mi":4},"is_completed":true,"recopts":{"type":"weekday"}})");
}

TEST_CASE_FIXTURE(Fixture, "a chain of new company, contact and note is created in order") {
  shell(
      "INSERT INTO companies (id, name) VALUES (-1, 'Globex');"
      "INSERT INTO contacts (id, first_name, company_id) VALUES (-2, 'Bo', -1);"
      "INSERT INTO notes (description, customer_id) VALUES ('met Bo', -2);");
  const auto report = push();
  CHECK(report.created == 3);
  REQUIRE(crm.requests.size() == 3);
  CHECK(crm.requests[0] == R"(POST company {"cn":"Globex"})");
  CHECK(crm.requests[1] == R"(POST contact {"fn":"Bo","companyId":1000})");
  CHECK(crm.requests[2] == R"(POST note {"desc":"met Bo","cust":1001})");
  CHECK(number("SELECT company_id FROM contacts WHERE first_name = 'Bo'") == 1000);
  CHECK(number("SELECT id FROM contacts WHERE first_name = 'Bo'") == 1001);
  CHECK(number("SELECT customer_id FROM notes WHERE description = 'met Bo'") == 1001);
  CHECK(number("SELECT count(*) FROM contacts WHERE id < 0") == 0);
  CHECK(number("SELECT count(*) FROM outbox") == 0);
  CHECK(number("SELECT count(*) FROM push_intents") == 0);
}

TEST_CASE_FIXTURE(Fixture, "a DELETE is sent, and a 404 means it is already gone") {
  shell("DELETE FROM notes WHERE id = 5;");
  crm.elements["note"].erase(5);  // someone deleted it in the web app too
  const auto report = push();
  CHECK(report.deleted == 1);
  CHECK(report.complete());
  CHECK(number("SELECT count(*) FROM outbox") == 0);
  CHECK(number("SELECT count(*) FROM history WHERE operation = 'delete' AND id = 5") == 1);
}

TEST_CASE_FIXTURE(Fixture, "a row created and deleted before a push sends nothing") {
  shell(
      "INSERT INTO contacts (first_name) VALUES ('Temp'); UPDATE contacts SET city = 'X' WHERE "
      "first_name = 'Temp'; DELETE FROM contacts WHERE first_name = 'Temp';");
  const auto report = push();
  CHECK(crm.requests.empty());
  CHECK(report.cancelled == 1);
  CHECK(number("SELECT count(*) FROM outbox") == 0);
}

TEST_CASE_FIXTURE(Fixture, "an edited comment is replaced by a new one") {
  shell("UPDATE comments SET text = 'second!' WHERE id = 8;");
  const auto report = push();
  REQUIRE(crm.requests.size() == 2);
  CHECK(crm.requests[0] == R"(POST comment {"comment":"second!","nid":5})");
  CHECK(crm.requests[1] == "DELETE comment 8");
  CHECK(report.complete());
  CHECK(number("SELECT id FROM comments") == 1000);
  CHECK(text("SELECT text FROM comments") == "second!");
}

TEST_CASE_FIXTURE(Fixture, "different fields changed on each side are merged without conflict") {
  shell("UPDATE contacts SET city = 'Paris' WHERE id = 42;");
  remote_edit("contact", 42, R"({"title": "CEO", "lm": "2030-01-01T00:00:00Z"})");
  pull("contact");
  const auto report = push();
  CHECK(report.conflicts == 0);
  REQUIRE(crm.requests.size() == 1);
  CHECK(crm.requests[0] == R"(PUT contact 42 {"city":"Paris","id":42})");
  CHECK(text("SELECT city || ' ' || title FROM contacts WHERE id = 42") == "Paris CEO");
  CHECK(text("SELECT sync_state FROM contacts WHERE id = 42") == "synced");
}

TEST_CASE_FIXTURE(Fixture, "the same field changed on both sides follows the policy") {
  shell("UPDATE contacts SET city = 'Paris' WHERE id = 42;");
  remote_edit("contact", 42, R"({"city": "Rome", "lm": "2000-01-01T00:00:00Z"})");
  pull("contact");

  SUBCASE("newest: the local edit is later than the CRM's lm") {
    const auto report = push();
    CHECK(report.conflicts == 1);
    CHECK(text("SELECT city FROM contacts WHERE id = 42") == "Paris");
    CHECK(crm.elements["contact"][42]["city"] == "Paris");
    CHECK(text("SELECT resolution FROM conflicts") == "local");
  }
  SUBCASE("remote-wins") {
    options.policy = sync::ConflictPolicy::kRemoteWins;
    const auto report = push();
    CHECK(report.conflicts == 1);
    CHECK(crm.requests.empty());
    CHECK(text("SELECT city FROM contacts WHERE id = 42") == "Rome");
    CHECK(text("SELECT sync_state FROM contacts WHERE id = 42") == "synced");
    CHECK(text("SELECT local FROM conflicts").find("Paris") != std::string::npos);
    CHECK(text("SELECT remote FROM conflicts").find("Rome") != std::string::npos);
    CHECK(text("SELECT base FROM conflicts").find("Oslo") != std::string::npos);
  }
  SUBCASE("manual, then settled locally with resolve") {
    options.policy = sync::ConflictPolicy::kManual;
    auto report = push();
    CHECK(crm.requests.empty());
    CHECK_FALSE(report.complete());
    CHECK(text("SELECT sync_state FROM contacts WHERE id = 42") == "conflict");
    CHECK(text("SELECT city FROM contacts WHERE id = 42") == "Paris");
    const long long conflict = number("SELECT id FROM conflicts");
    CHECK(sync::resolve_conflict(mirror, conflict, "local"));
    report = push();
    REQUIRE(crm.requests.size() == 1);
    CHECK(crm.requests[0] == R"(PUT contact 42 {"city":"Paris","id":42})");
    CHECK(text("SELECT sync_state FROM contacts WHERE id = 42") == "synced");
  }
  SUBCASE("manual, then settled for the CRM in SQL") {
    options.policy = sync::ConflictPolicy::kManual;
    push();
    shell("UPDATE conflicts SET resolution = 'remote';");
    const auto report = push();
    CHECK(crm.requests.empty());
    CHECK(report.complete());
    CHECK(text("SELECT city FROM contacts WHERE id = 42") == "Rome");
    CHECK(text("SELECT sync_state FROM contacts WHERE id = 42") == "synced");
    CHECK(text("SELECT resolved_at IS NOT NULL FROM conflicts") == "1");
  }
}

TEST_CASE_FIXTURE(Fixture, "edited here but deleted in the CRM: created again") {
  shell("UPDATE contacts SET city = 'Paris' WHERE id = 42;");
  crm.elements["contact"].erase(42);
  pull("contact");
  const auto report = push();
  CHECK(report.created == 1);
  CHECK(report.conflicts == 1);
  CHECK(number("SELECT count(*) FROM contacts WHERE id = 42") == 0);
  CHECK(text("SELECT city FROM contacts WHERE id = 1000") == "Paris");
  // The deletion was confirmed before the POST.
  CHECK(crm.requests.front() == "GET contact 42");
  // A synced reference keeps what the CRM holds (here, still 42): it never changes in the
  // mirror alone. The next pull brings whatever the CRM decided.
  CHECK(number("SELECT customer_id FROM notes WHERE id = 5") ==
        crm.elements["note"][5].at("cust").as_int64());
  CHECK(text("SELECT sync_state FROM notes WHERE id = 5") == "synced");
}

// The GET that should confirm the deletion fails (a 503): nothing is proved, so nothing is
// created; the row waits, and goes out once a GET answers 404.
TEST_CASE_FIXTURE(Fixture,
                  "edited here, missing there, the deletion unconfirmed: nothing created") {
  shell("UPDATE contacts SET city = 'Paris' WHERE id = 42;");
  crm.elements["contact"].erase(42);
  pull("contact");
  crm.next_read_failures = {Status::kRetryLater};
  auto report = push();
  CHECK(report.created == 0);
  CHECK(report.waiting == 1);
  CHECK(crm.elements["contact"].empty());
  for (const std::string& request : crm.requests) CHECK(request.rfind("POST", 0) != 0);
  CHECK(text("SELECT sync_state FROM contacts WHERE id = 42") == "pending");
  CHECK(text("SELECT sync_error FROM contacts WHERE id = 42").find("could not be confirmed") !=
        std::string::npos);
  report = push();
  CHECK(report.created == 1);
  CHECK(crm.elements["contact"].size() == 1);
}

TEST_CASE_FIXTURE(Fixture, "a list transiently without an edited element: nothing is created") {
  shell("UPDATE contacts SET city = 'Paris' WHERE id = 42;");
  const json::object kept = crm.elements["contact"][42];
  crm.elements["contact"].erase(42);
  pull("contact");                     // the list lacks 42 ...
  crm.elements["contact"][42] = kept;  // ... but the element is there
  auto report = push();
  CHECK(report.created == 0);
  CHECK(report.waiting == 1);
  CHECK(crm.elements["contact"].size() == 1);
  pull("contact");
  report = push();
  CHECK(report.created == 0);
  CHECK(report.updated == 1);
  CHECK(crm.elements["contact"].size() == 1);
  CHECK(crm.elements["contact"][42].at("city") == "Paris");
  CHECK(text("SELECT sync_state FROM contacts WHERE id = 42") == "synced");
}

TEST_CASE_FIXTURE(Fixture, "deleted here but edited in the CRM: the row comes back") {
  shell("DELETE FROM contacts WHERE id = 42;");
  remote_edit("contact", 42, R"({"title": "CEO"})");
  pull("contact");
  const auto report = push();
  CHECK(crm.requests.empty());
  CHECK(report.conflicts == 1);
  CHECK(text("SELECT title FROM contacts WHERE id = 42") == "CEO");
  CHECK(text("SELECT sync_state FROM contacts WHERE id = 42") == "synced");
}

TEST_CASE_FIXTURE(Fixture, "a refused change is kept as an error and does not block others") {
  shell(
      "INSERT INTO companies (id, name) VALUES (-1, 'Bad');"
      "INSERT INTO contacts (first_name, company_id) VALUES ('Waits', -1);"
      "UPDATE contacts SET city = 'Paris' WHERE id = 42;");
  crm.next_failures = {Status::kRejected};
  auto report = push();
  CHECK(report.rejected == 1);
  CHECK(report.updated == 1);
  CHECK(report.waiting == 1);
  CHECK_FALSE(report.complete());
  CHECK(text("SELECT sync_state FROM companies WHERE id = -1") == "error");
  CHECK(text("SELECT sync_error FROM companies WHERE id = -1").find("injected failure") !=
        std::string::npos);
  CHECK(text("SELECT sync_state FROM contacts WHERE first_name = 'Waits'") == "pending");
  CHECK(text("SELECT sync_error FROM contacts WHERE first_name = 'Waits'").find("-1") !=
        std::string::npos);
  CHECK(text("SELECT sync_state FROM contacts WHERE id = 42") == "synced");

  // Not sent again until something changes...
  crm.requests.clear();
  report = push();
  CHECK(crm.requests.empty());  // the refused company waits for an edit; its contact for it
  CHECK(report.waiting == 1);
  // ... then `retry` sends both.
  crm.requests.clear();
  CHECK(sync::retry_failed_changes(mirror) >= 1);
  report = push();
  CHECK(report.created == 2);
  CHECK(report.complete());
  CHECK(number("SELECT count(*) FROM outbox") == 0);
}

TEST_CASE_FIXTURE(Fixture, "a POST whose answer was lost is found by the next pull, not resent") {
  shell("INSERT INTO contacts (first_name, city) VALUES ('Lost', 'Lima');");
  crm.next_failures = {Status::kUnknown};
  crm.commit_before_failing = true;
  auto report = push();
  CHECK_FALSE(report.complete());
  CHECK(number("SELECT count(*) FROM push_intents") == 1);
  CHECK(crm.elements["contact"].size() == 2);

  pull("contact");
  options.freshly_pulled = {"contact"};
  crm.requests.clear();
  report = push();
  CHECK(crm.requests.empty());
  CHECK(crm.elements["contact"].size() == 2);  // exactly one created
  CHECK(number("SELECT count(*) FROM contacts WHERE first_name = 'Lost'") == 1);
  CHECK(number("SELECT id FROM contacts WHERE first_name = 'Lost'") == 1000);
  CHECK(number("SELECT count(*) FROM outbox") == 0);
}

TEST_CASE_FIXTURE(Fixture, "a POST whose answer was lost and that never arrived is sent again") {
  shell("INSERT INTO contacts (first_name) VALUES ('Again');");
  crm.next_failures = {Status::kUnknown};
  push();
  CHECK(crm.elements["contact"].size() == 1);
  pull("contact");
  options.freshly_pulled = {"contact"};
  const auto report = push();
  CHECK(report.created == 1);
  CHECK(crm.elements["contact"].size() == 2);
}

TEST_CASE_FIXTURE(Fixture, "a mass deletion from the shell is held until allowed") {
  for (int i = 0; i < 10; ++i) crm.store("company", json::parse(R"({"cn": "Co"})").as_object());
  pull("company");
  shell("DELETE FROM companies;");
  auto report = push();
  CHECK(report.held == 11);
  CHECK(crm.requests.empty());
  CHECK(text("SELECT held FROM outbox LIMIT 1").find("--allow-mass-delete") != std::string::npos);
  options.allow_mass_delete = true;
  report = push();
  CHECK(report.deleted == 11);
  CHECK(crm.elements["company"].empty());
}

// The guard's share is of the rows the table had before the deletions: exactly half of 12
// companies deleted is not more than half, and goes out. (Counting only the rows left, 6 of 6,
// held it.)
TEST_CASE_FIXTURE(Fixture,
                  "the push's mass-deletion share counts the deleted rows among the rows") {
  for (int i = 0; i < 11; ++i) crm.store("company", json::parse(R"({"cn": "Co"})").as_object());
  pull("company");
  REQUIRE(number("SELECT count(*) FROM companies") == 12);
  shell("DELETE FROM companies WHERE id IN (SELECT id FROM companies ORDER BY id LIMIT 6);");
  auto report = push();
  CHECK(report.held == 0);
  CHECK(report.deleted == 6);
  CHECK(crm.elements["company"].size() == 6);
  CHECK(number("SELECT count(*) FROM outbox") == 0);
  // One more than half is held.
  shell("DELETE FROM companies WHERE id IN (SELECT id FROM companies ORDER BY id LIMIT 4);");
  options.mass_delete_min = 3;
  report = push();
  CHECK(report.held == 4);
  CHECK(report.deleted == 0);
  CHECK(crm.elements["company"].size() == 6);
}

// A local edit made while the POST creating its row is on its way is queued under the row's
// local id. When the answer re-keys the row, the queued edit must follow it: it goes out with
// the next push under the CRM's id, and the row ends synced, with nothing left queued.
TEST_CASE_FIXTURE(Fixture, "an edit made while the row's POST is on its way is sent next") {
  shell("INSERT INTO contacts (first_name, city) VALUES ('Eve', 'Lima');");
  const long long local_id = number("SELECT min(id) FROM contacts");
  REQUIRE(local_id < 0);
  bool edited = false;
  crm.on_create = [&](const std::string& resource) {
    if (resource != "contact" || edited) return;
    edited = true;
    shell("UPDATE contacts SET city = 'Quito' WHERE id = " + std::to_string(local_id) + ";");
  };
  auto report = push();
  REQUIRE(edited);
  CHECK(report.created == 1);
  const long long new_id = number("SELECT id FROM contacts WHERE first_name = 'Eve'");
  CHECK(new_id == 1000);
  CHECK(crm.elements["contact"][1000]["city"] == "Lima");  // what the POST carried
  // The edit was not lost in the answer: the row is still pending, its edit queued under the
  // new id.
  CHECK(text("SELECT city FROM contacts WHERE id = 1000") == "Quito");
  CHECK(text("SELECT sync_state FROM contacts WHERE id = 1000") == "pending");
  CHECK(number("SELECT count(*) FROM outbox WHERE record_id = " + std::to_string(local_id)) == 0);
  CHECK(number("SELECT count(*) FROM outbox WHERE record_id = 1000") == 1);

  crm.on_create = nullptr;
  report = push();
  CHECK(report.updated == 1);
  CHECK(crm.elements["contact"][1000]["city"] == "Quito");
  CHECK(crm.elements["contact"].size() == 2);
  CHECK(text("SELECT sync_state FROM contacts WHERE id = 1000") == "synced");
  CHECK(number("SELECT count(*) FROM outbox") == 0);
}

// A new custom field's values sit under its local id as a key of custom_fields. Once the field
// is created, every such key is renamed to its CRM id, so the waiting contact goes out with it.
TEST_CASE_FIXTURE(Fixture, "values of a new custom field follow it to its CRM id") {
  shell(
      "INSERT INTO custom_fields (id, name, type) VALUES (-7, 'Tier', 'select');"
      "UPDATE contacts SET custom_fields = '{\"-7\": \"gold\"}' WHERE id = 42;");
  const auto report = push();
  CHECK(report.created == 1);
  CHECK(report.updated == 1);
  CHECK(report.complete());
  REQUIRE(crm.elements["customfield"].size() == 1);
  const std::int64_t field = crm.elements["customfield"].begin()->first;
  const std::string key = std::to_string(field);
  CHECK(crm.elements["contact"][42].at("cf").at(key) == "gold");
  CHECK(text("SELECT custom_fields FROM contacts WHERE id = 42") == "{\"" + key + "\":\"gold\"}");
  CHECK(text("SELECT sync_state FROM contacts WHERE id = 42") == "synced");
  CHECK(number("SELECT count(*) FROM outbox") == 0);
}

// Both sides changed a field to the same value: there is nothing to decide, under any policy,
// and nothing to send.
TEST_CASE_FIXTURE(Fixture, "the same new value on both sides is no conflict") {
  options.policy = sync::ConflictPolicy::kManual;
  shell("UPDATE contacts SET city = 'Rome' WHERE id = 42;");
  remote_edit("contact", 42, R"({"city": "Rome", "lm": "2020-02-02T00:00:00Z"})");
  pull("contact");
  crm.requests.clear();
  const auto report = push();
  CHECK(report.conflicts == 0);
  CHECK(report.waiting == 0);
  CHECK(report.complete());
  CHECK(number("SELECT count(*) FROM conflicts") == 0);
  CHECK(text("SELECT sync_state FROM contacts WHERE id = 42") == "synced");
  CHECK(text("SELECT city FROM contacts WHERE id = 42") == "Rome");
  for (const std::string& request : crm.requests) CHECK(request.rfind("PUT", 0) != 0);
  CHECK(number("SELECT count(*) FROM outbox") == 0);
}

TEST_CASE_FIXTURE(Fixture,
                  "a new row whose new parent was deleted before it was created is refused") {
  // The parent never reaches the CRM: waiting for it would be waiting for ever. Schema 5's
  // triggers refuse such a DELETE; a mirror written before them (or by a tool that bypassed
  // them) can still hold the orphan, as made here past the triggers.
  shell(
      "INSERT INTO companies (id, name) VALUES (-5, 'Gone');"
      "INSERT INTO contacts (first_name, company_id) VALUES ('Orphan', -5);"
      "UPDATE sync_control SET applying = 1; DELETE FROM companies WHERE id = -5;"
      "UPDATE sync_control SET applying = 0;");
  const auto report = push();
  CHECK(report.rejected == 1);
  CHECK(text("SELECT sync_state FROM contacts WHERE first_name = 'Orphan'") == "error");
  CHECK(text("SELECT sync_error FROM contacts WHERE first_name = 'Orphan'").find("-5") !=
        std::string::npos);
  // Fixed by the user, it goes out by itself.
  shell("UPDATE contacts SET company_id = 77 WHERE first_name = 'Orphan';");
  CHECK(push().created == 1);
  CHECK(text("SELECT sync_state FROM contacts WHERE first_name = 'Orphan'") == "synced");
}

TEST_CASE_FIXTURE(Fixture, "a row written with a new base takes its read-only columns from it") {
  storage::ElementTable table(mirror.db(), *model::find_resource("contact"));
  auto row = table.read(42);
  REQUIRE(row);
  row->raw =
      R"({"id":42,"fn":"Ann","ln":"Lee","city":"Oslo","title":"CTO","lm":"2026-02-02T00:00:00Z"})";
  row->state = storage::SyncState::kPending;  // as store_answer keeps a row edited meanwhile
  {
    storage::OwnWriteTransaction tx(mirror.db());
    table.write(*row);
    tx.commit();
  }
  CHECK(text("SELECT last_modified FROM contacts WHERE id = 42") == "2026-02-02T00:00:00Z");
}

namespace {

// The local edits of contact 42 happened at these times (the outbox's capture times).
void set_edit_time(Fixture& f, const std::string& column, const std::string& when) {
  f.shell("UPDATE outbox SET created_at = '" + when +
          "' WHERE resource = 'contact' AND record_id = 42 AND ',' || changed || ',' LIKE '%," +
          column + ",%';");
}

}  // namespace

// `lm` is read as an instant whatever its shape; `newest` compares instants, not text (a
// number always lost to the local edit's text, an offset or a space compared as letters).
TEST_CASE("newest: the CRM's lm is read as an instant in any of its shapes") {
  struct Case {
    const char* lm;
    const char* local_edit;
    const char* winner;
  };
  const Case cases[] = {
      // 1764355200 is 2025-11-28T18:40:00Z.
      {"1764355200", "2025-11-28T18:40:01.000Z", "Paris"},
      {"1764355200", "2025-11-28T18:39:59.000Z", "Rome"},
      {"1764355200000", "2025-11-28T18:40:01.000Z", "Paris"},
      {"1764355200000", "2025-11-28T18:39:59.000Z", "Rome"},
      {"1764355200500", "2025-11-28T18:40:00.400Z", "Rome"},
      {"1764355200500", "2025-11-28T18:40:00.600Z", "Paris"},
      {R"("2025-11-28T13:40:00-05:00")", "2025-11-28T18:39:00.000Z", "Rome"},
      {R"("2025-11-28T13:40:00-05:00")", "2025-11-28T18:41:00.000Z", "Paris"},
      {R"("2025-11-28T20:40:00+02:00")", "2025-11-28T18:39:00.000Z", "Rome"},
      {R"("2025-11-28 18:40:00")", "2025-11-28T18:39:00.000Z", "Rome"},
      {R"("2025-11-28 18:40:00Z")", "2025-11-28T18:41:00.000Z", "Paris"},
      {R"("2025-11-28T18:40:00.750Z")", "2025-11-28T18:40:00.500Z", "Rome"},
      {R"("2025-11-28T18:40:00.750Z")", "2025-11-28T18:40:00.800Z", "Paris"},
      // Ties (lm has whole seconds: the local edit in the same second) go to the CRM.
      {R"("2025-11-28T18:40:00Z")", "2025-11-28T18:40:00.300Z", "Rome"},
      {R"("2025-11-28T18:40:00Z")", "2025-11-28T18:40:01.000Z", "Paris"},
      // Not a time: the CRM, as when there is no lm.
      {R"("yesterday")", "2025-11-28T18:40:01.000Z", "Rome"},
      {"null", "2025-11-28T18:40:01.000Z", "Rome"},
  };
  for (const Case& c : cases) {
    INFO(std::string(c.lm));
    INFO(std::string(c.local_edit));
    Fixture f;
    f.shell("UPDATE contacts SET city = 'Paris' WHERE id = 42;");
    set_edit_time(f, "city", c.local_edit);
    f.remote_edit("contact", 42, std::string(R"({"city": "Rome", "lm": )") + c.lm + "}");
    f.pull("contact");
    const auto report = f.push();
    CHECK(report.conflicts == 1);
    CHECK(f.text("SELECT city FROM contacts WHERE id = 42") == c.winner);
    CHECK(f.crm.elements["contact"][42]["city"] == c.winner);
  }
}

// The edit time of a conflicting field is that field's own latest local edit, not the row's.
TEST_CASE_FIXTURE(Fixture, "newest: each conflicting field is judged by its own edit time") {
  shell("UPDATE contacts SET title = 'Local title' WHERE id = 42;");
  set_edit_time(*this, "title", "2025-11-28T18:40:00.000Z");
  shell("UPDATE contacts SET city = 'Local city' WHERE id = 42;");
  set_edit_time(*this, "city", "2025-11-28T18:40:04.000Z");

  SUBCASE("an older local edit of one field loses to the CRM's newer one") {
    remote_edit("contact", 42, R"({"title": "CRM title", "lm": "2025-11-28T18:40:02Z"})");
    pull("contact");
    const auto report = push();
    CHECK(report.conflicts == 1);
    CHECK(text("SELECT title || '/' || city FROM contacts WHERE id = 42") ==
          "CRM title/Local city");
    CHECK(crm.elements["contact"][42]["title"] == "CRM title");
    CHECK(crm.elements["contact"][42]["city"] == "Local city");
    CHECK(text("SELECT fields || '/' || resolution FROM conflicts") == "title/remote");
    CHECK(text("SELECT sync_state FROM contacts WHERE id = 42") == "synced");
  }
  SUBCASE("two conflicting fields are decided each on its own, and recorded so") {
    remote_edit("contact", 42,
                R"({"title": "CRM title", "city": "CRM city", "lm": "2025-11-28T18:40:02Z"})");
    pull("contact");
    const auto report = push();
    CHECK(report.conflicts == 2);
    CHECK(text("SELECT title || '/' || city FROM contacts WHERE id = 42") ==
          "CRM title/Local city");
    CHECK(crm.elements["contact"][42]["title"] == "CRM title");
    CHECK(crm.elements["contact"][42]["city"] == "Local city");
    CHECK(text("SELECT group_concat(fields || '/' || resolution, ' ') FROM (SELECT * FROM "
               "conflicts ORDER BY fields)") == "city/local title/remote");
  }
  SUBCASE("a later edit of the same field counts, whatever came between") {
    shell("UPDATE contacts SET title = 'Local title 2' WHERE id = 42;");
    shell(
        "UPDATE outbox SET created_at = '2025-11-28T18:40:05.000Z' WHERE seq = (SELECT max(seq) "
        "FROM outbox);");
    remote_edit("contact", 42, R"({"title": "CRM title", "lm": "2025-11-28T18:40:02Z"})");
    pull("contact");
    push();
    CHECK(crm.elements["contact"][42]["title"] == "Local title 2");
  }
}

TEST_CASE_FIXTURE(Fixture, "newest: a row created here counts as edited in every field") {
  // A row inserted locally, pushed, whose answer was recorded; then both sides edit it.
  shell("INSERT INTO contacts (id, first_name, city) VALUES (-9, 'New', 'Here');");
  push();
  const long long id = number("SELECT id FROM contacts WHERE first_name = 'New'");
  shell("UPDATE contacts SET city = 'Local' WHERE id = " + std::to_string(id) + ";");
  shell("UPDATE outbox SET created_at = '2025-11-28T18:40:04.000Z';");
  remote_edit("contact", id, R"({"city": "CRM", "lm": "2025-11-28T18:40:02Z"})");
  pull("contact");
  push();
  CHECK(text("SELECT city FROM contacts WHERE id = " + std::to_string(id)) == "Local");
}

// A row in a manual conflict edited again on both sides has one open conflict, kept up to date
// with the CRM's newest version; settling it settles the row.
TEST_CASE_FIXTURE(Fixture, "manual: one open conflict per row, updated in later cycles") {
  options.policy = sync::ConflictPolicy::kManual;
  shell("UPDATE contacts SET city = 'Paris' WHERE id = 42;");
  remote_edit("contact", 42, R"({"city": "Rome", "lm": "2025-11-28T18:40:00Z"})");
  pull("contact");
  push();
  CHECK(number("SELECT count(*) FROM conflicts") == 1);

  shell("UPDATE contacts SET city = 'Lyon' WHERE id = 42;");
  remote_edit("contact", 42, R"({"city": "Milan", "lm": "2025-11-28T18:41:00Z"})");
  pull("contact");
  auto report = push();
  CHECK_FALSE(report.complete());
  CHECK(number("SELECT count(*) FROM conflicts") == 1);
  CHECK(text("SELECT remote FROM conflicts").find("Milan") != std::string::npos);
  CHECK(text("SELECT local FROM conflicts").find("Lyon") != std::string::npos);

  // The CRM alone changes again: the open conflict shows its newest version.
  remote_edit("contact", 42, R"({"city": "Turin", "lm": "2025-11-28T18:42:00Z"})");
  pull("contact");
  push();
  CHECK(number("SELECT count(*) FROM conflicts") == 1);
  CHECK(text("SELECT remote FROM conflicts").find("Turin") != std::string::npos);

  CHECK(sync::resolve_conflict(mirror, number("SELECT id FROM conflicts"), "remote"));
  CHECK(number("SELECT count(*) FROM conflicts WHERE resolved_at IS NULL") == 0);
  report = push();
  CHECK(report.complete());
  CHECK(text("SELECT city || '/' || sync_state FROM contacts WHERE id = 42") == "Turin/synced");
}

// Mirrors written by earlier releases may hold several open conflicts for one row: settling
// one settles the row, so the others are closed with it.
TEST_CASE_FIXTURE(Fixture, "manual: settling a row closes every open conflict of that row") {
  options.policy = sync::ConflictPolicy::kManual;
  shell("UPDATE contacts SET city = 'Paris' WHERE id = 42;");
  remote_edit("contact", 42, R"({"city": "Rome"})");
  pull("contact");
  push();
  shell(
      "INSERT INTO conflicts (resource, record_id, fields, local, outcome, detected_at) SELECT "
      "resource, record_id, fields, local, outcome, detected_at FROM conflicts;");
  REQUIRE(number("SELECT count(*) FROM conflicts WHERE resolved_at IS NULL") == 2);
  CHECK(sync::resolve_conflict(mirror, number("SELECT min(id) FROM conflicts"), "local"));
  CHECK(number("SELECT count(*) FROM conflicts WHERE resolved_at IS NULL") == 0);
  CHECK(push().complete());
  CHECK(crm.elements["contact"][42]["city"] == "Paris");
}

// `resolve` from the command line runs outside a push: it must still see and drop the CRM
// version the pull kept aside, or that stale version later brings a deleted row back or
// makes a later edit of the field a false conflict.
TEST_CASE_FIXTURE(Fixture, "resolve outside a push takes the newest CRM version and drops it") {
  options.policy = sync::ConflictPolicy::kManual;
  shell("UPDATE contacts SET city = 'Paris' WHERE id = 42;");
  remote_edit("contact", 42, R"({"city": "Rome"})");
  pull("contact");
  push();
  remote_edit("contact", 42, R"({"city": "Milan"})");  // after the conflict was recorded
  pull("contact");
  REQUIRE(number("SELECT count(*) FROM remote_versions") == 1);

  CHECK(sync::resolve_conflict(mirror, number("SELECT id FROM conflicts"), "remote"));
  CHECK(number("SELECT count(*) FROM remote_versions") == 0);
  CHECK(text("SELECT city || '/' || sync_state FROM contacts WHERE id = 42") == "Milan/synced");

  SUBCASE("a later edit of the same field is sent, no conflict") {
    shell("UPDATE contacts SET city = 'Bergen' WHERE id = 42;");
    const auto report = push();
    CHECK(report.complete());
    CHECK(report.conflicts == 0);
    CHECK(crm.elements["contact"][42]["city"] == "Bergen");
    CHECK(number("SELECT count(*) FROM conflicts") == 1);
  }
  SUBCASE("a later local DELETE is sent, not undone") {
    shell("DELETE FROM contacts WHERE id = 42;");
    const auto report = push();
    CHECK(report.deleted == 1);
    CHECK(report.conflicts == 0);
    CHECK(number("SELECT count(*) FROM contacts WHERE id = 42") == 0);
    CHECK_FALSE(crm.elements["contact"].contains(42));
  }
}

// NaN compares false with everything: `deletions > NaN * rows` was never true. Whatever the
// settings say, a share that is not a number from 0 to 1 must not switch the guard off.
TEST_CASE_FIXTURE(Fixture,
                  "the push's mass-deletion guard holds with a share that is not a share") {
  for (int i = 0; i < 10; ++i) crm.store("company", json::parse(R"({"cn": "Co"})").as_object());
  pull("company");
  shell("DELETE FROM companies;");
  for (double share : {std::numeric_limits<double>::quiet_NaN(),
                       std::numeric_limits<double>::infinity(), -0.1, 1.5}) {
    CAPTURE(share);
    options.mass_delete_share = share;
    const auto report = push();
    CHECK(report.held == 11);
    CHECK(crm.requests.empty());
  }
}

// A refused token (401/403) is not a property of a change: the push stops at the first such
// answer, nothing is marked `error`, every change waits with a reason that names the token,
// and the next push (the token fixed) sends them all without `retry`.
TEST_CASE_FIXTURE(Fixture, "a refused token stops the push, the changes wait, pending") {
  shell(
      "INSERT INTO companies (name) VALUES ('New Co');"
      "UPDATE contacts SET city = 'Paris' WHERE id = 42;"
      "UPDATE notes SET description = 'edited' WHERE id = 5;"
      "DELETE FROM comments WHERE id = 8;");
  crm.next_failures = {Status::kUnauthorized};
  auto report = push();
  CHECK(crm.requests.size() == 1);  // the first write; nothing after it
  CHECK_FALSE(report.complete());
  CHECK(report.rejected == 0);
  CHECK(report.waiting == 4);
  CHECK(number("SELECT count(*) FROM outbox WHERE error IS NOT NULL") == 0);
  for (const char* table : {"companies", "contacts", "notes"}) {
    INFO(std::string(table));
    const std::string where = std::string(" FROM ") + table + " WHERE sync_state <> 'synced'";
    CHECK(text("SELECT group_concat(sync_state)" + where) == "pending");
    CHECK(text("SELECT sync_error" + where).find("API token") != std::string::npos);
    CHECK(text("SELECT sync_error" + where).find("server.token_file") != std::string::npos);
  }
  REQUIRE_FALSE(report.problems.empty());
  CHECK(report.problems.back().find("API token") != std::string::npos);

  crm.requests.clear();
  report = push();
  CHECK(report.complete());
  CHECK(report.created == 1);
  CHECK(report.updated == 2);
  CHECK(report.deleted == 1);
  CHECK(number("SELECT count(*) FROM outbox") == 0);
  CHECK(number("SELECT count(*) FROM contacts WHERE sync_error IS NOT NULL") == 0);
}

// Found by the convergence checker (seed 20008): a create whose answer was lost is adopted from
// the pull; the row, edited since, must merge against what the POST created, not against the
// CRM's version now, which may hold an edit made there since.
TEST_CASE_FIXTURE(Fixture, "a lost create adopted later: a CRM edit made since it is a conflict") {
  options.policy = sync::ConflictPolicy::kRemoteWins;
  shell("INSERT INTO companies (id, name) VALUES (-7, 'Lost answer');");
  crm.next_failures = {Status::kUnknown};
  crm.commit_before_failing = true;
  auto report = push();
  REQUIRE(report.waiting == 1);
  std::int64_t created = 0;
  for (const auto& [id, e] : crm.elements["company"])
    if (e.at("cn") == "Lost answer") created = id;
  REQUIRE(created != 0);
  remote_edit("company", created, R"({"city": "Set in the CRM"})");
  shell("UPDATE companies SET city = 'Set here' WHERE id = -7;");
  pull("company");
  report = push();
  CHECK(report.created == 0);
  CHECK(crm.elements["company"].size() == 2);
  CHECK(crm.elements["company"][created].at("city") == "Set in the CRM");
  CHECK(report.conflicts == 1);
  CHECK(text("SELECT remote FROM conflicts").find("Set in the CRM") != std::string::npos);
  CHECK(text("SELECT city FROM companies WHERE id = " + std::to_string(created)) ==
        "Set in the CRM");
}

// Found by bench/long.sh (seed 6242): the CRM created the element of a POST whose answer was
// lost, then someone changed a field the POST had sent. It no longer matched on every sent
// field, and was created a second time.
TEST_CASE_FIXTURE(Fixture,
                  "a lost create edited in the CRM before it was found is not sent again") {
  shell("INSERT INTO companies (id, name, region) VALUES (-9, 'Lost, then edited', 'North');");
  crm.next_failures = {Status::kUnknown};
  crm.commit_before_failing = true;
  REQUIRE(push().waiting == 1);
  std::int64_t created = 0;
  for (const auto& [id, e] : crm.elements["company"])
    if (e.at("cn") == "Lost, then edited") created = id;
  REQUIRE(created != 0);
  remote_edit("company", created, R"({"region": "South"})");
  pull("company");
  const auto report = push();
  CHECK(report.created == 0);
  CHECK(crm.elements["company"].size() == 2);
  CHECK(number("SELECT count(*) FROM companies WHERE name = 'Lost, then edited'") == 1);
  CHECK(number("SELECT count(*) FROM companies WHERE id = -9") == 0);
  CHECK(text("SELECT region FROM companies WHERE id = " + std::to_string(created)) == "South");
}

// A note on several customers keeps them (issue 17): customer_id is NULL for it and the list is
// in raw; an edit of its text sends only the text, and a re-creation takes the list from raw.
TEST_CASE_FIXTURE(Fixture, "a note on several customers keeps them through local edits") {
  crm.elements["note"][6] =
      json::parse(R"({"id": 6, "desc": "both", "cust": [42, 77]})").as_object();
  pull("note");
  CHECK(text("SELECT customer_id FROM notes WHERE id = 6") == "NULL");
  shell("UPDATE notes SET description = 'both, edited' WHERE id = 6;");
  push();
  REQUIRE(crm.requests.size() == 1);
  CHECK(crm.requests[0] == R"(PUT note 6 {"desc":"both, edited","id":6})");
  CHECK(crm.elements["note"][6].at("cust") == json::parse("[42, 77]"));

  // Edited here, deleted in the CRM: created again on both customers.
  pull("note");
  shell("UPDATE notes SET description = 'again' WHERE id = 6;");
  crm.elements["note"].erase(6);
  pull("note");
  crm.requests.clear();
  const auto report = push();
  CHECK(report.created == 1);
  bool posted = false;
  for (const std::string& request : crm.requests)
    if (request.rfind("POST note", 0) == 0) {
      posted = true;
      CHECK(request.find(R"("cust":[42,77])") != std::string::npos);
    }
  CHECK(posted);
}
