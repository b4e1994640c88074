// Metrics for monitoring, in Prometheus' text format: what `status --prometheus` prints, and
// what each cycle writes to `metrics.textfile` for node_exporter's textfile collector. Both
// come from the mirror (its status and the CRM traffic totals kept in it), so they agree.
#pragma once

#include <filesystem>
#include <string>

#include "daemon/settings.h"
#include "storage/mirror.h"
#include "storage/status.h"
#include "storage/traffic.h"

namespace clevertim::daemon {

// The exposition text: last run and last success times, the last run's duration, rows /
// pending / errors / conflicts per resource, held deletions, outbox, and the traffic totals
// (requests by outcome, retries, bytes pulled). `interval_seconds`: the cycle interval in force.
std::string prometheus_text(const storage::MirrorStatus& status, const storage::Traffic& traffic,
                            bool daemon_running, std::int64_t interval_seconds);

// After a cycle: adds its traffic to the mirror's totals and, when `metrics.textfile` is set,
// rewrites that file atomically (a scraper never reads half of it), mode 0644. Best effort:
// a failure is logged with what to do, never fails the cycle.
void record_cycle_metrics(storage::Mirror& mirror, const storage::Traffic& traffic,
                          const ServiceSettings& settings, bool daemon_running,
                          std::int64_t interval_seconds);

}  // namespace clevertim::daemon
