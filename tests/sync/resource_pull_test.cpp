// The diff a pull applies, without the network: elements in, rows and history out.
#include <doctest/doctest.h>

#include <SQLiteCpp/Statement.h>
#include <boost/json.hpp>

#include <algorithm>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "mirror_fixture.h"
#include "model/resources.h"
#include "sync/resource_pull.h"

using namespace clevertim;
using clevertim::testing::run_sqlite3;

namespace {

struct Fixture : testing::MirrorFile {
  // Pulls the contact list given as a JSON array.
  sync::PullReport pull(std::string_view json_array, sync::PullOptions options = {}) {
    sync::ResourcePull pull(mirror, *model::find_resource("contact"));
    const boost::json::value list = boost::json::parse(json_array);
    for (const auto& element : list.as_array()) pull.accept(element);
    return pull.apply(options);
  }
  long long number(const std::string& sql) { return mirror.db().execAndGet(sql).getInt64(); }
  std::string text(const std::string& sql) { return mirror.db().execAndGet(sql).getString(); }
  long long total_changes() { return number("SELECT total_changes()"); }
};

std::string contacts(int count, const char* city = "Oslo") {
  std::string out = "[";
  for (int i = 1; i <= count; ++i)
    out += std::string(i > 1 ? "," : "") + R"({"id": )" + std::to_string(i) + R"(, "fn": "P)" +
           std::to_string(i) + R"(", "city": ")" + city + R"("})";
  return out + "]";
}

}  // namespace

TEST_CASE_FIXTURE(Fixture, "a first pull creates every element") {
  const auto report = pull(contacts(10));
  CHECK(report.created == 10);
  CHECK(number("SELECT count(*) FROM contacts WHERE sync_state = 'synced'") == 10);
  CHECK(text("SELECT first_name FROM contacts WHERE id = 3") == "P3");
  CHECK(number("SELECT count(*) FROM outbox") == 0);
}

TEST_CASE_FIXTURE(Fixture, "an unchanged re-pull writes nothing") {
  pull(contacts(10));
  const long long before = total_changes();
  const auto report = pull(contacts(10));
  CHECK(report.unchanged == 10);
  CHECK(report.rows_written() == 0);
  CHECK(total_changes() - before == 0);
}

TEST_CASE_FIXTURE(Fixture, "updates replace the row and keep the earlier version in history") {
  pull(contacts(3));
  const auto report = pull(
      R"([{"id": 1, "fn": "P1", "city": "Rome"}, {"id": 2, "fn": "P2", "city": "Oslo"},
          {"id": 3, "fn": "P3", "city": "Oslo"}])");
  CHECK(report.updated == 1);
  CHECK(report.unchanged == 2);
  CHECK(text("SELECT city FROM contacts WHERE id = 1") == "Rome");
  CHECK(text("SELECT operation FROM history WHERE id = 1") == "update");
  CHECK(text("SELECT raw FROM history WHERE id = 1").find("Oslo") != std::string::npos);
}

TEST_CASE_FIXTURE(Fixture, "deletions move the row to history") {
  pull(contacts(10));
  const auto report = pull(contacts(8));
  CHECK(report.deleted == 2);
  CHECK(number("SELECT count(*) FROM contacts") == 8);
  CHECK(number("SELECT count(*) FROM history WHERE operation = 'delete' AND id IN (9, 10)") == 2);
  CHECK(text("SELECT raw FROM history WHERE id = 10").find("P10") != std::string::npos);
}

TEST_CASE_FIXTURE(Fixture, "a mass deletion is held unless allowed") {
  pull(contacts(20));
  auto report = pull(contacts(3));
  CHECK(report.mass_delete_held);
  CHECK(report.held_reason.find("--allow-mass-delete") != std::string::npos);
  CHECK(number("SELECT count(*) FROM contacts") == 20);
  report = pull("[]");
  CHECK(report.mass_delete_held);
  CHECK(number("SELECT count(*) FROM contacts") == 20);
  sync::PullOptions allow;
  allow.allow_mass_delete = true;
  report = pull(contacts(3), allow);
  CHECK_FALSE(report.mass_delete_held);
  CHECK(report.deleted == 17);
}

// NaN compares false with everything: `deletions > NaN * rows` was never true, so an empty
// list deleted every row. A share that is not a number from 0 to 1 must not switch it off.
TEST_CASE_FIXTURE(Fixture,
                  "the pull's mass-deletion guard holds with a share that is not a share") {
  pull(contacts(20));
  for (double share : {std::numeric_limits<double>::quiet_NaN(),
                       std::numeric_limits<double>::infinity(), -0.1, 1.5}) {
    CAPTURE(share);
    sync::PullOptions options;
    options.mass_delete_share = share;
    CHECK(pull("[]", options).mass_delete_held);
    CHECK(number("SELECT count(*) FROM contacts") == 20);
  }
}

TEST_CASE_FIXTURE(Fixture, "a few deletions in a small table are not a mass deletion") {
  pull(contacts(6));
  const auto report = pull(contacts(1));
  CHECK_FALSE(report.mass_delete_held);
  CHECK(report.deleted == 5);
}

TEST_CASE_FIXTURE(Fixture, "malformed and duplicate elements are skipped, the rest syncs") {
  const auto report = pull(
      R"([{"id": 1, "fn": "A"}, {"fn": "no id"}, 17, {"id": "x"}, {"id": 1, "fn": "dup"},
          {"id": 2, "fn": "B", "startDate": "odd"}])");
  CHECK(report.created == 2);
  CHECK(report.skipped == 4);
  CHECK(text("SELECT first_name FROM contacts WHERE id = 1") == "A");
}

TEST_CASE_FIXTURE(Fixture, "a row with local changes is not overwritten by a pull") {
  pull(contacts(3));
  REQUIRE(run_sqlite3(dir / "crm.db", "UPDATE contacts SET city = 'Paris' WHERE id = 2;").ok());
  const auto report = pull(
      R"([{"id": 1, "fn": "P1", "city": "Oslo"}, {"id": 2, "fn": "P2", "city": "Rome"},
          {"id": 3, "fn": "P3", "city": "Oslo"}])");
  CHECK(report.kept_local == 1);
  CHECK(text("SELECT city FROM contacts WHERE id = 2") == "Paris");
  CHECK(text("SELECT sync_state FROM contacts WHERE id = 2") == "pending");
  CHECK(text("SELECT raw FROM remote_versions WHERE id = 2").find("Rome") != std::string::npos);
  // The base (raw) is still the last synced version.
  CHECK(text("SELECT raw FROM contacts WHERE id = 2").find("Oslo") != std::string::npos);
}

TEST_CASE_FIXTURE(Fixture, "a row deleted remotely but edited locally is kept") {
  pull(contacts(3));
  REQUIRE(run_sqlite3(dir / "crm.db", "UPDATE contacts SET city = 'Paris' WHERE id = 3;").ok());
  const auto report = pull(contacts(2));
  CHECK(report.deleted == 0);
  CHECK(report.kept_local == 1);
  CHECK(number("SELECT deleted FROM remote_versions WHERE id = 3") == 1);
  CHECK(text("SELECT city FROM contacts WHERE id = 3") == "Paris");
}

TEST_CASE_FIXTURE(Fixture, "a row deleted locally is not brought back by the pull") {
  pull(contacts(3));
  REQUIRE(run_sqlite3(dir / "crm.db", "DELETE FROM contacts WHERE id = 3;").ok());
  auto report = pull(contacts(3));
  CHECK(report.unchanged == 3);
  CHECK(number("SELECT count(*) FROM contacts WHERE id = 3") == 0);
  // ... but a remote edit of it is recorded for the push to decide.
  report = pull(R"([{"id": 1, "fn": "P1", "city": "Oslo"}, {"id": 2, "fn": "P2", "city": "Oslo"},
                    {"id": 3, "fn": "P3", "city": "Lima"}])");
  CHECK(report.kept_local == 1);
  CHECK(number("SELECT count(*) FROM contacts WHERE id = 3") == 0);
  CHECK(text("SELECT raw FROM remote_versions WHERE id = 3").find("Lima") != std::string::npos);
}

TEST_CASE_FIXTURE(Fixture, "an element without a usable id withholds every deletion of its list") {
  pull(contacts(3));
  // Element 2 arrives with an id that cannot be read: it may be row 2, which must not go.
  for (const char* bad :
       {R"("abc")", "null", "104.0", "1.02e2", "18446744073709551616", "-5", "0"}) {
    CAPTURE(bad);
    const auto report = pull(std::string(R"([{"id": 1, "fn": "P1", "city": "Oslo"}, {"id": )") +
                             bad + R"(, "fn": "P2"}, {"id": 3, "fn": "P3", "city": "Oslo"}])");
    CHECK(report.skipped == 1);
    CHECK(report.deleted == 0);
    CHECK(report.deletions_withheld == 1);
    CHECK(number("SELECT count(*) FROM contacts WHERE id = 2") == 1);
  }
  // A list without the element at all: deleted (the cycle confirms deletions first).
  const auto report = pull(R"([{"id": 1, "fn": "P1", "city": "Oslo"},
                              {"id": 3, "fn": "P3", "city": "Oslo"}])");
  CHECK(report.deleted == 1);
  CHECK(number("SELECT count(*) FROM contacts WHERE id = 2") == 0);
}

// Found by bench/long.sh (seed 6323): the daemon's pull read the rows' states when it began;
// a local write that landed while the list downloaded was overwritten by the CRM's version, and
// the push then found nothing to send. States are read again inside the apply transaction.
TEST_CASE_FIXTURE(Fixture, "a local write that lands while the list downloads is kept") {
  pull(contacts(6));
  sync::ResourcePull pulling(mirror, *model::find_resource("contact"));
  // Another client, during the download: an edit, a deletion, and an edit of a row that the
  // CRM's list then lacks.
  run_sqlite3(dir / "crm.db",
              "UPDATE contacts SET city = 'Local' WHERE id = 1;"
              "DELETE FROM contacts WHERE id = 2;"
              "UPDATE contacts SET city = 'Kept' WHERE id = 6;");
  const boost::json::value list = boost::json::parse(
      R"([{"id": 1, "fn": "P1", "city": "Remote"}, {"id": 2, "fn": "P2", "city": "Remote"},
          {"id": 3, "fn": "P3", "city": "Oslo"}, {"id": 4, "fn": "P4", "city": "Oslo"},
          {"id": 5, "fn": "P5", "city": "Oslo"}])");
  for (const auto& element : list.as_array()) pulling.accept(element);
  const auto report = pulling.apply({});
  CHECK(report.kept_local == 3);
  CHECK(text("SELECT city || '/' || sync_state FROM contacts WHERE id = 1") == "Local/pending");
  CHECK(number("SELECT count(*) FROM contacts WHERE id = 2") == 0);  // not brought back
  CHECK(text("SELECT city || '/' || sync_state FROM contacts WHERE id = 6") == "Kept/pending");
  // Each local change still waits in the outbox, and the CRM's versions wait beside them.
  CHECK(number("SELECT count(*) FROM outbox WHERE record_id IN (1, 2, 6)") == 3);
  CHECK(number("SELECT count(*) FROM remote_versions WHERE id IN (1, 2, 6)") == 3);
}

namespace {

// What a pull left in a mirror: every contact row, its history, the CRM's versions kept.
std::string dump(storage::Mirror& mirror) {
  std::string out;
  for (const char* sql : {"SELECT id, city, sync_state, raw_hash FROM contacts ORDER BY id",
                          "SELECT id, operation, raw FROM history ORDER BY seq",
                          "SELECT id, raw, deleted FROM remote_versions ORDER BY id"}) {
    SQLite::Statement q(mirror.db(), sql);
    while (q.executeStep()) {
      for (int i = 0; i < q.getColumnCount(); ++i) out += q.getColumn(i).getString() + "|";
      out += "\n";
    }
  }
  return out;
}

std::string describe(const sync::PullReport& r) {
  return std::to_string(r.received) + " received, " + std::to_string(r.created) + " created, " +
         std::to_string(r.updated) + " updated, " + std::to_string(r.deleted) + " deleted, " +
         std::to_string(r.unchanged) + " unchanged, " + std::to_string(r.skipped) + " skipped, " +
         std::to_string(r.kept_local) + " kept local, " + std::to_string(r.confirmed_present) +
         " confirmed, " + std::to_string(r.held) + " held";
}

// A list of contacts with ids from 1 to 80: each there or not, in town A or B; in id order or
// not, and maybe naming an id twice.
std::string random_list(std::mt19937_64& rng, bool in_order) {
  std::vector<int> ids;
  for (int id = 1; id <= 80; ++id)
    if (rng() % 3 != 0) ids.push_back(id);
  if (!in_order) {
    std::shuffle(ids.begin(), ids.end(), rng);
    if (!ids.empty()) ids.push_back(ids[rng() % ids.size()]);
  }
  std::string out = "[";
  for (int id : ids)
    out += std::string(out.size() > 1 ? "," : "") + R"({"id": )" + std::to_string(id) +
           R"(, "fn": "P)" + std::to_string(id) + R"(", "city": ")" + (rng() % 4 ? "A" : "B") +
           R"("})";
  return out + "]";
}

// One list pulled into a mirror reading its table `rows_per_page` rows at a time. After the
// list, some of the ids it lacked are looked up, as a cycle does: found (`found`), or kept.
sync::PullReport pull_paged(storage::Mirror& mirror, const std::string& list,
                            std::size_t rows_per_page, std::uint64_t after_list_seed) {
  sync::ResourcePull pull(mirror, *model::find_resource("contact"), rows_per_page);
  const boost::json::value elements = boost::json::parse(list);
  for (const auto& element : elements.as_array()) pull.accept(element);
  std::mt19937_64 rng(after_list_seed);
  for (std::int64_t id : pull.missing_ids()) {
    if (rng() % 4 == 0) pull.keep(id);
    if (rng() % 4 == 0)
      pull.accept(boost::json::parse(R"({"id": )" + std::to_string(id) + R"(, "fn": "Found"})"));
  }
  sync::PullOptions options;
  options.mass_delete_min = rng() % 2 ? 5 : 1000;
  return pull.apply(options);
}

}  // namespace

// The table is compared with the list a page at a time (StoredRows): whatever the page size,
// whatever the list's order, a pull ends as one that held the whole table (one page) does.
TEST_CASE("a pull reading its table a few rows at a time ends as one reading it whole") {
  std::mt19937_64 rng(20261202);
  for (int round = 0; round < 60; ++round) {
    CAPTURE(round);
    testing::MirrorFile paged, whole;
    const std::size_t page = 1 + rng() % 6;
    for (int list = 0; list < 4; ++list) {
      const std::string next = random_list(rng, rng() % 3 != 0);
      // Local edits and deletions between the pulls, the same in both.
      std::string sql;
      for (int id = 1; id <= 80; ++id) {
        if (rng() % 15 == 0)
          sql += "UPDATE contacts SET city = 'Here' WHERE id = " + std::to_string(id) + ";";
        if (rng() % 20 == 0) sql += "DELETE FROM contacts WHERE id = " + std::to_string(id) + ";";
      }
      if (!sql.empty()) {
        REQUIRE(run_sqlite3(paged.db_path, sql).ok());
        REQUIRE(run_sqlite3(whole.db_path, sql).ok());
      }
      const std::uint64_t seed = rng();
      const sync::PullReport a = pull_paged(paged.mirror, next, page, seed);
      const sync::PullReport b = pull_paged(whole.mirror, next, 4096, seed);
      CAPTURE(page);
      CHECK(describe(a) == describe(b));
      CHECK(dump(paged.mirror) == dump(whole.mirror));
    }
  }
}

// verify reads a mirror as it is, without migrating it: one made before schema version 3 has no
// digest index. The rows are then read from the table itself, more slowly, to the same result.
TEST_CASE_FIXTURE(Fixture, "a table without its digest index is compared all the same") {
  pull(contacts(10));
  mirror.db().exec("DROP INDEX contacts_digest");
  const auto report = pull(contacts(8, "Rome"));
  CHECK(report.updated == 8);
  CHECK(report.deleted == 2);
  CHECK(number("SELECT count(*) FROM contacts WHERE city = 'Rome'") == 8);
}
