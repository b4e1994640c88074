// Restore and undelete, against an in-memory CRM: dependency order, references rewritten to
// the new ids, resumable without duplicates.
#include <doctest/doctest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include "fake_crm.h"
#include "mirror_fixture.h"
#include "model/resources.h"
#include "storage/backup.h"
#include "sync/resource_pull.h"
#include "sync/restore.h"

using namespace clevertim;
using clevertim::testing::FakeCrm;
using clevertim::testing::ScratchDir;
namespace json = boost::json;
namespace asio = boost::asio;
using Status = sync::WriteResult::Status;

namespace {

constexpr const char* kAccount[][2] = {
    {"customfield", R"([{"id": 3, "name": "Tier", "elemType": "select"}])"},
    {"company", R"([{"id": 10, "cn": "Acme", "is_company": true, "notes": [30]}])"},
    {"contact", R"([{"id": 20, "fn": "Ann", "companyId": 10, "cf": {"3": "gold"}, "lm": "x"},
                    {"id": 21, "fn": "Bo", "companyId": 99}])"},
    {"note", R"([{"id": 30, "desc": "hi", "cust": 10, "comments": [40]},
                 {"id": 31, "desc": "re Ann", "cust": 20}])"},
    {"comment", R"([{"id": 40, "comment": "+1", "nid": 30, "tid": null}])"},
};

struct Fixture {
  ScratchDir dir;
  storage::Mirror source = storage::Mirror::open(dir / "source.db");
  storage::Mirror target = storage::Mirror::open(dir / "target.db");
  FakeCrm crm;

  Fixture() {
    for (const auto& [ep, list] : kAccount) testing::seed(source, ep, list);
    storage::export_mirror(source, dir / "export", false);
  }
  sync::RestoreReport restore(const sync::RestoreSet& set, bool dry_run = false) {
    sync::RestoreOptions options;
    options.source_key = "test";
    options.dry_run = dry_run;
    asio::io_context io;
    auto f =
        asio::co_spawn(io, sync::restore_elements(target, crm, set, options), asio::use_future);
    io.run();
    return f.get();
  }
  void pull_target(std::string_view ep) {
    sync::ResourcePull pull(target, *model::find_resource(ep));
    const json::value list = json::parse(crm.list(ep));
    for (const auto& e : list.as_array()) pull.accept(e);
    pull.apply({});
  }
};

}  // namespace

TEST_CASE_FIXTURE(Fixture, "a restore creates everything in order with references rewritten") {
  const auto set = sync::load_restore_source(dir / "export", dir.path());
  CHECK(set.size() == 7);
  const auto report = restore(set);
  CHECK(report.ok());  // contact 21 names a company that is not in the source...
  CHECK(report.per_resource.at("contact").created == 2);  // ... and is created without it
  REQUIRE(crm.requests.size() == 7);
  CHECK(crm.requests[0] == R"(POST customfield {"name":"Tier","elemType":"select"})");
  CHECK(crm.requests[1] == R"(POST company {"cn":"Acme","is_company":true})");
  CHECK(crm.requests[2] == R"(POST contact {"fn":"Ann","companyId":1001,"cf":{"1000":"gold"}})");
  CHECK(crm.requests[3] == R"(POST contact {"fn":"Bo"})");
  CHECK(crm.requests[4] == R"(POST note {"desc":"hi","cust":1001})");
  CHECK(crm.requests[5] == R"(POST note {"desc":"re Ann","cust":1002})");
  CHECK(crm.requests[6] == R"(POST comment {"comment":"+1","nid":1004})");
  CHECK(report.mapping.size() == 7);
  CHECK(report.problems.size() == 1);
  CHECK(report.problems[0].find("companyId 99") != std::string::npos);
}

TEST_CASE_FIXTURE(Fixture, "a dry run sends nothing and says what it would do") {
  const auto report = restore(sync::load_restore_source(dir / "export", dir.path()), true);
  CHECK(crm.requests.empty());
  CHECK(report.plan.size() == 7);
}

TEST_CASE_FIXTURE(Fixture, "a restore from a compressed backup file works the same") {
  storage::backup_mirror(source, dir / "b.db.gz");
  const auto set = sync::load_restore_source(dir / "b.db.gz", dir.path());
  REQUIRE(set.size() == 7);
  CHECK(set.elements.at("contact").size() == 2);
  CHECK(set.elements.at("contact")[0].at("fn") == "Ann");
  CHECK(set.elements.at("contact")[0].at("cf").at("3") == "gold");
  CHECK(set.elements.at("note").size() == 2);
  const auto report = restore(set);
  CHECK(report.ok());
  CHECK(report.per_resource.at("contact").created == 2);
  CHECK(report.mapping.size() == 7);
  // The same elements, in the same order, with the same references rewritten, as from the
  // export.
  REQUIRE(crm.requests.size() == 7);
  CHECK(crm.requests[0] == R"(POST customfield {"name":"Tier","elemType":"select"})");
  CHECK(crm.requests[1] == R"(POST company {"cn":"Acme","is_company":true})");
  CHECK(crm.requests[2] == R"(POST contact {"fn":"Ann","companyId":1001,"cf":{"1000":"gold"}})");
  CHECK(crm.requests[3] == R"(POST contact {"fn":"Bo"})");
  CHECK(crm.requests[4] == R"(POST note {"desc":"hi","cust":1001})");
  CHECK(crm.requests[5] == R"(POST note {"desc":"re Ann","cust":1002})");
  CHECK(crm.requests[6] == R"(POST comment {"comment":"+1","nid":1004})");
  CHECK(crm.elements["contact"][1002].at("companyId") == 1001);
  CHECK(crm.elements["comment"][1006].at("nid") == 1004);
}

TEST_CASE_FIXTURE(Fixture, "an interrupted restore resumes without duplicates") {
  const auto set = sync::load_restore_source(dir / "export", dir.path());
  // The 4th create reaches the CRM but its answer is lost; the restore stops there.
  class LosesFourth : public sync::CrmWriter {
   public:
    explicit LosesFourth(FakeCrm& crm) : crm_(crm) {}
    asio::awaitable<sync::WriteResult> create(std::string_view r, json::object e) override {
      if (++calls_ == 4) {
        crm_.store(r, e);
        co_return sync::WriteResult{Status::kUnknown, {}, "connection reset"};
      }
      co_return co_await crm_.create(r, std::move(e));
    }
    asio::awaitable<sync::WriteResult> update(std::string_view r, std::int64_t id,
                                              json::object e) override {
      co_return co_await crm_.update(r, id, std::move(e));
    }
    asio::awaitable<sync::WriteResult> remove(std::string_view r, std::int64_t id) override {
      co_return co_await crm_.remove(r, id);
    }
    asio::awaitable<sync::WriteResult> read_one(std::string_view r, std::int64_t id) override {
      co_return co_await crm_.read_one(r, id);
    }

   private:
    FakeCrm& crm_;
    int calls_ = 0;
  } losing(crm);
  sync::RestoreOptions options;
  options.source_key = "test";
  {
    asio::io_context io;
    auto f =
        asio::co_spawn(io, sync::restore_elements(target, losing, set, options), asio::use_future);
    io.run();
    const auto report = f.get();
    CHECK(report.interrupted);
  }
  // Resume after a pull of the account (as the restore command does).
  for (const char* ep : {"customfield", "company", "contact", "note", "comment"}) pull_target(ep);
  const auto report = restore(set);
  CHECK_FALSE(report.interrupted);
  CHECK(crm.elements["contact"].size() == 2);
  CHECK(crm.elements["note"].size() == 2);
  CHECK(crm.elements["comment"].size() == 1);
  CHECK(report.per_resource.at("contact").already + report.per_resource.at("contact").created == 2);
}

TEST_CASE_FIXTURE(Fixture, "undelete finds a deleted contact and its deleted notes in history") {
  // The CRM deleted Ann and her note; the pull moved them to history.
  {
    sync::ResourcePull contacts(source, *model::find_resource("contact"));
    contacts.accept(json::parse(R"({"id": 21, "fn": "Bo", "companyId": 99})"));
    contacts.apply({});
    sync::ResourcePull notes(source, *model::find_resource("note"));
    notes.accept(json::parse(R"({"id": 30, "desc": "hi", "cust": 10, "comments": [40]})"));
    notes.apply({});
  }
  const auto set = sync::deleted_element_from_history(source, "contact", 20, true);
  REQUIRE(set.elements.at("contact").size() == 1);
  CHECK(set.elements.at("note").size() == 1);
  CHECK(set.elements.at("note")[0].at("desc") == "re Ann");
  CHECK_THROWS_WITH(sync::deleted_element_from_history(source, "contact", 21, false),
                    doctest::Contains("no deleted contact 21"));
}
