// A whole cycle (pull every resource, then push) against the in-memory CRM.
#include <doctest/doctest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include <algorithm>
#include <chrono>
#include <iterator>
#include <optional>

#include "fake_crm.h"
#include "mirror_fixture.h"
#include "model/resources.h"
#include "sync/cycle.h"

using namespace clevertim;
using clevertim::testing::FakeCrm;
using clevertim::testing::run_sqlite3;
using clevertim::testing::ScratchDir;
namespace json = boost::json;
namespace asio = boost::asio;

namespace {

struct Fixture {
  ScratchDir dir;
  storage::Mirror mirror = storage::Mirror::open(dir / "crm.db");
  FakeCrm crm;
  sync::CycleOptions options;

  Fixture() {
    crm.store("company", json::parse(R"({"cn": "Acme"})").as_object());
    crm.store("contact", json::parse(R"({"fn": "Ann", "companyId": 1000})").as_object());
    crm.store("user", json::parse(R"({"user": "Admin"})").as_object());
  }
  sync::CycleReport cycle() {
    asio::io_context io;
    auto f = asio::co_spawn(io, sync::run_cycle(mirror, crm, crm, options), asio::use_future);
    io.run();
    return f.get();
  }
  long long number(const std::string& sql) { return mirror.db().execAndGet(sql).getInt64(); }
};

}  // namespace

TEST_CASE_FIXTURE(Fixture, "a cycle pulls every resource and records the run") {
  crm.unavailable = {"group"};
  const auto report = cycle();
  CHECK(report.ok());
  CHECK(report.skipped == std::vector<std::string>{"group"});
  CHECK(report.pulled() == 3);
  CHECK(number("SELECT count(*) FROM contacts") == 1);
  CHECK(number("SELECT count(*) FROM users") == 1);
  CHECK(number("SELECT pulled FROM sync_runs") == 3);
  CHECK(number("SELECT ended_at IS NOT NULL FROM sync_runs") == 1);
}

TEST_CASE_FIXTURE(Fixture, "a local write is pushed by the next cycle") {
  cycle();
  REQUIRE(run_sqlite3(dir / "crm.db", "UPDATE contacts SET city = 'Oslo';").ok());
  crm.requests.clear();
  options.pull_enabled = false;
  const auto report = cycle();
  CHECK(report.ok());
  CHECK(report.push.updated == 1);
  // Without a pull just before, the element's current version is read before the PUT.
  CHECK(crm.requests == std::vector<std::string>{"GET contact 1001",
                                                 R"(PUT contact 1001 {"city":"Oslo","id":1001})"});
}

TEST_CASE_FIXTURE(Fixture, "a failed read-all applies nothing and the cycle reports it") {
  cycle();
  crm.elements["contact"].clear();
  crm.failing = {"contact"};
  const auto report = cycle();
  CHECK_FALSE(report.ok());
  REQUIRE(report.pull_failures.size() == 1);
  CHECK(report.pull_failures[0].find("contact: 503") == 0);
  CHECK(number("SELECT count(*) FROM contacts") == 1);
  CHECK(number("SELECT failed FROM sync_runs ORDER BY id DESC LIMIT 1") == 1);
}

TEST_CASE_FIXTURE(Fixture, "a read-all retried after breaking half-way counts each element once") {
  crm.store("contact", json::parse(R"({"fn": "Bo"})").as_object());
  crm.fail_half_way_once = {"contact"};
  const auto report = cycle();
  CHECK(report.ok());
  CHECK(number("SELECT count(*) FROM contacts") == 2);
}

TEST_CASE_FIXTURE(Fixture, "a stop request ends the cycle at the next resource") {
  std::atomic<bool> stop{true};
  options.stop_requested = &stop;
  const auto report = cycle();
  CHECK(report.stopped);
  CHECK_FALSE(report.ok());
  CHECK(number("SELECT count(*) FROM contacts") == 0);
}

TEST_CASE_FIXTURE(Fixture, "the next collection is requested before the previous one is written") {
  // The collection a cycle reads right before the contacts (model::resources_in_pull_order).
  const std::vector<const model::Resource*> order = model::resources_in_pull_order();
  const auto contact = std::find_if(order.begin(), order.end(), [](const model::Resource* r) {
    return r->endpoint == "contact";
  });
  REQUIRE(contact != order.end());
  REQUIRE(contact != order.begin());
  const model::Resource& before = **std::prev(contact);
  CAPTURE(before.endpoint);
  const std::string count_before = "SELECT count(*) FROM " + std::string(before.table);
  if (before.endpoint != "company")
    crm.store(std::string(before.endpoint), json::parse(R"({"name": "Before"})").as_object());
  long long written_when_contacts_requested = -1;
  crm.on_fetch = [&](const std::string& resource) {
    if (resource == "contact") written_when_contacts_requested = number(count_before);
  };
  const auto report = cycle();
  CHECK(report.ok());
  CHECK(written_when_contacts_requested == 0);
  CHECK(number("SELECT count(*) FROM contacts") == 1);
  CHECK(number(count_before) == 1);
}

TEST_CASE_FIXTURE(Fixture,
                  "a read-all that throws ends the cycle with its error, applying nothing of it") {
  crm.throwing = {"contact"};
  CHECK_THROWS_WITH(cycle(), "reading contact broke");
  CHECK(number("SELECT count(*) FROM contacts") == 0);
  CHECK(number("SELECT count(*) FROM companies") == 1);  // read whole before: applied
  // The next cycle, with the fault gone, pulls the rest.
  crm.throwing.clear();
  CHECK(cycle().ok());
  CHECK(number("SELECT count(*) FROM contacts") == 1);
}

// A create whose answer was lost may have reached the CRM: only a pull of its list can tell.
// When that pull fails, the create must wait; sending it again would make a second element.
TEST_CASE_FIXTURE(Fixture,
                  "a failed pull is not fresh: a lost create waits instead of a 2nd POST") {
  REQUIRE(cycle().ok());
  REQUIRE(run_sqlite3(dir / "crm.db", "INSERT INTO contacts (first_name) VALUES ('Lost');").ok());
  crm.next_failures = {sync::WriteResult::Status::kUnknown};
  crm.commit_before_failing = true;  // the CRM created it; the answer never came
  auto report = cycle();
  CHECK_FALSE(report.ok());
  REQUIRE(crm.elements["contact"].size() == 2);
  REQUIRE(number("SELECT count(*) FROM push_intents") == 1);

  crm.failing = {"contact"};
  crm.requests.clear();
  report = cycle();
  CHECK_FALSE(report.ok());
  CHECK(report.push.created == 0);
  CHECK(report.push.waiting >= 1);
  for (const std::string& request : crm.requests) CHECK(request.rfind("POST", 0) != 0);
  CHECK(crm.elements["contact"].size() == 2);
  CHECK(number("SELECT count(*) FROM push_intents") == 1);

  // Once the list can be read, the element is found and adopted: still exactly one.
  crm.failing.clear();
  report = cycle();
  CHECK(report.ok());
  CHECK(crm.elements["contact"].size() == 2);
  CHECK(number("SELECT count(*) FROM contacts WHERE first_name = 'Lost'") == 1);
  CHECK(number("SELECT count(*) FROM contacts WHERE first_name = 'Lost' AND id > 0") == 1);
  CHECK(number("SELECT count(*) FROM push_intents") == 0);
}

// The same through whole cycles, with the element edited in the CRM before the next pull: it
// no longer matches the POST on every field, and is found among the elements that pull found
// new (the cycle keeps those only for resources with such a lost create).
TEST_CASE_FIXTURE(Fixture, "a lost create edited in the CRM before the next cycle is adopted") {
  REQUIRE(cycle().ok());
  REQUIRE(run_sqlite3(dir / "crm.db",
                      "INSERT INTO contacts (first_name, city) VALUES ('Lost', 'Oslo');")
              .ok());
  crm.next_failures = {sync::WriteResult::Status::kUnknown};
  crm.commit_before_failing = true;  // the CRM created it; the answer never came
  REQUIRE_FALSE(cycle().ok());
  REQUIRE(crm.elements["contact"].size() == 2);
  std::int64_t created = 0;
  for (auto& [id, e] : crm.elements["contact"])
    if (e.at("fn") == "Lost") {
      created = id;
      e["city"] = "Rome";  // edited in the CRM before the next pull
    }
  REQUIRE(created != 0);

  const auto report = cycle();
  CHECK(report.ok());
  CHECK(report.push.created == 0);
  CHECK(crm.elements["contact"].size() == 2);
  CHECK(number("SELECT count(*) FROM contacts WHERE first_name = 'Lost'") == 1);
  CHECK(number("SELECT count(*) FROM contacts WHERE id = " + std::to_string(created)) == 1);
  CHECK(number("SELECT count(*) FROM push_intents") == 0);
}

// A row the CRM's list lacks is looked up before it is deleted; a lookup that fails (a 503)
// proves nothing, and the row stays until a lookup answers 404.
TEST_CASE_FIXTURE(Fixture, "a missing row whose lookup fails is kept, and deleted once confirmed") {
  REQUIRE(cycle().ok());
  REQUIRE(number("SELECT count(*) FROM contacts") == 1);
  crm.elements["contact"].clear();
  crm.next_read_failures = {sync::WriteResult::Status::kRetryLater};
  cycle();
  CHECK(number("SELECT count(*) FROM contacts") == 1);
  CHECK(number("SELECT count(*) FROM history WHERE operation = 'delete'") == 0);
  CHECK(cycle().ok());
  CHECK(number("SELECT count(*) FROM contacts") == 0);
  CHECK(number("SELECT count(*) FROM history WHERE operation = 'delete'") == 1);
}

// A first fill is written while its list still arrives (CycleOptions::early_apply_from), in one
// transaction that commits only once the list arrived whole. Elements here are large, so that
// the staging file publishes them (64 KiB at a time) before the list ends.
namespace {

struct FirstFill : Fixture {
  static constexpr std::size_t kContacts = 60;
  bool written_mid_list = false;  // contacts were seen written, two thirds into their list
  std::optional<std::chrono::steady_clock::time_point> waiting_since;

  FirstFill() {
    crm.elements["contact"].clear();
    for (std::size_t i = 0; i < kContacts; ++i)
      crm.store("contact", json::object{{"fn", "C" + std::to_string(i)},
                                        {"background", std::string(4000, 'x')}});
    options.early_apply_from = 2;
    // Two thirds into the list, contacts must be written already. The list pauses there until
    // they are, for up to five seconds.
    crm.on_element_sent = [this](const std::string& name, std::size_t sent) {
      if (name != "contact" || sent != kContacts * 2 / 3 || written_mid_list) return true;
      if (!waiting_since) waiting_since = std::chrono::steady_clock::now();
      written_mid_list = contacts_written();
      return written_mid_list ||
             std::chrono::steady_clock::now() - *waiting_since > std::chrono::seconds(5);
    };
  }

  // Whether contacts are written: asked on the mirror's own connection, which sees what its
  // open transaction wrote (no other connection would, before the commit).
  bool contacts_written() { return contacts() > 0; }
  long long contacts() { return number("SELECT count(*) FROM contacts"); }
};

std::int64_t created_in(const sync::CycleReport& report, const std::string& resource) {
  for (const auto& p : report.pulls)
    if (p.resource == resource) return p.created;
  return -1;
}

}  // namespace

TEST_CASE_FIXTURE(FirstFill, "a first fill is written while its list arrives, and commits whole") {
  const auto report = cycle();
  CHECK(report.ok());
  CHECK(written_mid_list);
  CHECK(contacts() == static_cast<long long>(kContacts));
  CHECK(created_in(report, "contact") == static_cast<long long>(kContacts));
  CHECK(number("SELECT count(*) FROM contacts WHERE raw IS NULL OR sync_state <> 'synced'") == 0);
  // Unchanged: nothing written the second time.
  const auto again = cycle();
  CHECK(again.ok());
  CHECK(created_in(again, "contact") == 0);
}

TEST_CASE_FIXTURE(
    FirstFill,
    "a first fill whose list breaks off after the early write began keeps nothing of it") {
  crm.break_off_after["contact"] = kContacts - 5;
  const auto report = cycle();
  CHECK_FALSE(report.ok());
  CHECK(written_mid_list);
  CHECK(contacts() == 0);
  CHECK(number("SELECT count(*) FROM companies") == 1);  // the other lists are applied
  // The mirror's connection is left outside any transaction: the next cycle fills it.
  crm.break_off_after.clear();
  const auto next = cycle();
  CHECK(next.ok());
  CHECK(contacts() == static_cast<long long>(kContacts));
  CHECK(created_in(next, "contact") == static_cast<long long>(kContacts));
}

TEST_CASE_FIXTURE(
    FirstFill,
    "a first fill whose list starts over after the early write began counts each element once") {
  crm.restart_after["contact"] = kContacts - 5;
  const auto report = cycle();
  CHECK(report.ok());
  CHECK(written_mid_list);
  CHECK(contacts() == static_cast<long long>(kContacts));
  CHECK(created_in(report, "contact") == static_cast<long long>(kContacts));
}

TEST_CASE_FIXTURE(
    FirstFill,
    "a first fill whose reading throws after the early write began keeps nothing of it") {
  crm.throw_after["contact"] = kContacts - 5;
  CHECK_THROWS_WITH(cycle(), "reading contact broke");
  CHECK(written_mid_list);
  CHECK(contacts() == 0);
  crm.throw_after.clear();
  const auto next = cycle();
  CHECK(next.ok());
  CHECK(contacts() == static_cast<long long>(kContacts));
}

TEST_CASE_FIXTURE(FirstFill, "a list below early_apply_from is written once whole, as any other") {
  options.early_apply_from = 1000;
  const auto report = cycle();
  CHECK(report.ok());
  CHECK_FALSE(written_mid_list);
  CHECK(contacts() == static_cast<long long>(kContacts));
}
