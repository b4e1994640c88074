#include <doctest/doctest.h>

#include <SQLiteCpp/Statement.h>

#include <boost/json.hpp>

#include <atomic>
#include <fstream>
#include <sstream>
#include <thread>

#include "mirror_fixture.h"
#include "storage/backup.h"

using namespace clevertim;
using clevertim::testing::ScratchDir;
namespace json = boost::json;

namespace {

std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

struct Fixture {
  ScratchDir dir;
  storage::Mirror mirror = storage::Mirror::open(dir / "crm.db");
  Fixture() {
    testing::seed(mirror, "company", R"([{"id": 77, "cn": "Acme"}])");
    testing::seed(mirror, "contact", R"([{"id": 43, "fn": "Bo", "x_unknown": [1]},
                                         {"id": 42, "fn": "Ann", "companyId": 77}])");
  }
};

}  // namespace

TEST_CASE_FIXTURE(Fixture, "a backup is a sound copy that opens as a mirror") {
  const auto report = storage::backup_mirror(mirror, dir / "copy.db");
  CHECK(report.bytes > 0);
  auto copy = storage::Mirror::open(dir / "copy.db");
  CHECK(copy.db().execAndGet("SELECT count(*) FROM contacts").getInt() == 2);
  CHECK(copy.db().execAndGet("PRAGMA integrity_check").getString() == "ok");
}

TEST_CASE_FIXTURE(Fixture, "a backup taken while another connection writes is consistent") {
  // A writer keeps committing pairs (company c<i>, contact p<i>), one transaction each, and
  // counts them. A backup overlapped writes when the count moved while it ran; its copy must
  // then hold a prefix of the pairs: whole pairs 0..n-1, n between the counts before and after.
  std::atomic<bool> stop{false};
  std::atomic<int> committed{0};
  std::thread writer([&] {
    SQLite::Database db((dir / "crm.db").string(), SQLite::OPEN_READWRITE);
    db.setBusyTimeout(5000);
    for (int i = 0; !stop && i < 1000000; ++i) {
      db.exec("BEGIN IMMEDIATE");
      db.exec("INSERT INTO companies (name) VALUES ('c" + std::to_string(i) + "')");
      db.exec("INSERT INTO contacts (first_name) VALUES ('p" + std::to_string(i) + "')");
      db.exec("COMMIT");
      committed = i + 1;
    }
  });
  while (committed < 10) std::this_thread::yield();  // the writer is under way
  int overlapped = 0;
  for (int i = 0; i < 20 && overlapped < 3; ++i) {
    const auto target = dir / ("copy" + std::to_string(i) + ".db");
    const int before = committed;
    storage::backup_mirror(mirror, target, {.compress = false, .replace = true});
    const int after = committed;
    if (after > before) ++overlapped;
    SQLite::Database copy(target.string(), SQLite::OPEN_READONLY);
    const int companies = copy.execAndGet("SELECT count(*) FROM companies").getInt();
    const int contacts = copy.execAndGet("SELECT count(*) FROM contacts").getInt();
    const int pairs = companies - 1;
    CAPTURE(before);
    CAPTURE(after);
    CHECK(contacts - 2 == pairs);
    CHECK(pairs >= before);
    CHECK(pairs <= after);
    // Exactly the first `pairs` of them, each whole: a prefix of the writer's history.
    CHECK(copy.execAndGet("SELECT count(DISTINCT name) FROM companies WHERE name GLOB 'c[0-9]*' "
                          "AND CAST(substr(name, 2) AS INTEGER) < " +
                          std::to_string(pairs))
              .getInt() == pairs);
    CHECK(copy.execAndGet("SELECT count(DISTINCT first_name) FROM contacts WHERE first_name GLOB "
                          "'p[0-9]*' AND CAST(substr(first_name, 2) AS INTEGER) < " +
                          std::to_string(pairs))
              .getInt() == pairs);
    CHECK(copy.execAndGet("SELECT count(*) FROM outbox").getInt() == 2 * pairs);
    CHECK(copy.execAndGet("PRAGMA integrity_check").getString() == "ok");
  }
  stop = true;
  writer.join();
  // Writes happened while backups ran: otherwise this test proved nothing about them.
  CHECK(overlapped >= 1);
}

TEST_CASE_FIXTURE(Fixture, "a compressed backup is gzip and reads back as the mirror") {
  storage::backup_mirror(mirror, dir / "copy.db.gz");
  const std::string bytes = read_file(dir / "copy.db.gz");
  REQUIRE(bytes.size() > 2);
  CHECK(static_cast<unsigned char>(bytes[0]) == 0x1f);
  const auto plain = storage::readable_backup(dir / "copy.db.gz", dir.path());
  SQLite::Database copy(plain.string(), SQLite::OPEN_READONLY);
  CHECK(copy.execAndGet("SELECT first_name FROM contacts WHERE id = 42").getString() == "Ann");
}

TEST_CASE_FIXTURE(Fixture, "a backup into a missing folder fails and says where") {
  CHECK_THROWS_WITH_AS(storage::backup_mirror(mirror, dir / "no" / "copy.db"),
                       doctest::Contains("does not exist"), storage::BackupError);
}

TEST_CASE_FIXTURE(Fixture, "an export holds every element as the CRM sent it, ordered by id") {
  const auto report = storage::export_mirror(mirror, dir / "export", false);
  CHECK(report.counts.at("contact") == 2);
  const json::value contacts = json::parse(read_file(dir / "export" / "contact.json"));
  REQUIRE(contacts.as_array().size() == 2);
  CHECK(contacts.as_array()[0].at("id") == 42);
  CHECK(contacts.as_array()[1].at("x_unknown").as_array()[0] == 1);
  const json::value manifest = json::parse(read_file(dir / "export" / "manifest.json"));
  CHECK(manifest.at("counts").at("company") == 1);
  CHECK(manifest.at("schema_version") == mirror.schema_version());
  // Two exports of the same mirror are equal, byte for byte, but for the manifest's time.
  storage::export_mirror(mirror, dir / "export2", false);
  CHECK(read_file(dir / "export" / "contact.json") == read_file(dir / "export2" / "contact.json"));
}

TEST_CASE_FIXTURE(Fixture, "an export with history carries every recorded version") {
  {
    storage::OwnWriteTransaction tx(mirror.db());
    mirror.db().exec(
        "INSERT INTO history (resource, id, seen_at, operation, raw) VALUES ('contact', 9, "
        "'2026-01-01T00:00:00Z', 'delete', '{\"id\":9,\"fn\":\"Gone\"}')");
    tx.commit();
  }
  const auto report = storage::export_mirror(mirror, dir / "export", true);
  CHECK(report.history_versions == 1);
  const json::value history = json::parse(read_file(dir / "export" / "history.json"));
  CHECK(history.as_array()[0].at("element").at("fn") == "Gone");
}
