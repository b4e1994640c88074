// `clevertim-sync verify`: the mirror compared with the CRM field by field, writing nothing.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "integration_fixture.h"

using namespace clevertim::testing;
namespace json = boost::json;

namespace {

std::string file_bytes(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// Every request the emulator logged since the last clear, as "METHOD path".
std::vector<std::string> requests(SyncFixture& f) {
  std::vector<std::string> out;
  const json::value log = control(*f.emulator, "GET", "log").json();
  for (const auto& e : log.at("requests").as_array())
    out.push_back(std::string(e.at("method").as_string()) + " " +
                  std::string(e.at("path").as_string()));
  return out;
}

}  // namespace

TEST_CASE_FIXTURE(SyncFixture,
                  "verify: a synced mirror equals the CRM, and verify writes nothing") {
  REQUIRE(sync() == 0);
  shell("PRAGMA wal_checkpoint(TRUNCATE);");
  const std::string before = file_bytes(database());
  REQUIRE(control(*emulator, "DELETE", "log").status == 200);
  CHECK_MESSAGE(sync({"verify"}) == 0, output);
  CHECK(output.find(" 0 differences") != std::string::npos);
  for (const std::string& r : requests(*this)) CHECK_MESSAGE(r.rfind("GET ", 0) == 0, r);
  CHECK(file_bytes(database()) == before);
}

TEST_CASE_FIXTURE(SyncFixture, "verify: a CRM edit not yet pulled is a difference, exit 1") {
  REQUIRE(sync() == 0);
  const auto id = remote("contact")[0].at("id").as_int64();
  REQUIRE(
      web("PUT", "contact/" + std::to_string(id), R"({"title": "Changed in the CRM"})").status ==
      200);
  CHECK(sync({"verify"}) == 1);
  CHECK_MESSAGE(
      output.find("contact " + std::to_string(id) + ": title: mirror") != std::string::npos,
      output);
  CHECK(output.find("'Changed in the CRM'") != std::string::npos);
  // Deleted in the CRM, and created there: both show.
  const auto other = remote("company")[0].at("id").as_int64();
  REQUIRE(web("DELETE", "company/" + std::to_string(other)).status == 200);
  REQUIRE(web("POST", "company", R"({"cn": "Only in the CRM"})").status == 200);
  CHECK(sync({"verify"}) == 1);
  CHECK(output.find("in the mirror as synced, but not in the CRM") != std::string::npos);
  CHECK(output.find("in the CRM, missing from the mirror") != std::string::npos);
  REQUIRE(sync() == 0);
  CHECK_MESSAGE(sync({"verify"}) == 0, output);
}

TEST_CASE_FIXTURE(SyncFixture, "verify: local changes not pushed yet are not differences") {
  REQUIRE(sync() == 0);
  shell(
      "UPDATE contacts SET city = 'Pending' WHERE id = (SELECT min(id) FROM contacts);"
      "INSERT INTO companies (name) VALUES ('New here');");
  CHECK_MESSAGE(sync({"verify"}) == 0, output);
  CHECK(output.find("2 rows with local changes not pushed yet") != std::string::npos);
}

TEST_CASE_FIXTURE(SyncFixture, "verify: a synced row whose columns contradict its raw is found") {
  REQUIRE(sync() == 0);
  // As a bug in the daemon would leave it: a column changed without capture, row `synced`.
  shell(
      "PRAGMA recursive_triggers = OFF; UPDATE sync_control SET applying = 1;"
      "UPDATE contacts SET city = 'Nowhere' WHERE id = (SELECT min(id) FROM contacts);"
      "UPDATE sync_control SET applying = 0;");
  CHECK(sync({"verify"}) == 1);
  CHECK_MESSAGE(output.find("city: the column holds 'Nowhere'") != std::string::npos, output);
}

TEST_CASE_FIXTURE(SyncFixture, "verify: no mirror, or not a mirror: exit 5, no file created") {
  const auto missing = dir / "nothing-here.db";
  CHECK(sync({"--database", missing.string(), "verify"}) == 5);
  CHECK(output.find("there is no mirror at") != std::string::npos);
  CHECK_FALSE(std::filesystem::exists(missing));
  CHECK_FALSE(std::filesystem::exists(missing.string() + "-wal"));
  const auto text = dir / "notes.txt";
  std::ofstream(text) << "not a database\n";
  CHECK(sync({"--database", text.string(), "verify"}) == 5);
}

// A push's DELETE of a customer makes the CRM delete that customer's notes (and their
// comments) too: the mirror learns it at the next pull. verify run between the two must not
// leave the reader believing the backup is broken.
TEST_CASE_FIXTURE(SyncFixture,
                  "verify: right after a sync that pushed, it says the CRM's consequences come "
                  "with the next sync") {
  REQUIRE(sync() == 0);
  const long long customer = number(
      "SELECT coalesce(max(customer_id), 0) FROM notes WHERE customer_id IN "
      "(SELECT id FROM contacts)");
  REQUIRE(customer > 0);
  shell("DELETE FROM contacts WHERE id = " + std::to_string(customer) + ";");
  REQUIRE(sync() == 0);
  CHECK(sync({"verify"}) == 1);  // the notes are still in the mirror: a difference, honestly
  CHECK_MESSAGE(output.find("in the mirror as synced, but not in the CRM") != std::string::npos,
                output);
  CHECK_MESSAGE(output.find("the last sync pushed 1 change after it pulled") != std::string::npos,
                output);
  CHECK(output.find("run `clevertim-sync sync` again") != std::string::npos);
  REQUIRE(sync() == 0);  // pulls what the CRM did, pushes nothing
  CHECK_MESSAGE(sync({"verify"}) == 0, output);
  CHECK(output.find("the last sync pushed") == std::string::npos);
}
