#include "storage/status.h"

#include <SQLiteCpp/Statement.h>

#include "model/resources.h"
#include "storage/schema.h"

namespace clevertim::storage {
namespace {

std::optional<LastRun> read_run(SQLite::Database& db, const std::string& where) {
  SQLite::Statement q(db,
                      "SELECT started_at, coalesce(ended_at, ''), pulled, pushed, failed, "
                      "coalesce(error, '') FROM sync_runs " +
                          where + " ORDER BY id DESC LIMIT 1");
  if (!q.executeStep()) return std::nullopt;
  return LastRun{q.getColumn(0).getString(), q.getColumn(1).getString(),
                 q.getColumn(2).getInt64(),  q.getColumn(3).getInt64(),
                 q.getColumn(4).getInt64(),  q.getColumn(5).getString()};
}

}  // namespace

std::int64_t MirrorStatus::pending() const {
  std::int64_t n = 0;
  for (const auto& [ep, r] : resources) n += r.pending;
  return n;
}

std::int64_t MirrorStatus::errors() const {
  std::int64_t n = 0;
  for (const auto& [ep, r] : resources) n += r.errors;
  return n;
}

MirrorStatus read_status(Mirror& mirror) {
  SQLite::Database& db = mirror.db();
  MirrorStatus status;
  for (const model::Resource& r : model::all_resources()) {
    SQLite::Statement q(db,
                        "SELECT count(*), total(sync_state = 'pending'), total(sync_state = "
                        "'error'), total(sync_state = 'conflict') FROM " +
                            sql_identifier(r.table));
    q.executeStep();
    status.resources[std::string(r.endpoint)] = {
        q.getColumn(0).getInt64(), static_cast<std::int64_t>(q.getColumn(1).getDouble()),
        static_cast<std::int64_t>(q.getColumn(2).getDouble()),
        static_cast<std::int64_t>(q.getColumn(3).getDouble())};
  }
  status.outbox = db.execAndGet("SELECT count(*) FROM outbox").getInt64();
  status.held = db.execAndGet("SELECT count(*) FROM outbox WHERE held IS NOT NULL").getInt64();
  status.open_conflicts =
      db.execAndGet("SELECT count(*) FROM conflicts WHERE resolved_at IS NULL").getInt64();
  status.last_run = read_run(db, "");
  status.last_success = read_run(db, "WHERE ended_at IS NOT NULL AND failed = 0");
  return status;
}

}  // namespace clevertim::storage
