// Issue 12, item 24: a mirror belongs to one CRM account. Pointed at another (a changed URL or
// token), it refuses before writing anything in either direction, and says how to adopt a
// legitimate move.
#include <doctest/doctest.h>

#include <SQLiteCpp/Database.h>

#include <fstream>

#include "integration_fixture.h"

using namespace clevertim::testing;
namespace json = boost::json;

namespace {

// What must not change when the mirror meets another account: both sides, as they were.
struct Snapshot {
  json::object remote;
  long long contacts = 0, pending = 0, users = 0, outbox = 0;
  std::string user_names;
};

Snapshot snapshot(SyncFixture& f, const EmulatorProcess& crm) {
  Snapshot s;
  s.remote = control(crm, "GET", "state").json().as_object();
  s.contacts = f.number("SELECT count(*) FROM contacts");
  s.pending = f.number("SELECT count(*) FROM contacts WHERE sync_state = 'pending'");
  s.users = f.number("SELECT count(*) FROM users");
  s.outbox = f.number("SELECT count(*) FROM outbox");
  s.user_names = f.query("SELECT group_concat(name || email, ',') FROM users ORDER BY id");
  return s;
}

void check_unchanged(const Snapshot& before, const Snapshot& after) {
  CHECK(json::serialize(before.remote) == json::serialize(after.remote));
  CHECK(before.contacts == after.contacts);
  CHECK(before.pending == after.pending);
  CHECK(before.users == after.users);
  CHECK(before.outbox == after.outbox);
  CHECK(before.user_names == after.user_names);
}

// Local changes that would go out with the next sync: an edit and a new company.
void edit_locally(SyncFixture& f) {
  f.shell(
      "UPDATE contacts SET city = 'Only in A' WHERE id = (SELECT min(id) FROM contacts);"
      "INSERT INTO companies (name) VALUES ('New in A');");
}

}  // namespace

TEST_CASE("a mirror of one account refuses another (other URL), before any write") {
  SyncFixture f({"--sample", "10", "--seed", "1"});
  REQUIRE(f.sync() == 0);
  edit_locally(f);
  EmulatorProcess other({"--sample", "10", "--seed", "2"});
  const Snapshot before = snapshot(f, other);
  f.config = write_sync_config(f.dir, other);
  REQUIRE(f.sync() == 2);  // (else the `run` below would not end)
  CHECK(f.output.find("another account") != std::string::npos);
  CHECK(f.output.find(f.emulator->url()) != std::string::npos);
  CHECK(f.output.find(other.url()) != std::string::npos);
  CHECK(f.output.find("--adopt-account") != std::string::npos);
  CHECK(f.output.find(kTestToken) == std::string::npos);
  check_unchanged(before, snapshot(f, other));
  // The daemon too, at once; and a restore, which pulls the target account first.
  CHECK(f.sync({"run"}) == 2);
  CHECK(f.output.find("another account") != std::string::npos);
  check_unchanged(before, snapshot(f, other));
  // Back on its own account, everything goes out as before.
  f.config = write_sync_config(f.dir, *f.emulator);
  CHECK(f.sync() == 0);
  CHECK(f.number("SELECT count(*) FROM contacts WHERE sync_state = 'pending'") == 0);
}

TEST_CASE("another account at the same URL (another owner) is refused, recorded or not") {
  SyncFixture f({"--sample", "10", "--seed", "1"});
  REQUIRE(f.sync() == 0);
  edit_locally(f);
  // Account B: another sample whose owner is another person with the same user id, served at
  // A's URL (as another token of the same service would be).
  json::object state;
  {
    EmulatorProcess seed2({"--sample", "10", "--seed", "2"});
    state = control(seed2, "GET", "state").json().as_object();
  }
  for (auto& u : state.at("user").as_array())
    if (u.as_object().at("is_owner") == true) {
      u.as_object()["email"] = "olga@other.example";
      u.as_object()["user"] = "Olga Other";
    }
  REQUIRE(control(*f.emulator, "PUT", "state", json::serialize(state)).status == 200);
  const Snapshot before = snapshot(f, *f.emulator);
  CHECK(f.sync() == 2);
  CHECK(f.output.find("another account") != std::string::npos);
  CHECK(f.output.find("olga@other.example") != std::string::npos);
  check_unchanged(before, snapshot(f, *f.emulator));
  // A mirror written before the account was recorded is told by its users table.
  f.shell("DELETE FROM sync_meta WHERE key LIKE 'account%';");
  CHECK(f.sync() == 2);
  CHECK(f.output.find("another account") != std::string::npos);
  check_unchanged(before, snapshot(f, *f.emulator));
}

TEST_CASE("a legitimate move (same account, new address) is adopted with --adopt-account") {
  SyncFixture f({"--sample", "10", "--seed", "1"});
  REQUIRE(f.sync() == 0);
  // The same account, now at another address.
  EmulatorProcess moved({"--sample", "10", "--seed", "1"});
  f.config = write_sync_config(f.dir, moved);
  CHECK(f.sync() == 2);
  CHECK(f.output.find("--adopt-account") != std::string::npos);
  CHECK(f.sync({"sync", "--adopt-account"}) == 0);
  CHECK(f.output.find("adopted") != std::string::npos);
  f.shell("UPDATE contacts SET city = 'After the move' WHERE id = (SELECT min(id) FROM contacts);");
  CHECK(f.sync() == 0);
  const auto id = f.number("SELECT min(id) FROM contacts");
  CHECK(http_request("GET", moved.url() + "/contact/" + std::to_string(id))
            .json()
            .at("content")
            .at(0)
            .at("city") == "After the move");
  // The old address is now the other one.
  f.config = write_sync_config(f.dir, *f.emulator);
  CHECK(f.sync() == 2);
}
