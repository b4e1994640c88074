// What the mirror holds and what waits: for `clevertim-sync status`, the daemon's STATUS line
// and scripts.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "storage/mirror.h"

namespace clevertim::storage {

struct ResourceStatus {
  std::int64_t rows = 0;
  std::int64_t pending = 0;
  std::int64_t errors = 0;
  std::int64_t conflicts = 0;
};

struct LastRun {
  std::string started_at;
  std::string ended_at;  // empty while running (or if it never finished)
  std::int64_t pulled = 0;
  std::int64_t pushed = 0;
  std::int64_t failed = 0;
  std::string error;
};

// Deletions the mass-deletion guard holds, for one resource and direction.
struct HeldDeletions {
  std::string resource;   // endpoint
  std::string direction;  // "pull": rows the CRM's list lacks; "push": rows deleted here
  std::int64_t count = 0;
  std::string reason;  // what the guard said, with what to do
};

// Pull holds are recorded per resource in sync_meta (`held_pull:<endpoint>`) by the cycle
// that held them, and cleared by the first one that applies that resource's list again.
void record_pull_hold(Mirror& mirror, std::string_view endpoint, std::int64_t count,
                      const std::string& reason);  // count 0: no hold (clears one)

// The daemon's own interval, for `status` (written by `run` when it starts).
void record_daemon_interval(Mirror& mirror, std::int64_t seconds);

struct MirrorStatus {
  std::map<std::string, ResourceStatus> resources;  // by endpoint
  std::int64_t outbox = 0;                          // captured changes waiting (rows of outbox)
  std::int64_t held = 0;                            // deletions held by the mass-deletion guard
  std::int64_t open_conflicts = 0;
  std::optional<LastRun> last_run;
  std::optional<LastRun> last_success;  // the last run with nothing failed
  std::vector<HeldDeletions> held_deletions;
  std::optional<std::int64_t> daemon_interval_seconds;  // as the last `run` recorded it

  std::int64_t pending() const;
  std::int64_t errors() const;
};

MirrorStatus read_status(Mirror& mirror);

// The newest cycle recorded in sync_runs, finished or not; none before the first.
std::optional<LastRun> read_last_run(SQLite::Database& db);

}  // namespace clevertim::storage
