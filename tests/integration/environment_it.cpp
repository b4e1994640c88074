// A bad environment: the mirror failing at the Nth write (failpoints, looped over N), locked
// by another writer, or read-only; the CRM refusing connections or speaking no TLS. Each ends
// with a clear error, a sound mirror, no lost change, and recovery once the cause is gone.
#include <doctest/doctest.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <SQLiteCpp/Database.h>

#include <fstream>
#include <map>
#include <optional>
#include <sstream>

#include "integration_fixture.h"

using namespace clevertim::testing;
namespace json = boost::json;

namespace {

int sync_with_failpoint(SyncFixture& f, const std::string& spec) {
  setenv("CLEVERTIM_FAILPOINT", spec.c_str(), 1);
  const int code = f.sync();
  unsetenv("CLEVERTIM_FAILPOINT");
  return code;
}

void loop_over_failpoint(const std::string& place) {
  SyncFixture f({"--sample", "10"});
  REQUIRE(f.sync() == 0);
  const auto contact = std::to_string(f.remote("contact")[0].as_object().at("id").as_int64());
  int n = 1;
  for (; n <= 40; ++n) {
    const std::string tag = place + "-" + std::to_string(n);
    // Chosen ids 10 apart: the note, inserted without an id, takes the one just below, and a
    // negative id can name only one row of the file.
    const std::string company = "-900000 - 10 * " + std::to_string(n);
    f.shell("INSERT INTO companies (id, name) VALUES (" + company + ", 'fp co " + tag +
            "');"
            "INSERT INTO notes (description, customer_id) VALUES ('fp note " +
            tag + "', " + company +
            ");"
            "UPDATE contacts SET city = 'fp " +
            tag + "' WHERE id = " + contact + ";");
    REQUIRE(f.web("PUT", "contact/" + contact, "{\"title\": \"T " + tag + "\"}").status == 200);
    const int code = sync_with_failpoint(f, place + ":" + std::to_string(n));
    CHECK(f.query("PRAGMA integrity_check") == "ok");
    if (code == 0) break;  // N is past the last call: the sync went through
    CHECK_MESSAGE(code == 5, f.output);
    CHECK(f.output.find("Nothing was lost") != std::string::npos);
  }
  CHECK(n > 1);  // at least one run really failed
  for (int i = 0; i < 3 && f.sync() != 0; ++i) {
  }
  REQUIRE_MESSAGE(f.sync() == 0, f.output);
  const json::object state = f.remote_state();
  std::map<std::string, int> notes;
  for (const auto& e : state.at("note").as_array()) notes[std::string(e.at("desc").as_string())]++;
  for (int i = 1; i <= std::min(n, 40); ++i)
    CHECK_MESSAGE(notes["fp note " + place + "-" + std::to_string(i)] == 1, i);
  // The last values written on each side, not the mirror's (an edit lost on both sides would
  // leave them equal): the last local city edit and the last CRM title edit both survive.
  const std::string last_tag = place + "-" + std::to_string(std::min(n, 40));
  const json::object remote = f.remote_element("contact", std::stoll(contact));
  CHECK(remote.at("city") == json::value("fp " + last_tag));
  CHECK(remote.at("title") == json::value("T " + last_tag));
  CHECK(f.query("SELECT city || '/' || title FROM contacts WHERE id = " + contact) ==
        "fp " + last_tag + "/T " + last_tag);
  CHECK(f.number("SELECT count(*) FROM notes WHERE id < 0 OR sync_state <> 'synced'") == 0);
}

}  // namespace

TEST_CASE("the Nth commit of the mirror fails, for every N") {
  loop_over_failpoint("commit");
}
TEST_CASE("the Nth element written fails, for every N") {
  loop_over_failpoint("store");
}
TEST_CASE("the Nth id rewrite fails, for every N") {
  loop_over_failpoint("rekey");
}

TEST_CASE_FIXTURE(SyncFixture, "a mirror locked by another writer: a clear error, then recovery") {
  REQUIRE(sync() == 0);
  shell("UPDATE contacts SET city = 'Locked' WHERE id = (SELECT min(id) FROM contacts);");
  {
    SQLite::Database other(database().string(), SQLite::OPEN_READWRITE);
    other.exec("BEGIN IMMEDIATE");  // held for longer than the busy timeout
    std::ofstream(config, std::ios::app) << "";
    CHECK(sync() == 5);
    CHECK(output.find("locked") != std::string::npos);
    other.exec("ROLLBACK");
  }
  CHECK(sync() == 0);
  CHECK(query("SELECT sync_state FROM contacts WHERE city = 'Locked'") == "synced");
}

TEST_CASE_FIXTURE(SyncFixture, "a read-only mirror file is refused with the reason") {
  REQUIRE(sync() == 0);
  if (geteuid() == 0) {
    MESSAGE("running as root: file modes do not stop root, so this case checks nothing more");
    return;
  }
  chmod(database().c_str(), 0400);
  CHECK(sync() == 5);
  CHECK(output.find(database().string()) != std::string::npos);
  chmod(database().c_str(), 0600);
  CHECK(sync() == 0);
}

TEST_CASE_FIXTURE(SyncFixture,
                  "a CRM that refuses connections: nothing applied, local changes kept") {
  REQUIRE(sync() == 0);
  shell("UPDATE contacts SET city = 'Offline' WHERE id = (SELECT min(id) FROM contacts);");
  const std::string url = emulator->url();
  emulator->stop();
  CHECK(sync() == 1);
  CHECK(output.find("not pulled") != std::string::npos);
  CHECK(output.find(kTestToken) == std::string::npos);
  CHECK(query("SELECT sync_state FROM contacts WHERE city = 'Offline'") == "pending");
  CHECK(number("SELECT count(*) FROM outbox") == 1);
}

TEST_CASE_FIXTURE(SyncFixture, "https to a server that speaks no TLS fails clearly") {
  std::string text;
  {
    std::ifstream in(config);
    std::stringstream s;
    s << in.rdbuf();
    text = s.str();
  }
  const std::string plain = emulator->url();
  const std::string tls = "https://localhost:" + std::to_string(emulator->port()) + "/api";
  text.replace(text.find(plain), plain.size(), tls);
  std::ofstream(config) << text;
  CHECK(sync() == 1);
  CHECK(output.find("not pulled") != std::string::npos);
}

// Issue 12, item 9: a mirror others can write lets any local user push changes with the
// owner's token. It is refused (exit 5, the chmod that fixes it) by every command that writes,
// and check-config says so; readers go on reading, with a warning. Nothing is pushed meanwhile.
TEST_CASE_FIXTURE(SyncFixture,
                  "a mirror others can write is refused with the chmod that fixes it") {
  REQUIRE(sync() == 0);
  const auto id = std::to_string(remote("contact")[0].as_object().at("id").as_int64());
  shell("UPDATE contacts SET city = 'Sneaky' WHERE id = " + id + ";");
  const std::string db = database().string();
  for (const std::string& file : {db, db + "-wal"}) {
    CAPTURE(file);
    // The -wal lives while some connection has the mirror open: hold one.
    std::optional<SQLite::Database> holder;
    if (file != db) {
      holder.emplace(db, SQLite::OPEN_READWRITE);
      holder->exec("UPDATE contacts SET country = 'Held' WHERE id = " + id);
      REQUIRE(std::filesystem::exists(file));
    }
    REQUIRE(chmod(file.c_str(), 0666) == 0);
    CHECK(sync() == 5);
    CHECK(output.find("chmod 600 " + file) != std::string::npos);
    CHECK(output.find(kTestToken) == std::string::npos);
    CHECK(remote_element("contact", std::stoll(id)).at("city") != "Sneaky");  // nothing pushed
    CHECK(sync({"check-config"}) == 5);
    CHECK(output.find("FAILED") != std::string::npos);
    CHECK(output.find("chmod 600 " + file) != std::string::npos);
    CHECK(sync({"retry"}) == 5);
    // Readers read, and are told.
    CHECK(sync({"status"}) == 0);
    CHECK(output.find("contact") != std::string::npos);
    CHECK(output.find("chmod 600 " + file) != std::string::npos);
    CHECK(sync({"conflicts"}) == 0);
    CHECK(output.find("chmod 600 " + file) != std::string::npos);
    REQUIRE(chmod(file.c_str(), 0600) == 0);
  }
  // World-readable: it syncs, with a warning that names the fix.
  REQUIRE(chmod(db.c_str(), 0644) == 0);
  CHECK(sync() == 0);
  CHECK(output.find("readable by others") != std::string::npos);
  CHECK(output.find("chmod 600 " + db) != std::string::npos);
  CHECK(remote_element("contact", std::stoll(id)).at("city") == "Sneaky");
  REQUIRE(chmod(db.c_str(), 0600) == 0);
  CHECK(sync() == 0);
  CHECK(output.find("readable by others") == std::string::npos);
}
