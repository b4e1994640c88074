// Conflicts: recording what the push met (storage/conflict_log.h), and settling a person's
// choice, at the start of a push or on its own (`clevertim-sync resolve`).
#include "sync/push_conflicts.h"

#include <spdlog/spdlog.h>

#include "sync/push_run.h"

namespace clevertim::sync {
namespace {

namespace asio = boost::asio;
namespace json = boost::json;
using storage::Cell;
using storage::OwnWriteTransaction;
using storage::SyncState;

// Settling a conflict is local work only; it never talks to the CRM.
class NoWriter : public CrmWriter {
  asio::awaitable<WriteResult> create(std::string_view, json::object) override {
    co_return WriteResult{};
  }
  asio::awaitable<WriteResult> update(std::string_view, std::int64_t, json::object) override {
    co_return WriteResult{};
  }
  asio::awaitable<WriteResult> remove(std::string_view, std::int64_t) override {
    co_return WriteResult{};
  }
  asio::awaitable<WriteResult> read_one(std::string_view, std::int64_t) override {
    co_return WriteResult{};
  }
};

}  // namespace

std::vector<Cell> settled_cells(const model::Resource& r, const std::vector<Cell>& base,
                                const std::vector<Cell>& local, const std::vector<Cell>& theirs,
                                bool keep_local) {
  const FieldMerge merge = merge_fields(r, base, local, theirs);
  std::vector<Cell> target = theirs;
  for (size_t i : merge.local_only) target[i] = local[i];
  if (keep_local)
    for (size_t i : merge.both) target[i] = local[i];
  return target;
}

void PushRun::settle_resolved_conflicts() {
  for (std::int64_t id : conflicts_.chosen()) settle(id);
}

bool PushRun::settle(std::int64_t conflict_id) {
  auto choice = conflicts_.choice(conflict_id);
  if (!choice) return false;
  const model::Resource* r = model::find_resource(choice->endpoint);
  if (r == nullptr) return false;
  OwnWriteTransaction tx(db_);
  apply_choice(*r, choice->id, choice->keep_local, std::move(choice->remote));
  conflicts_.settle(conflict_id, r->endpoint, choice->id, choice->keep_local);
  tx.commit();
  return true;
}

// A row still in conflict becomes what the choice makes of it (read again here, inside the
// transaction that writes it); one edited or settled since is left as it is.
void PushRun::apply_choice(const model::Resource& r, std::int64_t id, bool keep_local,
                           std::optional<std::string> remote_raw) {
  storage::ElementTable& table = table_for(r);
  auto row = table.read(id);
  if (!row || row->state != SyncState::kConflict) return;
  if (auto current = remote_version(r, id); current && current->raw) remote_raw = current->raw;
  const std::vector<Cell> theirs = cells_of_raw(r, remote_raw);
  std::vector<Cell> target =
      settled_cells(r, cells_of_raw(r, row->raw), row->cells, theirs, keep_local);
  const bool to_send = target != theirs;
  row->cells = std::move(target);
  row->raw = remote_raw;
  row->state = to_send ? SyncState::kPending : SyncState::kSynced;
  row->error.reset();
  table.write(*row);
  drop_remote_version(r, id);
  // The remaining local values go out with the next push, as an ordinary update.
  outbox_.clear(r.endpoint, id);
  if (to_send) outbox_.queue_update(r.endpoint, id);
}

void PushRun::record_conflict(const model::Resource& r, std::int64_t id, const std::string& fields,
                              const std::optional<std::string>& base, const std::string& local,
                              const std::optional<std::string>& remote, const std::string& outcome,
                              std::optional<std::string_view> resolution) {
  conflicts_.record(r.endpoint, id, {fields, base, local, remote}, outcome, resolution);
  ++report_.conflicts;
  spdlog::warn("conflict on {}: {}", label(r, id), outcome);
}

// A row waits for a person on one open conflict: a later cycle that finds the row in
// conflict again (edited again on both sides) updates that one with what it found instead
// of adding another, which would keep `sync` failing after the first was settled.
void PushRun::record_waiting_conflict(const model::Resource& r, std::int64_t id,
                                      const std::string& fields,
                                      const std::optional<std::string>& base,
                                      const std::string& local,
                                      const std::optional<std::string>& remote) {
  if (conflicts_.update_open(r.endpoint, id, {fields, base, local, remote})) {
    spdlog::warn("conflict on {} still waits for a person; updated with what changed since",
                 label(r, id));
    return;
  }
  record_conflict(r, id, fields, base, local, remote,
                  "changed here and in the CRM; waiting for a person: set "
                  "conflicts.resolution to 'local' or 'remote', or run clevertim-sync resolve",
                  std::nullopt);
}

void PushRun::refresh_open_conflict(const model::Resource& r, std::int64_t id,
                                    const std::string& remote) {
  conflicts_.refresh_open_remote(r.endpoint, id, remote);
}

bool resolve_conflict(storage::Mirror& mirror, std::int64_t conflict_id, std::string_view side) {
  if (side != "local" && side != "remote") return false;
  {
    storage::StatementCache statements(mirror.db());
    if (!storage::ConflictLog(statements).choose(conflict_id, side)) return false;
  }
  NoWriter unused;
  PushOptions options;
  return PushRun(mirror, unused, options).settle(conflict_id);
}

}  // namespace clevertim::sync
