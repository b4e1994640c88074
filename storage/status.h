// What the mirror holds and what waits: for `clevertim-sync status`, the daemon's STATUS line
// and scripts.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>

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

struct MirrorStatus {
  std::map<std::string, ResourceStatus> resources;  // by endpoint
  std::int64_t outbox = 0;                          // captured changes waiting (rows of outbox)
  std::int64_t held = 0;                            // deletions held by the mass-deletion guard
  std::int64_t open_conflicts = 0;
  std::optional<LastRun> last_run;
  std::optional<LastRun> last_success;  // the last run with nothing failed

  std::int64_t pending() const;
  std::int64_t errors() const;
};

MirrorStatus read_status(Mirror& mirror);

}  // namespace clevertim::storage
