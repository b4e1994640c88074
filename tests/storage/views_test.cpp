#include <doctest/doctest.h>

#include <SQLiteCpp/Statement.h>

#include "mirror_fixture.h"

using namespace clevertim;
using clevertim::testing::ScratchDir;

namespace {

// All rows of a query, each row's columns joined with '|', rows joined with ';'.
std::string rows(SQLite::Database& db, const std::string& sql) {
  SQLite::Statement q(db, sql);
  std::string out;
  while (q.executeStep()) {
    if (!out.empty()) out += ";";
    for (int i = 0; i < q.getColumnCount(); ++i)
      out += (i ? "|" : "") +
             (q.getColumn(i).isNull() ? std::string("NULL") : q.getColumn(i).getString());
  }
  return out;
}

struct Fixture {
  ScratchDir dir;
  storage::Mirror mirror = storage::Mirror::open(dir / "crm.db");
  Fixture() {
    testing::seed(mirror, "customfield", R"([{"id": 12, "name": "Tier", "elemType": "select"},
      {"id": 13, "name": "Regions", "elemType": "select", "multiple": true}])");
    testing::seed(mirror, "user", R"([{"id": 2, "user": "Ann Admin"}])");
    testing::seed(mirror, "company", R"([{"id": 77, "cn": "Acme", "email": ["info@acme.test"],
      "tags": ["b2b"], "cf": {"12": "gold"}}])");
    testing::seed(mirror, "contact", R"([
      {"id": 42, "fn": "Ann", "ln": "Lee", "email": ["ann@a.test", "ann@b.test"],
       "phones": [{"type": "Work", "no": "123"}, {"type": "Mobile", "no": "456"}],
       "tags": ["vip"], "cf": {"12": "silver", "13": ["north", "south"], "99": "orphan"}},
      {"id": 43, "fn": "Bo", "phones": ["not an object"], "email": null}])");
    testing::seed(mirror, "opportunity", R"([
      {"id": 5, "name": "A", "status": "Open", "value": "4500", "currency": "EUR"},
      {"id": 6, "name": "B", "status": "Open", "value": "500.5", "currency": "EUR"},
      {"id": 7, "name": "C", "status": "Won", "value": "100", "currency": "USD"}])");
    testing::seed(mirror, "task", R"([
      {"id": 9, "name": "Call Ann", "cust": 42, "aUserId": 2, "is_completed": false},
      {"id": 10, "name": "Visit Acme", "cust": 77, "is_deleted": false},
      {"id": 11, "name": "Done", "cust": 42, "is_completed": true},
      {"id": 12, "name": "Gone", "is_deleted": true}])");
  }
};

}  // namespace

TEST_CASE_FIXTURE(Fixture, "array views give one row per element") {
  auto& db = mirror.db();
  CHECK(rows(db, "SELECT contact_id, email FROM contact_emails ORDER BY email") ==
        "42|ann@a.test;42|ann@b.test");
  CHECK(
      rows(db, "SELECT contact_id, type, number FROM contact_phones ORDER BY contact_id, number") ==
      "42|Work|123;42|Mobile|456");
  CHECK(rows(db, "SELECT contact_id, tag FROM contact_tags") == "42|vip");
  CHECK(rows(db, "SELECT company_id, email FROM company_emails") == "77|info@acme.test");
  CHECK(rows(db, "SELECT company_id, tag FROM company_tags") == "77|b2b");
}

TEST_CASE_FIXTURE(Fixture, "custom_values names each field from custom_fields") {
  CHECK(rows(mirror.db(),
             "SELECT resource, record_id, field_id, coalesce(field_name, '?'), value "
             "FROM custom_values ORDER BY resource, record_id, field_id") ==
        "company|77|12|Tier|gold;contact|42|12|Tier|silver;"
        "contact|42|13|Regions|[\"north\",\"south\"];contact|42|99|?|orphan");
}

TEST_CASE_FIXTURE(Fixture, "pipeline sums opportunities by status and currency") {
  CHECK(rows(mirror.db(),
             "SELECT status, currency, count, total_value FROM pipeline ORDER BY status") ==
        "Open|EUR|2|5000.5;Won|USD|1|100.0");
}

TEST_CASE_FIXTURE(Fixture, "open_tasks lists tasks neither completed nor deleted, with names") {
  CHECK(rows(mirror.db(),
             "SELECT id, name, customer_name, coalesce(assignee_name, '-') FROM open_tasks "
             "ORDER BY id") == "9|Call Ann|Ann Lee|Ann Admin;10|Visit Acme|Acme|-");
}

TEST_CASE_FIXTURE(Fixture, "a view skips a value that is not valid JSON instead of failing") {
  // Written by clevertim-sync itself (a pulled odd value stays NULL; this simulates damage).
  storage::OwnWriteTransaction tx(mirror.db());
  mirror.db().exec("UPDATE contacts SET emails = 'broken' WHERE id = 43");
  tx.commit();
  CHECK(rows(mirror.db(), "SELECT count(*) FROM contact_emails") == "2");
}

TEST_CASE_FIXTURE(Fixture, "note_customers lists every customer of a note, one or several") {
  testing::seed(mirror, "note", R"([
      {"id": 20, "desc": "one", "cust": 42},
      {"id": 21, "desc": "one in a list", "cust": [77]},
      {"id": 22, "desc": "both", "cust": [42, 77]},
      {"id": 23, "desc": "none"}])");
  auto& db = mirror.db();
  CHECK(rows(db, "SELECT id, coalesce(customer_id, '-') FROM notes ORDER BY id") ==
        "20|42;21|77;22|-;23|-");
  CHECK(rows(db,
             "SELECT note_id, customer_id, customer_kind FROM note_customers "
             "ORDER BY note_id, customer_id") ==
        "20|42|contact;21|77|company;22|42|contact;22|77|company");
}
