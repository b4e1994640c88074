#include "storage/status.h"

#include <SQLiteCpp/Statement.h>

#include "model/resources.h"
#include "storage/sql_quote.h"
#include "storage/sync_state.h"

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

std::optional<LastRun> read_last_run(SQLite::Database& db) {
  return read_run(db, "");
}

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

void record_pull_hold(Mirror& mirror, std::string_view endpoint, std::int64_t count,
                      const std::string& reason) {
  SQLite::Database& db = mirror.db();
  const std::string key = "held_pull:" + std::string(endpoint);
  SQLite::Statement known(db, "SELECT count(*) FROM sync_meta WHERE key = ?");
  known.bind(1, key);
  known.executeStep();
  const bool recorded = known.getColumn(0).getInt() > 0;
  known.reset();
  if (count == 0 && !recorded) return;  // the usual case: no write at all
  OwnWriteTransaction tx(db);
  if (count == 0) {
    SQLite::Statement q(db, "DELETE FROM sync_meta WHERE key = ?");
    q.bind(1, key);
    q.exec();
  } else {
    SQLite::Statement q(db,
                        "INSERT OR REPLACE INTO sync_meta (key, value) VALUES (?, "
                        "json_object('count', ?, 'reason', ?))");
    q.bind(1, key);
    q.bind(2, count);
    q.bind(3, reason);
    q.exec();
  }
  tx.commit();
}

void record_daemon_interval(Mirror& mirror, std::int64_t seconds) {
  OwnWriteTransaction tx(mirror.db());
  SQLite::Statement q(mirror.db(),
                      "INSERT OR REPLACE INTO sync_meta (key, value) VALUES "
                      "('daemon_interval_seconds', ?)");
  q.bind(1, std::to_string(seconds));
  q.exec();
  tx.commit();
}

MirrorStatus read_status(Mirror& mirror) {
  SQLite::Database& db = mirror.db();
  MirrorStatus status;
  for (const model::Resource& r : model::all_resources()) {
    const std::string table = sql_identifier(r.table);
    // Two cheap queries rather than one that reads every row: SQLite counts a table's rows
    // from its smallest index without decoding them, and the rows not in sync are in the
    // partial index `*_unsynced` (one pass over 250k rows took 40 ms of every `sync`).
    ResourceStatus counts;
    counts.rows = db.execAndGet("SELECT count(*) FROM " + table).getInt64();
    SQLite::Statement q(db, "SELECT sync_state, count(*) FROM " + table +
                                " WHERE sync_state <> 'synced' GROUP BY sync_state");
    while (q.executeStep()) {
      const std::int64_t n = q.getColumn(1).getInt64();
      switch (parse_sync_state(q.getColumn(0).getText())) {
        case SyncState::kPending:
          counts.pending = n;
          break;
        case SyncState::kError:
          counts.errors = n;
          break;
        case SyncState::kConflict:
          counts.conflicts = n;
          break;
        case SyncState::kSynced:
          break;
      }
    }
    status.resources[std::string(r.endpoint)] = counts;
  }
  status.outbox = db.execAndGet("SELECT count(*) FROM outbox").getInt64();
  status.held = db.execAndGet("SELECT count(*) FROM outbox WHERE held IS NOT NULL").getInt64();
  status.open_conflicts =
      db.execAndGet("SELECT count(*) FROM conflicts WHERE resolved_at IS NULL").getInt64();
  status.last_run = read_run(db, "");
  status.last_success = read_run(db, "WHERE ended_at IS NOT NULL AND failed = 0");
  {
    SQLite::Statement push(db,
                           "SELECT resource, count(*), max(held) FROM outbox WHERE held IS NOT "
                           "NULL GROUP BY resource ORDER BY resource");
    while (push.executeStep())
      status.held_deletions.push_back({push.getColumn(0).getString(), "push",
                                       push.getColumn(1).getInt64(),
                                       push.getColumn(2).getString()});
    SQLite::Statement pull(db,
                           "SELECT substr(key, 11), json_extract(value, '$.count'), "
                           "json_extract(value, '$.reason') FROM sync_meta WHERE key LIKE "
                           "'held_pull:%' AND json_valid(value) ORDER BY key");
    while (pull.executeStep())
      status.held_deletions.push_back({pull.getColumn(0).getString(), "pull",
                                       pull.getColumn(1).getInt64(),
                                       pull.getColumn(2).getString()});
    SQLite::Statement interval(db,
                               "SELECT CAST(value AS INTEGER) FROM sync_meta WHERE key = "
                               "'daemon_interval_seconds'");
    if (interval.executeStep()) status.daemon_interval_seconds = interval.getColumn(0).getInt64();
  }
  return status;
}

}  // namespace clevertim::storage
