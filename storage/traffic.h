// What clevertim-sync sent to the CRM and what came back, as running totals since the mirror
// was created: for monitoring (`status --prometheus`, the metrics text file). Kept in
// sync_meta under `traffic:<name>`; each cycle adds what it did (add_traffic). Totals only
// grow, as Prometheus counters must, until the mirror is replaced.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "storage/mirror.h"

namespace clevertim::storage {

struct Traffic {
  // Requests by final outcome of each attempt: "ok", or a failure's label ("server_error",
  // "network", "rate_limited", ...). A request retried twice counts three attempts.
  std::map<std::string, std::int64_t> attempts;
  std::int64_t retries = 0;       // attempts that were a retry of a failed one
  std::int64_t pulled_bytes = 0;  // body bytes of the read-alls that arrived whole

  bool empty() const { return attempts.empty() && retries == 0 && pulled_bytes == 0; }
};

// Adds `delta` to the totals, in one transaction of clevertim-sync's own.
void add_traffic(Mirror& mirror, const Traffic& delta);

// The totals (zeros for a mirror that never synced).
Traffic read_traffic(Mirror& mirror);

}  // namespace clevertim::storage
