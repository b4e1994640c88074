// storage/local_ids.cpp: once the CRM answers a POST, the local (negative) id is replaced by the
// CRM's everywhere the mirror holds it, and nowhere else.
#include <doctest/doctest.h>

#include <SQLiteCpp/Statement.h>

#include <string>

#include "mirror_fixture.h"
#include "model/resources.h"
#include "storage/local_ids.h"

using namespace clevertim;
using clevertim::testing::run_sqlite3;

namespace {

struct Fixture : testing::MirrorFile {
  Fixture() {
    testing::seed(mirror, "company", R"([{"id": 77, "cn": "Acme", "is_company": true}])");
    testing::seed(mirror, "contact", R"([{"id": 42, "fn": "Ann", "companyId": 77},
      {"id": 43, "fn": "Bob", "companyId": 77}])");
  }

  // As another program writes: through the sqlite3 shell, captured by the triggers.
  void shell(const std::string& sql) {
    const auto r = run_sqlite3(db_path, sql);
    REQUIRE_MESSAGE(r.ok(), r.output);
  }
  // As the push does once the CRM answered: inside clevertim-sync's own write transaction.
  void replace(storage::LocalIdRewriter& rewriter, std::string_view endpoint, std::int64_t from,
               std::int64_t to) {
    storage::OwnWriteTransaction tx(mirror.db());
    rewriter.replace(*model::find_resource(endpoint), from, to);
    tx.commit();
  }
  long long number(const std::string& sql) { return mirror.db().execAndGet(sql).getInt64(); }
  std::string text(const std::string& sql) { return mirror.db().execAndGet(sql).getString(); }
};

}  // namespace

TEST_CASE_FIXTURE(Fixture,
                  "local ids: a new row's id is replaced in the row, references and outbox") {
  shell(
      "INSERT INTO companies (id, name) VALUES (-5, 'New Co');"
      "INSERT INTO companies (id, name) VALUES (-8, 'Other Co');"
      "INSERT INTO contacts (id, first_name, company_id) VALUES (-20, 'Cy', -5);"
      "INSERT INTO contacts (id, first_name, company_id) VALUES (-21, 'Di', -8);"
      "INSERT INTO notes (description, customer_id) VALUES ('met', -5);");
  const long long note = number("SELECT id FROM notes");
  REQUIRE(note < 0);

  storage::LocalIdRewriter rewriter(mirror.db());  // one rewriter, its statements reused
  replace(rewriter, "company", -5, 900);
  replace(rewriter, "company", -8, 901);

  CHECK(text("SELECT name FROM companies WHERE id = 900") == "New Co");
  CHECK(text("SELECT name FROM companies WHERE id = 901") == "Other Co");
  CHECK(number("SELECT count(*) FROM companies WHERE id < 0") == 0);
  // Every reference to the company: a contact's company_id, a note's customer_id.
  CHECK(number("SELECT company_id FROM contacts WHERE id = -20") == 900);
  CHECK(number("SELECT company_id FROM contacts WHERE id = -21") == 901);
  CHECK(number("SELECT customer_id FROM notes WHERE id = " + std::to_string(note)) == 900);
  // The company's queued changes follow it; those of the rows referring to it keep their ids.
  CHECK(number("SELECT count(*) FROM outbox WHERE resource = 'company' AND record_id IN (900, "
               "901)") == 2);
  CHECK(number("SELECT count(*) FROM outbox WHERE resource = 'company' AND record_id < 0") == 0);
  CHECK(number("SELECT count(*) FROM outbox WHERE resource = 'contact' AND record_id IN (-20, "
               "-21)") == 2);
  CHECK(number("SELECT count(*) FROM outbox WHERE resource = 'note' AND record_id = " +
               std::to_string(note)) == 1);
  // Rows of the CRM are untouched; the rewrite itself was not captured as a local edit.
  CHECK(number("SELECT count(*) FROM contacts WHERE company_id = 77") == 2);
  CHECK(number("SELECT count(*) FROM outbox") == 5);
}

TEST_CASE_FIXTURE(Fixture,
                  "local ids: a CRM id given anew changes references of edited rows only") {
  shell("UPDATE contacts SET city = 'Oslo' WHERE id = 42;");  // 42 has a local change, 43 not
  storage::LocalIdRewriter rewriter(mirror.db());
  replace(rewriter, "company", 77, 78);
  CHECK(number("SELECT count(*) FROM companies WHERE id = 78") == 1);
  CHECK(number("SELECT count(*) FROM companies WHERE id = 77") == 0);
  // The edited row sends the new id with its next PUT; the synced one keeps what the CRM holds
  // until the next pull says otherwise.
  CHECK(number("SELECT company_id FROM contacts WHERE id = 42") == 78);
  CHECK(number("SELECT company_id FROM contacts WHERE id = 43") == 77);
}

TEST_CASE_FIXTURE(Fixture, "local ids: a new custom field's id is renamed where values use it") {
  shell(
      "INSERT INTO custom_fields (id, name, type) VALUES (-3, 'Size', 'input');"
      "UPDATE contacts SET custom_fields = '{\"-3\": \"XL\", \"12\": \"keep\"}' WHERE id = 42;"
      "UPDATE contacts SET custom_fields = '{\"12\": \"other\"}' WHERE id = 43;");
  storage::LocalIdRewriter rewriter(mirror.db());
  replace(rewriter, "customfield", -3, 501);
  CHECK(text("SELECT name FROM custom_fields WHERE id = 501") == "Size");
  CHECK(text("SELECT json_extract(custom_fields, '$.\"501\"') FROM contacts WHERE id = 42") ==
        "XL");
  CHECK(text("SELECT json_extract(custom_fields, '$.\"12\"') FROM contacts WHERE id = 42") ==
        "keep");
  CHECK(number("SELECT json_type(custom_fields, '$.\"-3\"') IS NULL FROM contacts WHERE id = 42") ==
        1);
  CHECK(text("SELECT custom_fields FROM contacts WHERE id = 43") == R"({"12": "other"})");
}
