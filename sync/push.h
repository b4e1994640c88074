// Push: local SQL writes captured in the outbox reach the CRM, exactly once.
//
// One run, after a pull:
//   1. settle conflicts a person resolved (`conflicts.resolution` set by SQL or `resolve`);
//   2. recognise POSTs whose answer was lost, in what the pull just brought (no duplicates);
//   3. coalesce the outbox per row (insert+update = one POST, updates = one PUT, insert+delete
//      = nothing), merge with the CRM's version when both sides changed, per the policy;
//   4. send creates in dependency order (custom fields, companies, contacts, ... comments),
//      then updates, then deletions (dependents first), a few requests at a time;
//   5. record each answer: new ids replace local ones everywhere, rows become `synced`, or
//      `error` with the server's message. Nothing is ever dropped silently.
#pragma once

#include <boost/asio/awaitable.hpp>

#include <atomic>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "storage/mirror.h"
#include "sync/crm_writer.h"
#include "sync/merge.h"

namespace clevertim::sync {

struct PushOptions {
  ConflictPolicy policy = ConflictPolicy::kNewest;
  int concurrency = 4;
  // Deleting more than this share of a resource's rows (and more than `mass_delete_min`) in
  // one push is held until `sync --allow-mass-delete`.
  double mass_delete_share = 0.5;
  std::int64_t mass_delete_min = 5;
  bool allow_mass_delete = false;
  // Resources whose pull succeeded in this cycle: only for them can a lost POST answer be
  // checked against the CRM's list (otherwise the change waits for the next cycle).
  std::set<std::string> freshly_pulled;
  // Elements this cycle's pull found new, by endpoint: where a create whose answer was lost
  // is looked for when the CRM has changed a field it sent since (see recognise_lost_creates).
  // The cycle fills in only the endpoints that have such a create.
  std::map<std::string, std::vector<std::int64_t>> freshly_created;
  // Checked before each row is sent: a stop leaves the rest pending for the next run.
  const std::atomic<bool>* stop_requested = nullptr;
};

struct PushReport {
  std::int64_t created = 0;
  std::int64_t updated = 0;
  std::int64_t deleted = 0;
  std::int64_t cancelled = 0;  // created and deleted locally before any push: nothing sent
  std::int64_t unchanged = 0;  // edited back to the synced value: nothing sent
  std::int64_t conflicts = 0;  // recorded in `conflicts` this run
  std::int64_t rejected = 0;   // the CRM refused: row in `error`
  std::int64_t waiting = 0;    // retry later, answer lost, dependency not created, manual conflict
  std::int64_t held = 0;       // deletions held by the mass-deletion guard
  std::vector<std::string> problems;  // one line each: what failed and why
  bool token_refused = false;         // a write answered 401/403: the push stopped

  std::int64_t pushed() const { return created + updated + deleted; }
  // Every pending change reached the CRM (or needed nothing).
  bool complete() const { return rejected == 0 && waiting == 0 && held == 0; }
};

boost::asio::awaitable<PushReport> push_changes(storage::Mirror& mirror, CrmWriter& writer,
                                                const PushOptions& options);

// Settles one conflict left for a person: `local` or `remote`. Returns false when there is no
// such open conflict. The next push sends what remains to be sent.
bool resolve_conflict(storage::Mirror& mirror, std::int64_t conflict_id, std::string_view side);

// Makes every change that failed for good (`error`) pending again; returns how many rows.
std::int64_t retry_failed_changes(storage::Mirror& mirror);

}  // namespace clevertim::sync
