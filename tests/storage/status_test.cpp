// What `status` counts (storage/status.h) against the rows themselves: every resource's rows
// and how many are pending, in error or in conflict, over random mirrors.
#include <doctest/doctest.h>

#include <SQLiteCpp/Statement.h>

#include <random>
#include <string>

#include "mirror_fixture.h"
#include "model/resources.h"
#include "storage/element_table.h"
#include "storage/schema.h"
#include "storage/status.h"

using namespace clevertim;

namespace {

std::int64_t rows_in(SQLite::Database& db, const model::Resource& r, const char* state) {
  SQLite::Statement q(db, "SELECT count(*) FROM " + storage::sql_identifier(r.table) +
                              (state ? " WHERE sync_state = ?" : ""));
  if (state) q.bind(1, state);
  q.executeStep();
  return q.getColumn(0).getInt64();
}

}  // namespace

TEST_CASE("status counts each resource's rows and rows not in sync as the rows say") {
  std::mt19937 random(20261201);
  for (int round = 0; round < 20; ++round) {
    CAPTURE(round);
    testing::MirrorFile f;
    for (const char* endpoint : {"contact", "company", "task"}) {
      const int n = static_cast<int>(random() % 40);
      std::string elements = "[";
      for (int i = 1; i <= n; ++i)
        elements += (i > 1 ? "," : "") + std::string(R"({"id": )") + std::to_string(i) + "}";
      testing::seed(f.mirror, endpoint, elements + "]");
      storage::ElementTable table(f.mirror.db(), *model::find_resource(endpoint));
      for (int i = 1; i <= n; ++i) {
        const auto state = static_cast<storage::SyncState>(random() % 4);
        if (state != storage::SyncState::kSynced) table.set_state(i, state, std::nullopt);
      }
    }
    const storage::MirrorStatus status = storage::read_status(f.mirror);
    for (const model::Resource& r : model::all_resources()) {
      CAPTURE(r.endpoint);
      const storage::ResourceStatus& counted = status.resources.at(std::string(r.endpoint));
      CHECK(counted.rows == rows_in(f.mirror.db(), r, nullptr));
      CHECK(counted.pending == rows_in(f.mirror.db(), r, "pending"));
      CHECK(counted.errors == rows_in(f.mirror.db(), r, "error"));
      CHECK(counted.conflicts == rows_in(f.mirror.db(), r, "conflict"));
    }
  }
}
