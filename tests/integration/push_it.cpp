// Push against the emulator over real sockets (issue: push).
#include <doctest/doctest.h>

#include <SQLiteCpp/Database.h>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <future>
#include <iomanip>
#include <sstream>
#include <thread>

#include "integration_fixture.h"

using namespace clevertim::testing;
namespace json = boost::json;

namespace {

std::int64_t first_id(SyncFixture& f, const char* resource) {
  return f.remote(resource)[0].as_object().at("id").as_int64();
}

// Polls `check` every 20 ms until it holds or `limit` passes.
template <class Check>
bool eventually(Check check, std::chrono::milliseconds limit = std::chrono::seconds(10)) {
  const auto end = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < end) {
    if (check()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return check();
}

// Waits until the clock has left the second that `stamp` ("YYYY-MM-DDTHH:MM:SS...", UTC)
// names. The CRM's lm has whole seconds: under `newest` an edit is surely later than another
// only from the end of that one's second on, so the tests below wait for exactly that.
void wait_past_second_of(const std::string& stamp) {
  std::tm tm{};
  std::istringstream in(stamp.substr(0, 19));
  in >> std::get_time(&tm, "%Y-%m-%dT%H:%M:%S");
  REQUIRE_MESSAGE(!in.fail(), stamp);
  const auto end = std::chrono::system_clock::from_time_t(timegm(&tm)) + std::chrono::seconds(1);
  CHECK(eventually([&] { return std::chrono::system_clock::now() >= end; }));
}

// The CRM's lm of an element.
std::string lm_of(SyncFixture& f, const std::string& resource, std::int64_t id) {
  return std::string(f.remote_element(resource, id).at("lm").as_string());
}

// Runs SQL with the sqlite3 shell, as SyncFixture::shell does, for a write the mirror should
// refuse: the shell's exit code, and what it printed.
int shell_status(SyncFixture& f, const std::string& sql, std::string& printed) {
  const auto script = f.dir / "refused.sql";
  std::ofstream(script) << ".timeout 5000\n" << sql << "\n";
  const std::string command =
      "sqlite3 -bail '" + f.database().string() + "' < '" + script.string() + "' 2>&1";
  FILE* pipe = popen(command.c_str(), "r");
  REQUIRE(pipe != nullptr);
  printed.clear();
  char buffer[4096];
  size_t n = 0;
  while ((n = fread(buffer, 1, sizeof buffer, pipe)) > 0) printed.append(buffer, n);
  return pclose(pipe);
}

// How many elements of the CRM's `resource` have `key` equal to `value`.
size_t remote_count(SyncFixture& f, const std::string& resource, const char* key,
                    const std::string& value) {
  size_t n = 0;
  for (const auto& e : f.remote(resource))
    if (const auto* v = e.as_object().if_contains(key);
        v != nullptr && v->is_string() && v->as_string() == value)
      ++n;
  return n;
}

// The CRM's one element of `resource` whose `key` is `value`.
json::object remote_named(SyncFixture& f, const std::string& resource, const char* key,
                          const std::string& value) {
  for (const auto& e : f.remote(resource))
    if (const auto* v = e.as_object().if_contains(key);
        v != nullptr && v->is_string() && v->as_string() == value)
      return e.as_object();
  FAIL("no " << resource << " with " << key << " = " << value);
  return {};
}

// Makes the synced mirror a version-4 file holding `rows`: SQL run as version 4's triggers
// left things (they are bypassed with `applying`, as they accepted what version 5 refuses).
// Version 5 adds no table, so only the version number and the triggers differ, and the
// triggers are recreated by every migration.
void as_version4_mirror_with(SyncFixture& f, const std::string& rows) {
  f.shell("UPDATE sync_control SET applying = 1;" + rows +
          "UPDATE sync_control SET applying = 0; PRAGMA user_version = 4;");
}

}  // namespace

TEST_CASE_FIXTURE(SyncFixture, "an UPDATE in the shell reaches the CRM as a PUT of that field") {
  REQUIRE(sync() == 0);
  const auto id = first_id(*this, "contact");
  control(*emulator, "DELETE", "log");
  shell(
      "UPDATE contacts SET city = 'Paris', is_private = CASE WHEN is_private = 1 THEN 0 ELSE 1 "
      "END, tags = '[\"x\"]' WHERE id "
      "= " +
      std::to_string(id) + ";");
  REQUIRE_MESSAGE(sync() == 0, output);
  const auto e = remote_element("contact", id);
  CHECK(e.at("city") == "Paris");
  CHECK(e.at("is_private").is_bool());
  CHECK(e.at("tags").as_array() == json::array{"x"});
  const auto log = control(*emulator, "GET", "log").json().at("requests").as_array();
  int puts = 0;
  for (const auto& r : log)
    if (r.at("method") == "PUT") {
      ++puts;
      const json::object body = json::parse(r.at("body").as_string()).as_object();
      // Only what changed (city, is_private, tags where they differed) and the id.
      CHECK(body.contains("city"));
      CHECK(body.contains("id"));
      CHECK_FALSE(body.contains("fn"));
      CHECK(body.size() <= 4);
      CHECK(body.at("id") == id);
    }
  CHECK(puts == 1);
  CHECK(query("SELECT sync_state FROM contacts WHERE id = " + std::to_string(id)) == "synced");
}

TEST_CASE_FIXTURE(SyncFixture, "a new company, contact and note are created in one push") {
  REQUIRE(sync() == 0);
  shell(
      "INSERT INTO companies (id, name) VALUES (-1, 'Chain Co');"
      "INSERT INTO contacts (id, first_name, company_id) VALUES (-2, 'Cy', -1);"
      "INSERT INTO notes (description, customer_id) VALUES ('chain note', -2);");
  REQUIRE_MESSAGE(sync() == 0, output);
  const auto company = number("SELECT id FROM companies WHERE name = 'Chain Co'");
  const auto contact = number("SELECT id FROM contacts WHERE first_name = 'Cy'");
  CHECK(company > 0);
  CHECK(number("SELECT company_id FROM contacts WHERE id = " + std::to_string(contact)) == company);
  CHECK(number("SELECT customer_id FROM notes WHERE description = 'chain note'") == contact);
  CHECK(remote_element("contact", contact).at("companyId") == company);
  // The CRM computed the link: the contact lists its note.
  REQUIRE(sync() == 0);
  CHECK(query("SELECT json_array_length(note_ids) FROM contacts WHERE id = " +
              std::to_string(contact)) == "1");
}

TEST_CASE_FIXTURE(SyncFixture, "DELETE reaches the CRM, and a comment edit becomes a new comment") {
  REQUIRE(sync() == 0);
  const auto task = first_id(*this, "task");
  const auto comment = first_id(*this, "comment");
  shell("DELETE FROM tasks WHERE id = " + std::to_string(task) +
        ";"
        "UPDATE comments SET text = 'edited' WHERE id = " +
        std::to_string(comment) + ";");
  REQUIRE_MESSAGE(sync() == 0, output);
  CHECK(http_request("GET", emulator->url() + "/task/" + std::to_string(task)).status == 404);
  CHECK(http_request("GET", emulator->url() + "/comment/" + std::to_string(comment)).status == 404);
  const auto fresh = number("SELECT id FROM comments WHERE text = 'edited'");
  CHECK(fresh != comment);
  CHECK(remote_element("comment", fresh).at("comment") == "edited");
}

// A refused token is not a property of a change: the push stops at the first 401/403, the
// changes stay pending with a reason that names the token, and go out by themselves once the
// token is fixed (no `retry`).
TEST_CASE("a read-only token's 403 stops the push, the changes wait and go out with a good token") {
  EmulatorProcess emulator({"--sample", "10"});
  TempDir dir;
  auto config = write_sync_config(dir, emulator, "", kReadOnlyToken);
  std::string output;
  REQUIRE(run_clevertim_sync(config, {"sync"}, &output) == 0);  // reading works
  const std::string db = (dir / "crm.db").string();
  REQUIRE(std::system(("sqlite3 '" + db +
                       "' \"UPDATE contacts SET city = 'Denied' WHERE id IN (SELECT id FROM "
                       "contacts ORDER BY id LIMIT 3); INSERT INTO companies (name) VALUES "
                       "('Denied Co')\"")
                          .c_str()) == 0);
  control(emulator, "DELETE", "log");
  // Exit 2, as the README documents for a bad token.
  CHECK(run_clevertim_sync(config, {"sync"}, &output) == 2);
  CHECK(output.find("403") != std::string::npos);
  CHECK(output.find("token") != std::string::npos);
  CHECK(output.find(kReadOnlyToken) == std::string::npos);
  // Stopped at the first refusal: one write was tried, not every change.
  int writes = 0;
  const json::value log = control(emulator, "GET", "log").json();
  for (const auto& r : log.at("requests").as_array())
    if (r.at("method") != "GET") ++writes;
  CHECK(writes == 1);
  {
    SQLite::Database mirror(db, SQLite::OPEN_READONLY);
    for (const char* row :
         {"contacts WHERE city = 'Denied'", "companies WHERE name = 'Denied Co'"}) {
      CAPTURE(row);
      SQLite::Statement q(mirror, std::string("SELECT sync_state, sync_error FROM ") + row);
      int rows = 0;
      while (q.executeStep()) {
        ++rows;
        CHECK(q.getColumn(0).getString() == "pending");
        const std::string why = q.getColumn(1).getString();
        CHECK(why.find("token") != std::string::npos);
        CHECK(why.find(kReadOnlyToken) == std::string::npos);
      }
      CHECK(rows > 0);
    }
    CHECK(mirror.execAndGet("SELECT count(*) FROM outbox WHERE error IS NOT NULL").getInt() == 0);
  }
  // With the read-write token, the next sync sends them: no `retry` needed.
  config = write_sync_config(dir, emulator, "", kTestToken);
  CHECK(run_clevertim_sync(config, {"sync"}, &output) == 0);
  SQLite::Database mirror(db, SQLite::OPEN_READONLY);
  CHECK(mirror
            .execAndGet("SELECT count(*) FROM contacts WHERE city = 'Denied' AND sync_state = "
                        "'synced' AND sync_error IS NULL")
            .getInt() == 3);
  CHECK(mirror.execAndGet("SELECT id > 0 FROM companies WHERE name = 'Denied Co'").getInt() == 1);
}

TEST_CASE_FIXTURE(SyncFixture, "a refused create waits as an error with the server's reason") {
  REQUIRE(sync() == 0);
  // The CRM refuses a contact with a value for a custom field that does not exist. (A company
  // that does not exist is refused by the mirror itself, at write time.)
  shell(
      "INSERT INTO contacts (first_name, custom_fields) VALUES ('Orphan', '{\"999999\": "
      "\"gold\"}');"
      "UPDATE contacts SET city = 'Fine' WHERE id = (SELECT max(id) FROM contacts WHERE id > 0);");
  CHECK(sync() == 1);
  CHECK(output.find("not pushed") != std::string::npos);
  CHECK(query("SELECT sync_state FROM contacts WHERE first_name = 'Orphan'") == "error");
  CHECK(query("SELECT sync_error FROM contacts WHERE first_name = 'Orphan'").find("999999") !=
        std::string::npos);
  CHECK(query("SELECT sync_state FROM contacts WHERE city = 'Fine'") == "synced");
  // Editing the row sends it again.
  shell("UPDATE contacts SET custom_fields = NULL WHERE first_name = 'Orphan';");
  CHECK(sync() == 0);
  CHECK(number("SELECT id FROM contacts WHERE first_name = 'Orphan'") > 0);
}

TEST_CASE_FIXTURE(SyncFixture, "a POST whose answer is lost creates exactly one element") {
  REQUIRE(sync() == 0);
  const auto before = remote("company").size();
  next_fault("drop_after_commit", "POST", "/api/company");
  shell("INSERT INTO companies (name, city) VALUES ('Exactly Once', 'Bergen');");
  CHECK(sync() == 1);  // no answer: the change waits
  CHECK(remote("company").size() == before + 1);
  CHECK(sync() == 0);  // the pull finds it; nothing is sent again
  CHECK(sync() == 0);
  CHECK(remote("company").size() == before + 1);
  CHECK(number("SELECT count(*) FROM companies WHERE name = 'Exactly Once'") == 1);
  CHECK(number("SELECT id FROM companies WHERE name = 'Exactly Once'") > 0);
}

TEST_CASE_FIXTURE(SyncFixture,
                  "a POST answered 503 or 429 after the CRM created it: no duplicate") {
  REQUIRE(sync() == 0);
  for (const char* fault : {"503_after_commit", "429_after_commit"}) {
    CAPTURE(fault);
    const auto before = remote("company").size();
    const std::string name = std::string("Once ") + fault;
    next_fault(fault, "POST", "/api/company");
    shell("INSERT INTO companies (name, city) VALUES ('" + name + "', 'Bergen');");
    CHECK(sync() == 1);  // an answer that is no refusal: checked for before sending again
    CHECK(remote("company").size() == before + 1);
    CHECK(sync() == 0);  // the pull finds it; nothing is sent again
    CHECK(remote("company").size() == before + 1);
    CHECK(number("SELECT count(*) FROM companies WHERE name = '" + name + "'") == 1);
    CHECK(number("SELECT id FROM companies WHERE name = '" + name + "'") > 0);
  }
}

namespace {

// Sends `UPDATE contacts SET <assignments>` for contact `id` in a PUT that the CRM applies but
// never answers (twice: a PUT is idempotent, so the client sends it once more on a fresh
// connection). The change is left waiting.
void lose_the_answer_to_an_update(SyncFixture& f, std::int64_t id, const std::string& assignments) {
  for (int i = 0; i < 2; ++i)
    f.next_fault("drop_after_commit", "PUT", "/api/contact/" + std::to_string(id));
  f.shell("UPDATE contacts SET " + assignments + " WHERE id = " + std::to_string(id) + ";");
  CHECK(f.sync() == 1);  // no answer: the change waits
}

}  // namespace

// Our own PUT, applied by the CRM but never answered, comes back in the next pull as a change
// "in the CRM". It is not one: a later local edit of the same field must win under every
// policy, and no conflict is recorded.
TEST_CASE("a PUT whose answer was lost is not mistaken for a CRM edit of that field") {
  for (const std::string policy : {"remote-wins", "manual", "newest"}) {
    CAPTURE(policy);
    SyncFixture f({"--sample", "10"}, "conflict_policy = \"" + policy + "\"\nretry_attempts = 1\n");
    REQUIRE(f.sync() == 0);
    const auto id = first_id(f, "contact");
    const std::string where = " WHERE id = " + std::to_string(id) + ";";
    lose_the_answer_to_an_update(f, id, "city = 'First', title = 'Kept'");
    CHECK(f.number("SELECT count(*) FROM sent_updates") == 1);
    REQUIRE(f.remote_element("contact", id).at("city") == "First");
    f.shell("UPDATE contacts SET city = 'Second'" + where);
    REQUIRE_MESSAGE(f.sync() == 0, f.output);
    CHECK(f.remote_element("contact", id).at("city") == "Second");
    CHECK(f.remote_element("contact", id).at("title") == "Kept");
    CHECK(f.query("SELECT city || '/' || sync_state FROM contacts" + where) == "Second/synced");
    CHECK(f.number("SELECT count(*) FROM conflicts") == 0);
    CHECK(f.number("SELECT count(*) FROM sent_updates") == 0);  // answered: forgotten
  }
}

TEST_CASE("a row deleted after a lost PUT answer is deleted in the CRM, not brought back") {
  SyncFixture f({"--sample", "10"}, "retry_attempts = 1\n");
  REQUIRE(f.sync() == 0);
  const auto id = first_id(f, "contact");
  const std::string where = " WHERE id = " + std::to_string(id) + ";";
  lose_the_answer_to_an_update(f, id, "city = 'First'");
  f.shell("DELETE FROM contacts" + where);
  REQUIRE_MESSAGE(f.sync() == 0, f.output);
  for (const auto& c : f.remote("contact")) CHECK(c.at("id").as_int64() != id);
  CHECK(f.number("SELECT count(*) FROM contacts" + where) == 0);
  CHECK(f.number("SELECT count(*) FROM conflicts") == 0);
}

// The lost answer must not hide a real CRM edit made after it: that one is still a conflict.
TEST_CASE("after a lost PUT answer, a real CRM edit of the same field is still a conflict") {
  SyncFixture f({"--sample", "10"}, "conflict_policy = \"remote-wins\"\nretry_attempts = 1\n");
  REQUIRE(f.sync() == 0);
  const auto id = first_id(f, "contact");
  const std::string where = " WHERE id = " + std::to_string(id) + ";";
  lose_the_answer_to_an_update(f, id, "city = 'First'");
  REQUIRE(f.web("PUT", "contact/" + std::to_string(id), R"({"city": "Theirs"})").status == 200);
  f.shell("UPDATE contacts SET city = 'Second'" + where);
  REQUIRE_MESSAGE(f.sync() == 0, f.output);
  CHECK(f.remote_element("contact", id).at("city") == "Theirs");
  CHECK(f.query("SELECT city FROM contacts" + where) == "Theirs");
  CHECK(f.query("SELECT fields || '/' || resolution FROM conflicts") == "city/remote");
}

TEST_CASE_FIXTURE(SyncFixture,
                  "the same field changed on both sides: newest wins, and it is recorded") {
  REQUIRE(sync() == 0);
  const auto id = std::to_string(first_id(*this, "contact"));
  REQUIRE(
      web("PUT", "contact/" + id, R"({"title": "Remote title", "city": "Remote city"})").status ==
      200);
  // The CRM's lm has one-second resolution; make the local edit clearly the later one.
  wait_past_second_of(lm_of(*this, "contact", std::stoll(id)));
  shell("UPDATE contacts SET title = 'Local title' WHERE id = " + id + ";");
  REQUIRE_MESSAGE(sync() == 0, output);
  // The local edit is newer than the CRM's lm: it wins; the CRM's other change is kept.
  CHECK(remote_element("contact", std::stoll(id)).at("title") == "Local title");
  CHECK(query("SELECT city FROM contacts WHERE id = " + id) == "Remote city");
  CHECK(number("SELECT count(*) FROM conflicts") == 1);
  CHECK(query("SELECT fields FROM conflicts") == "title");
}

TEST_CASE("manual conflicts wait for a person, who settles them with resolve") {
  SyncFixture f({"--sample", "10"}, "conflict_policy = \"manual\"\n");
  REQUIRE(f.sync() == 0);
  const auto id = std::to_string(f.remote("contact")[0].as_object().at("id").as_int64());
  REQUIRE(f.web("PUT", "contact/" + id, R"({"title": "Remote"})").status == 200);
  f.shell("UPDATE contacts SET title = 'Local' WHERE id = " + id + ";");
  CHECK(f.sync() == 1);
  CHECK(f.query("SELECT sync_state FROM contacts WHERE id = " + id) == "conflict");
  std::string out;
  CHECK(run_clevertim_sync(f.config, {"conflicts"}, &out) == 0);
  CHECK(out.find("contact " + id) != std::string::npos);
  const std::string conflict = f.query("SELECT id FROM conflicts");
  CHECK(run_clevertim_sync(f.config, {"resolve", conflict, "local"}, &out) == 0);
  CHECK(f.sync() == 0);
  CHECK(f.remote_element("contact", std::stoll(id)).at("title") == "Local");
}

TEST_CASE_FIXTURE(SyncFixture, "a DELETE FROM in the shell is held as a mass deletion") {
  REQUIRE(sync() == 0);
  const auto before = remote("contact").size();
  shell("DELETE FROM contacts;");
  CHECK(sync() == 3);
  CHECK(output.find("--allow-mass-delete") != std::string::npos);
  CHECK(remote("contact").size() == before);
  std::string status;
  run_clevertim_sync(config, {"status"}, &status);
  CHECK(status.find("held by the mass-deletion guard") != std::string::npos);
}

// `newest` takes each conflicting field's own latest local edit: editing another field later
// must not make an older local edit of this one beat the CRM's newer edit.
TEST_CASE_FIXTURE(SyncFixture, "newest: a later local edit of another field does not win a field") {
  REQUIRE(sync() == 0);
  const auto id = std::to_string(first_id(*this, "contact"));
  shell("UPDATE contacts SET title = 'Local title' WHERE id = " + id + ";");  // t0
  // lm and the outbox's times: make each step clearly later than the previous one (lm names
  // whole seconds: each step waits for the end of the second of the one before).
  wait_past_second_of(query("SELECT max(created_at) FROM outbox"));
  REQUIRE(web("PUT", "contact/" + id, R"({"title": "CRM title"})").status == 200);  // t1 > t0
  wait_past_second_of(lm_of(*this, "contact", std::stoll(id)));
  shell("UPDATE contacts SET city = 'Local city' WHERE id = " + id + ";");  // t2 > t1
  REQUIRE_MESSAGE(sync() == 0, output);
  const auto e = remote_element("contact", std::stoll(id));
  CHECK(e.at("title") == "CRM title");
  CHECK(e.at("city") == "Local city");
  CHECK(query("SELECT title || '/' || city FROM contacts WHERE id = " + id) ==
        "CRM title/Local city");
  CHECK(query("SELECT fields || '/' || resolution FROM conflicts") == "title/remote");
}

// A row in a manual conflict keeps one open conflict, however many cycles pass; settling it
// lets `sync` succeed.
TEST_CASE("manual: one open conflict per row across cycles, settling it lets sync exit 0") {
  SyncFixture f({"--sample", "10"}, "conflict_policy = \"manual\"\n");
  REQUIRE(f.sync() == 0);
  const auto id = std::to_string(first_id(f, "contact"));
  REQUIRE(f.web("PUT", "contact/" + id, R"({"title": "Remote"})").status == 200);
  f.shell("UPDATE contacts SET title = 'Local' WHERE id = " + id + ";");
  CHECK(f.sync() == 1);
  // Both sides change the row again.
  REQUIRE(f.web("PUT", "contact/" + id, R"({"title": "Remote 2"})").status == 200);
  f.shell("UPDATE contacts SET title = 'Local 2' WHERE id = " + id + ";");
  CHECK(f.sync() == 1);
  CHECK(f.sync() == 1);
  CHECK(f.number("SELECT count(*) FROM conflicts") == 1);
  CHECK(f.query("SELECT remote FROM conflicts").find("Remote 2") != std::string::npos);
  std::string out;
  CHECK(run_clevertim_sync(f.config, {"resolve", f.query("SELECT id FROM conflicts"), "remote"},
                           &out) == 0);
  CHECK_MESSAGE(f.sync() == 0, f.output);
  CHECK(f.query("SELECT title || '/' || sync_state FROM contacts WHERE id = " + id) ==
        "Remote 2/synced");
}

// `resolve` from the command line must drop the CRM version the pull kept aside, as a push
// does: otherwise a later local DELETE brings the stale version back, and a later edit of the
// field is a false conflict.
TEST_CASE("resolve remote from the command line leaves no stale CRM version behind") {
  for (const bool delete_after : {true, false}) {
    CAPTURE(delete_after);
    SyncFixture f({"--sample", "10"}, "conflict_policy = \"manual\"\n");
    REQUIRE(f.sync() == 0);
    const auto id = std::to_string(first_id(f, "contact"));
    const std::string where = " WHERE id = " + id + ";";
    REQUIRE(f.web("PUT", "contact/" + id, R"({"city": "Remote"})").status == 200);
    f.shell("UPDATE contacts SET city = 'Local'" + where);
    CHECK(f.sync() == 1);
    // The CRM changes again while the conflict waits: the pull keeps that version aside.
    REQUIRE(f.web("PUT", "contact/" + id, R"({"city": "Remote 2"})").status == 200);
    CHECK(f.sync() == 1);
    std::string out;
    REQUIRE(run_clevertim_sync(f.config, {"resolve", f.query("SELECT id FROM conflicts"), "remote"},
                               &out) == 0);
    CHECK(f.number("SELECT count(*) FROM remote_versions") == 0);
    CHECK(f.query("SELECT city || '/' || sync_state FROM contacts" + where) == "Remote 2/synced");
    if (delete_after) {
      f.shell("DELETE FROM contacts" + where);
      CHECK_MESSAGE(f.sync() == 0, f.output);
      CHECK(f.number("SELECT count(*) FROM contacts" + where) == 0);
      CHECK(http_request("GET", f.emulator->url() + "/contact/" + id).status == 404);
    } else {
      f.shell("UPDATE contacts SET city = 'Later'" + where);
      CHECK_MESSAGE(f.sync() == 0, f.output);
      CHECK(f.remote_element("contact", std::stoll(id)).at("city") == "Later");
    }
    CHECK(f.number("SELECT count(*) FROM conflicts") == 1);
  }
}

// Another client commits while a request is on its way: the push must hold neither a lock nor
// a read snapshot across the round trip (issue 12, item 22: a statement left stepped kept a
// snapshot open, and the answer could then not be recorded: SQLITE_BUSY_SNAPSHOT, exit 5).
TEST_CASE("an outside write while a PUT is in flight: the answer is recorded, sync exits 0") {
  SyncFixture f({"--sample", "10"}, "resources = [\"contact\"]\n");
  REQUIRE(f.sync() == 0);
  const auto id = std::to_string(f.remote("contact")[0].at("id").as_int64());
  f.shell("UPDATE contacts SET city = 'In flight' WHERE id = " + id + ";");
  REQUIRE(control(*f.emulator, "PUT", "faults", R"({"latency_ms": 1500})").status == 200);
  std::string output;
  auto sync = std::async(std::launch::async,
                         [&] { return run_clevertim_sync(f.config, {"sync"}, &output); });
  // The emulator applies a request at once and answers it 1.5 s later: once the CRM holds the
  // new city, the PUT's answer is on its way, and this lands meanwhile.
  REQUIRE(eventually([&] {
    const json::object state = f.remote_state();
    for (const auto& e : state.at("contact").as_array())
      if (e.at("id") == json::value(std::stoll(id))) {
        const json::value* city = e.as_object().if_contains("city");
        return city != nullptr && *city == "In flight";
      }
    return false;
  }));
  f.shell("INSERT INTO notes (description) VALUES ('written meanwhile');");
  CHECK_MESSAGE(sync.get() == 0, output);
  CHECK(f.remote_element("contact", std::stoll(id)).at("city") == "In flight");
  CHECK(f.query("SELECT sync_state FROM contacts WHERE id = " + id) == "synced");
  CHECK(f.number("SELECT count(*) FROM notes WHERE description = 'written meanwhile'") == 1);
}

// A resource left out of sync.resources is not pulled, but its local changes are still sent:
// never blind (issue 12, item 23). Each element is read before its PUT or DELETE.
TEST_CASE("a resource left out of sync.resources is pushed against its current version") {
  SyncFixture f({"--sample", "10"}, "conflict_policy = \"remote-wins\"\n");
  REQUIRE(f.sync() == 0);
  std::ofstream(f.config, std::ios::app) << "resources = [\"contact\", \"company\"]\n";
  const json::array tasks = f.remote("task");
  REQUIRE(tasks.size() >= 2);
  const auto edited = std::to_string(tasks[0].at("id").as_int64());
  const auto deleted = std::to_string(tasks[1].at("id").as_int64());
  REQUIRE(f.web("PUT", "task/" + edited, R"({"location": "CRM room"})").status == 200);
  REQUIRE(f.web("PUT", "task/" + deleted, R"({"location": "CRM hall"})").status == 200);
  f.shell("UPDATE tasks SET location = 'Local room' WHERE id = " + edited +
          "; DELETE FROM tasks WHERE id = " + deleted + ";");
  f.sync();
  CHECK(f.remote_element("task", std::stoll(edited)).at("location") == "CRM room");
  CHECK(f.remote_element("task", std::stoll(deleted)).at("location") == "CRM hall");
  CHECK(f.number("SELECT count(*) FROM conflicts WHERE resource = 'task'") == 2);
  CHECK(f.query("SELECT location FROM tasks WHERE id = " + deleted) == "CRM hall");
}

// ---- local ids and re-inserted ids ----------------------------------------------------------

TEST_CASE_FIXTURE(
    SyncFixture, "a negative id used again after a DELETE is refused, and nothing waits for ever") {
  REQUIRE(sync() == 0);
  shell(
      "INSERT INTO companies (id, name) VALUES (-70, 'Reuse A');"
      "DELETE FROM companies WHERE id = -70;");
  std::string printed;
  CHECK(shell_status(*this, "INSERT INTO companies (id, name) VALUES (-70, 'Reuse B');", printed) !=
        0);
  CHECK(printed.find("choose another negative id") != std::string::npos);
  shell(
      "INSERT INTO companies (name) VALUES ('Reuse B');"
      "INSERT INTO contacts (first_name, company_id) VALUES ('Reuse child', (SELECT min(id) FROM "
      "companies));");
  REQUIRE_MESSAGE(sync() == 0, output);
  CHECK(remote_count(*this, "company", "cn", "Reuse A") == 0);
  CHECK(remote_count(*this, "company", "cn", "Reuse B") == 1);
  CHECK(remote_named(*this, "contact", "fn", "Reuse child").at("companyId") ==
        remote_named(*this, "company", "cn", "Reuse B").at("id"));
  CHECK(number("SELECT count(*) FROM companies WHERE sync_state <> 'synced'") == 0);
  CHECK(number("SELECT count(*) FROM contacts WHERE sync_state <> 'synced'") == 0);
}

TEST_CASE_FIXTURE(SyncFixture,
                  "a version-4 mirror's id used again: the last row is created once, the deleted "
                  "one never") {
  REQUIRE(sync() == 0);
  // Version 4's triggers accepted -70 a second time after its DELETE: three captured writes of
  // one record, which its push cancelled as a row created then deleted; 'Old B' and its
  // contact waited for ever.
  as_version4_mirror_with(
      *this,
      "INSERT INTO companies (id, name, sync_state) VALUES (-70, 'Old B', 'pending');"
      "INSERT INTO contacts (id, first_name, company_id, sync_state) VALUES (-71, 'Old child', "
      "-70, 'pending');"
      "INSERT INTO outbox (resource, record_id, operation) VALUES ('company', -70, 'insert'),"
      "('company', -70, 'delete'), ('company', -70, 'insert'), ('contact', -71, 'insert');");
  REQUIRE_MESSAGE(sync() == 0, output);
  CHECK(query("PRAGMA user_version") == "7");
  CHECK(remote_count(*this, "company", "cn", "Old B") == 1);
  CHECK(remote_named(*this, "contact", "fn", "Old child").at("companyId") ==
        remote_named(*this, "company", "cn", "Old B").at("id"));
  CHECK(number("SELECT count(*) FROM companies WHERE sync_state <> 'synced'") == 0);
  CHECK(number("SELECT count(*) FROM outbox") == 0);
  REQUIRE_MESSAGE(sync() == 0, output);
  CHECK(remote_count(*this, "company", "cn", "Old B") == 1);
}

TEST_CASE_FIXTURE(SyncFixture,
                  "a version-4 mirror's new row left with nothing queued is created after the "
                  "upgrade") {
  REQUIRE(sync() == 0);
  // What version 4's push then left behind: the row, pending, its captured writes gone.
  as_version4_mirror_with(
      *this, "INSERT INTO companies (id, name, sync_state) VALUES (-70, 'Stranded', 'pending');");
  REQUIRE_MESSAGE(sync() == 0, output);
  CHECK(remote_count(*this, "company", "cn", "Stranded") == 1);
  CHECK(number("SELECT id FROM companies WHERE name = 'Stranded'") > 0);
  CHECK(query("SELECT sync_state FROM companies WHERE name = 'Stranded'") == "synced");
}

TEST_CASE_FIXTURE(SyncFixture, "INSERT OR REPLACE of a synced row is refused and makes no copy") {
  REQUIRE(sync() == 0);
  const auto id = std::to_string(first_id(*this, "contact"));
  const auto fn = remote_element("contact", std::stoll(id)).at("fn");
  const auto before = remote("contact").size();
  std::string printed;
  CHECK(shell_status(
            *this,
            "INSERT OR REPLACE INTO contacts (id, first_name) VALUES (" + id + ", 'Replaced');",
            printed) != 0);
  CHECK(printed.find("UPDATE contacts") != std::string::npos);
  CHECK(shell_status(*this, "INSERT INTO contacts (id, first_name) VALUES (987654321, 'Chosen');",
                     printed) != 0);
  CHECK(printed.find("omit the id") != std::string::npos);
  REQUIRE_MESSAGE(sync() == 0, output);
  CHECK(remote("contact").size() == before);
  CHECK(remote_element("contact", std::stoll(id)).at("fn") == fn);
  CHECK(query("SELECT first_name FROM contacts WHERE id = " + id) == std::string(fn.as_string()));
}

TEST_CASE_FIXTURE(SyncFixture,
                  "a child linked by last_insert_rowid() is refused, by min(id) it is linked") {
  REQUIRE(sync() == 0);
  std::string printed;
  CHECK(shell_status(*this,
                     "INSERT INTO companies (name) VALUES ('Rowid Co');"
                     "INSERT INTO contacts (first_name, company_id) VALUES ('Rowid', "
                     "last_insert_rowid());",
                     printed) != 0);
  CHECK(printed.find("contacts.company_id") != std::string::npos);
  shell(
      "INSERT INTO contacts (first_name, company_id) VALUES ('Rowid', (SELECT min(id) FROM "
      "companies));"
      "INSERT INTO notes (description, customer_id) VALUES ('Rowid note', (SELECT min(id) FROM "
      "contacts));");
  REQUIRE_MESSAGE(sync() == 0, output);
  const auto company = remote_named(*this, "company", "cn", "Rowid Co").at("id");
  const auto contact = remote_named(*this, "contact", "fn", "Rowid");
  CHECK(contact.at("companyId") == company);
  CHECK(remote_named(*this, "note", "desc", "Rowid note").at("cust") == contact.at("id"));
  CHECK(remote_count(*this, "contact", "fn", "Rowid") == 1);
}

TEST_CASE_FIXTURE(SyncFixture, "a negative id a company holds is refused for a contact") {
  REQUIRE(sync() == 0);
  shell("INSERT INTO companies (id, name) VALUES (-1, 'Minus Co');");
  std::string printed;
  CHECK(shell_status(*this, "INSERT INTO contacts (id, first_name) VALUES (-1, 'Minus');",
                     printed) != 0);
  CHECK(printed.find("choose another negative id") != std::string::npos);
  shell(
      "INSERT INTO contacts (id, first_name) VALUES (-2, 'Minus');"
      "INSERT INTO cases (name, customer_id) VALUES ('Minus case', -2);");
  REQUIRE_MESSAGE(sync() == 0, output);
  CHECK(remote_named(*this, "case", "name", "Minus case").at("cust") ==
        remote_named(*this, "contact", "fn", "Minus").at("id"));
}

// Issue 13, items 15 and 16: what `conflicts` and `retry` tell a person.
TEST_CASE("conflicts shows base, local and CRM values, and a settled one as settled") {
  SyncFixture f({"--sample", "10"}, "conflict_policy = \"manual\"\n");
  REQUIRE(f.sync() == 0);
  const auto id = std::to_string(f.remote("contact")[0].at("id").as_int64());
  const std::string city = f.query("SELECT city FROM contacts WHERE id = " + id);
  REQUIRE(f.web("PUT", "contact/" + id, R"({"city": "Rome"})").status == 200);
  f.shell("UPDATE contacts SET city = 'Paris' WHERE id = " + id + ";");
  CHECK(f.sync() == 1);
  REQUIRE(f.sync({"conflicts"}) == 0);
  CHECK_MESSAGE(f.output.find("city: base " + (city == "NULL" ? "(empty)" : "'" + city + "'") +
                              ", here 'Paris', CRM 'Rome'") != std::string::npos,
                f.output);
  const std::string conflict = f.query("SELECT id FROM conflicts");
  REQUIRE(f.sync({"resolve", conflict, "local"}) == 0);
  REQUIRE(f.sync({"conflicts", "--all"}) == 0);
  CHECK(f.output.find("waiting for a person") == std::string::npos);
  CHECK(f.output.find("the local version kept") != std::string::npos);
  CHECK(f.sync() == 0);
}

TEST_CASE("retry counts the rows it makes pending again") {
  SyncFixture f({"--sample", "10"});
  REQUIRE(f.sync() == 0);
  REQUIRE(f.sync({"retry"}) == 0);
  CHECK(f.output.find("no row is in error") != std::string::npos);
  const auto id = std::to_string(f.remote("contact")[0].at("id").as_int64());
  // One row in error with two refused changes in the outbox: one row to retry.
  f.shell("UPDATE contacts SET city = 'Refused' WHERE id = " + id + ";");
  f.shell("UPDATE contacts SET title = 'Twice' WHERE id = " + id + ";");
  f.shell(
      "UPDATE outbox SET error = 'refused'; UPDATE contacts SET sync_state = 'error', "
      "sync_error = 'refused' WHERE id = " +
      id + ";");
  REQUIRE(f.sync({"retry"}) == 0);
  CHECK_MESSAGE(f.output.find("1 row in error is pending again") != std::string::npos, f.output);
}
