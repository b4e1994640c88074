// The outbox's operations (storage/outbox.h), against a real mirror whose entries were written
// by the capture triggers, as a SQL client's writes write them (the sqlite3 shell).
#include <doctest/doctest.h>

#include <SQLiteCpp/Statement.h>

#include "mirror_fixture.h"
#include "storage/outbox.h"
#include "storage/statement_cache.h"

using namespace clevertim;
using clevertim::testing::run_sqlite3;

namespace {

struct Fixture : testing::MirrorFile {
  storage::StatementCache statements{mirror.db()};
  storage::Outbox outbox{mirror.db(), statements};

  Fixture() {
    testing::seed(mirror, "contact", R"([{"id": 42, "fn": "Ann", "ln": "Lee", "city": "Oslo"},
      {"id": 43, "fn": "Bo", "ln": "Ek", "city": "Rome"}])");
  }

  void shell_ok(const std::string& sql) {
    auto r = run_sqlite3(db_path, sql);
    REQUIRE_MESSAGE(r.ok(), r.output);
  }
  long long number(const std::string& sql) { return mirror.db().execAndGet(sql).getInt64(); }
  std::string text(const std::string& sql) { return mirror.db().execAndGet(sql).getString(); }

  // Runs `write` as clevertim-sync writes: in a transaction of its own, not captured.
  template <class Write>
  void own_write(Write write) {
    storage::OwnWriteTransaction tx(mirror.db());
    write();
    tx.commit();
  }
};

}  // namespace

TEST_CASE_FIXTURE(Fixture, "an empty outbox has no pending rows") {
  CHECK(outbox.pending_rows().empty());
}

TEST_CASE_FIXTURE(Fixture,
                  "a row's entries add up to one pending row, rows in order of first edit") {
  shell_ok(
      "UPDATE contacts SET city = 'Paris' WHERE id = 43;"
      "UPDATE contacts SET city = 'Bergen' WHERE id = 42;"
      "UPDATE contacts SET title = 'CEO' WHERE id = 43;");
  const auto rows = outbox.pending_rows();
  REQUIRE(rows.size() == 2);
  CHECK(rows[0].endpoint == "contact");
  CHECK(rows[0].id == 43);
  CHECK(rows[0].last_seq == number("SELECT max(seq) FROM outbox WHERE record_id = 43"));
  CHECK(rows[0].last_edit == text("SELECT max(created_at) FROM outbox WHERE record_id = 43"));
  CHECK_FALSE(rows[0].has_insert);
  CHECK_FALSE(rows[0].has_delete);
  CHECK_FALSE(rows[0].deleted_raw.has_value());
  CHECK(rows[1].id == 42);
}

TEST_CASE_FIXTURE(Fixture, "a new row deleted again has both an insert and a delete") {
  shell_ok("INSERT INTO contacts (first_name) VALUES ('Cy');");
  const long long id = number("SELECT id FROM contacts WHERE first_name = 'Cy'");
  shell_ok("DELETE FROM contacts WHERE first_name = 'Cy';");
  const auto rows = outbox.pending_rows();
  REQUIRE(rows.size() == 1);
  CHECK(rows[0].id == id);
  CHECK(rows[0].has_insert);
  CHECK(rows[0].has_delete);
  CHECK(outbox.last_insert_seq("contact", id) == number("SELECT min(seq) FROM outbox"));
}

TEST_CASE_FIXTURE(Fixture, "a deleted row carries its last synced version") {
  shell_ok("DELETE FROM contacts WHERE id = 42;");
  const auto rows = outbox.pending_rows();
  REQUIRE(rows.size() == 1);
  CHECK(rows[0].has_delete);
  REQUIRE(rows[0].deleted_raw.has_value());
  CHECK(rows[0].deleted_raw->find("\"fn\":\"Ann\"") != std::string::npos);
  CHECK(outbox.last_insert_seq("contact", 42) == 0);
}

TEST_CASE_FIXTURE(Fixture, "entries up to a seq name the columns each update changed") {
  shell_ok("UPDATE contacts SET city = 'Paris', title = 'CEO' WHERE id = 42;");
  const long long first = number("SELECT max(seq) FROM outbox");
  shell_ok("UPDATE contacts SET city = 'Lyon' WHERE id = 42;");
  const auto entries = outbox.entries_up_to("contact", 42, first);
  REQUIRE(entries.size() == 1);
  CHECK_FALSE(entries[0].is_insert);
  CHECK(entries[0].changed == "title,city");
  CHECK_FALSE(entries[0].created_at.empty());
  CHECK(outbox.entries_up_to("contact", 42, first + 1).size() == 2);
  CHECK(outbox.entries_up_to("contact", 43, first + 1).empty());
}

TEST_CASE_FIXTURE(Fixture, "consuming keeps the entries made after the seq that was sent") {
  shell_ok("UPDATE contacts SET city = 'Paris' WHERE id = 42;");
  const long long sent = number("SELECT max(seq) FROM outbox");
  shell_ok("UPDATE contacts SET city = 'Lyon' WHERE id = 42;");
  CHECK(outbox.entries_after("contact", 42, sent) == 1);
  own_write([&] { outbox.consume("contact", 42, sent); });
  CHECK(number("SELECT count(*) FROM outbox") == 1);
  CHECK(number("SELECT seq FROM outbox") > sent);
  CHECK(outbox.entries_after("contact", 42, sent) == 1);
  own_write([&] { outbox.consume("contact", 42, sent + 1); });
  CHECK(outbox.pending_rows().empty());
}

TEST_CASE_FIXTURE(Fixture, "a refused row is left out until it is edited again or retried") {
  shell_ok("UPDATE contacts SET city = 'Paris' WHERE id = 42;");
  const long long sent = number("SELECT max(seq) FROM outbox");
  own_write([&] { outbox.mark_refused("contact", 42, sent, "the CRM refused it"); });
  CHECK(text("SELECT error FROM outbox") == "the CRM refused it");
  CHECK(outbox.pending_rows().empty());

  shell_ok("UPDATE contacts SET city = 'Lyon' WHERE id = 42;");
  auto rows = outbox.pending_rows();
  REQUIRE(rows.size() == 1);
  CHECK(rows[0].last_seq > sent);

  own_write([&] { outbox.mark_refused("contact", 42, rows[0].last_seq, "again"); });
  CHECK(outbox.pending_rows().empty());
  std::int64_t cleared = 0;
  own_write([&] { cleared = outbox.clear_refusals(); });
  CHECK(cleared == 2);
  CHECK(outbox.pending_rows().size() == 1);
}

TEST_CASE_FIXTURE(Fixture,
                  "clearing a row drops every entry, and a queued update names no columns") {
  shell_ok(
      "UPDATE contacts SET city = 'Paris' WHERE id = 42;"
      "UPDATE contacts SET city = 'Lyon' WHERE id = 43;");
  own_write([&] {
    outbox.clear("contact", 42);
    outbox.queue_update("contact", 42);
  });
  CHECK(number("SELECT count(*) FROM outbox WHERE record_id = 43") == 1);
  CHECK(number("SELECT count(*) FROM outbox WHERE record_id = 42") == 1);
  const auto entries = outbox.entries_up_to("contact", 42, number("SELECT max(seq) FROM outbox"));
  REQUIRE(entries.size() == 1);
  CHECK_FALSE(entries[0].is_insert);
  CHECK_FALSE(entries[0].changed.has_value());
  CHECK(text("SELECT operation FROM outbox WHERE record_id = 42") == "update");
}

TEST_CASE_FIXTURE(Fixture, "holding deletions marks only the resource's delete entries") {
  shell_ok(
      "DELETE FROM contacts WHERE id = 42;"
      "UPDATE contacts SET city = 'Lyon' WHERE id = 43;");
  own_write([&] { outbox.hold_deletions("contact", std::string("too many")); });
  CHECK(text("SELECT held FROM outbox WHERE operation = 'delete'") == "too many");
  CHECK(number("SELECT count(*) FROM outbox WHERE held IS NOT NULL") == 1);
  own_write([&] { outbox.hold_deletions("contact", std::nullopt); });
  CHECK(number("SELECT count(*) FROM outbox WHERE held IS NOT NULL") == 0);
}
