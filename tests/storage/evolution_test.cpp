// The mirror as a long-lived contract (issue 13, item 19): a file an earlier release made opens
// with this one, its data and its pending changes intact; and a field added to model/ reaches
// an existing mirror by an additive migration, filled from each row's raw.
#include <doctest/doctest.h>

#include <SQLiteCpp/Statement.h>

#include <string>

#include "mirror_fixture.h"
#include "storage/element_mapping.h"
#include "storage/mirror.h"
#include "storage/schema.h"

using namespace clevertim;
using clevertim::testing::run_sqlite3;
using clevertim::testing::ScratchDir;

namespace {

// A mirror file made from a kept fixture (SQL text, as `sqlite3 .dump` wrote it).
std::filesystem::path mirror_from(const ScratchDir& dir, const std::string& fixture) {
  const auto path = dir / "crm.db";
  const auto r = run_sqlite3(path, ".read " + std::string(CLEVERTIM_FIXTURES) + "/" + fixture);
  REQUIRE_MESSAGE(r.ok(), r.output);
  return path;
}

long long number(storage::Mirror& m, const std::string& sql) {
  return m.db().execAndGet(sql).getInt64();
}

}  // namespace

TEST_CASE("a mirror made by schema version 5 opens with this release, nothing lost") {
  ScratchDir dir;
  const auto path = mirror_from(dir, "mirror-v5.sql");
  auto mirror = storage::Mirror::open(path);
  CHECK(mirror.schema_version() == storage::kSchemaVersion);
  CHECK(mirror.db().execAndGet("PRAGMA integrity_check").getString() == "ok");
  CHECK(number(mirror, "SELECT count(*) FROM contacts WHERE id > 0") == 3);
  CHECK(number(mirror,
               "SELECT count(*) FROM companies WHERE name = 'Pending here' AND id < 0 "
               "AND sync_state = 'pending'") == 1);
  CHECK(number(mirror,
               "SELECT count(*) FROM contacts WHERE city = 'Edited here' AND "
               "sync_state = 'pending'") == 1);
  CHECK(number(mirror, "SELECT count(*) FROM outbox") == 2);
  // Its hashes, FNV-1a until version 7, are those of today's raw_hash(): else every element
  // would look changed at the next pull.
  std::size_t rows = 0;
  for (const char* table : {"contacts", "companies", "notes", "tasks", "opportunities"}) {
    SQLite::Statement q(
        mirror.db(), std::string("SELECT raw, raw_hash FROM ") + table + " WHERE raw IS NOT NULL");
    while (q.executeStep()) {
      ++rows;
      CHECK(q.getColumn(1).getInt64() == storage::raw_hash(q.getColumn(0).getString()));
    }
  }
  CHECK(rows >= 5);
  // Its triggers still capture a local write.
  const auto w = run_sqlite3(path,
                             "UPDATE notes SET type = 'X' WHERE id = (SELECT min(id) FROM "
                             "notes);");
  REQUIRE_MESSAGE(w.ok(), w.output);
  CHECK(number(mirror, "SELECT count(*) FROM outbox") == 3);
}

TEST_CASE("a field the mirror lacks is added and filled from raw, and captured from then on") {
  ScratchDir dir;
  const auto path = mirror_from(dir, "mirror-v5.sql");
  // As a mirror made before `title` was in the model: no column, the value only in raw.
  std::string drops;
  {
    SQLite::Database db(path.string(), SQLite::OPEN_READONLY);
    SQLite::Statement q(db,
                        "SELECT type, name FROM sqlite_schema WHERE type IN ('trigger', "
                        "'view')");
    while (q.executeStep())
      drops += "DROP " + std::string(q.getColumn(0).getString() == "view" ? "VIEW" : "TRIGGER") +
               " \"" + q.getColumn(1).getString() + "\";";
  }
  const auto r = run_sqlite3(path, drops + "ALTER TABLE contacts DROP COLUMN title;");
  REQUIRE_MESSAGE(r.ok(), r.output);

  auto mirror = storage::Mirror::open(path);
  CHECK(number(mirror,
               "SELECT count(*) FROM pragma_table_info('contacts') WHERE name = "
               "'title'") == 1);
  CHECK(number(mirror,
               "SELECT count(*) FROM contacts WHERE raw IS NOT NULL AND title IS NOT "
               "json_extract(raw, '$.title')") == 0);
  CHECK(number(mirror, "SELECT count(*) FROM contacts WHERE title IS NOT NULL") > 0);
  // Filling the column was the daemon's own write: nothing new to push.
  CHECK(number(mirror, "SELECT count(*) FROM outbox") == 2);
  CHECK(number(mirror, "SELECT count(*) FROM contacts WHERE sync_state = 'pending'") == 1);
  // The triggers and views are back, the new column among what they capture.
  const auto w = run_sqlite3(path,
                             "UPDATE contacts SET title = 'New field' WHERE id = (SELECT "
                             "max(id) FROM contacts);");
  REQUIRE_MESSAGE(w.ok(), w.output);
  CHECK(number(mirror, "SELECT count(*) FROM outbox WHERE changed LIKE '%title%'") == 1);
  CHECK(number(mirror, "SELECT count(*) FROM sqlite_schema WHERE name = 'contact_emails'") == 1);
  CHECK(mirror.db().execAndGet("PRAGMA integrity_check").getString() == "ok");
}
