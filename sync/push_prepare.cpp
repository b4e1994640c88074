// Before sending: the rows to push, read from the outbox; what needs no request settled in
// transactions of its own; the CRM's current versions read; each create and update made
// ready to send, with what its preparation decided recorded in the batch.
#include <spdlog/spdlog.h>
#include <boost/json.hpp>

#include "sync/mass_delete.h"
#include "sync/push_run.h"

namespace clevertim::sync {

namespace asio = boost::asio;
namespace json = boost::json;
using storage::Cell;
using storage::OwnWriteTransaction;
using storage::StoredRow;
using storage::SyncState;
using Status = WriteResult::Status;

std::vector<RowChange> PushRun::load_items() {
  std::vector<RowChange> items;
  for (storage::PendingRow& row : outbox_.pending_rows()) {
    RowChange item;
    item.resource = model::find_resource(row.endpoint);
    if (item.resource == nullptr) continue;  // written by a newer release; left alone
    item.id = row.id;
    item.last_seq = row.last_seq;
    item.last_edit = std::move(row.last_edit);
    item.has_insert = row.has_insert;
    item.has_delete = row.has_delete;
    item.deleted_raw = std::move(row.deleted_raw);
    items.push_back(std::move(item));
  }
  return items;
}

LocalEditTimes PushRun::local_edit_times(const RowChange& item) {
  return edit_times_of(outbox_.entries_up_to(item.resource->endpoint, item.id, item.last_seq),
                       item.last_edit);
}

// A row created and deleted before its create was sent needs no request. If the row is there
// again, its id was inserted anew after the delete (mirrors before schema version 5 let a
// writer do that): what is there now is a new row to create, the deleted one is never sent.
void PushRun::cancel_created_then_deleted(std::vector<RowChange>& items) {
  std::erase_if(items, [this](RowChange& item) {
    if (!(item.has_insert && item.has_delete)) return false;
    if (table_for(*item.resource).read(item.id)) {
      item.has_delete = false;
      item.deleted_raw.reset();
      return false;
    }
    OwnWriteTransaction tx(db_);
    consume(item, item.id);
    drop_intent(*item.resource, item.id);
    tx.commit();
    ++report_.cancelled;
    return true;
  });
}

// Every resource with deletions gets its `held` reason set, or cleared when they may go.
void PushRun::hold_mass_deletions(std::vector<RowChange>& items) {
  std::map<const model::Resource*, std::int64_t> deletions;
  for (const RowChange& item : items)
    if (item.has_delete && item.id > 0) ++deletions[item.resource];
  for (const auto& [resource, count] : deletions) {
    const std::int64_t rows = table_for(*resource).count() + count;
    const bool mass =
        is_mass_deletion(count, rows, options_.mass_delete_share, options_.mass_delete_min);
    std::optional<std::string> reason;
    if (mass && !options_.allow_mass_delete) {
      reason = std::to_string(count) + " of " + std::to_string(rows) + " " +
               std::string(resource->table) +
               " were deleted locally; the DELETEs are held in case that was a mistake. "
               "Run `clevertim-sync sync --allow-mass-delete` once to send them";
      report_.held += count;
      report_.problems.push_back(*reason);
      spdlog::error("{}", *reason);
      std::erase_if(items, [resource = resource](const RowChange& item) {
        return item.resource == resource && item.has_delete && item.id > 0;
      });
    }
    OwnWriteTransaction tx(db_);
    outbox_.hold_deletions(resource->endpoint, reason);
    tx.commit();
  }
}

// A push without a pull just before it (the daemon's immediate push, or a resource left out
// of sync.resources) would merge with the CRM's version as the last pull saw it, minutes
// old: a same-field edit made in the CRM since then was overwritten without a conflict.
// So the current version of each element about to be PUT or DELETEd is read first, and
// what changed there becomes its remote version. What remains is the time between this
// GET and the PUT: one round trip.
asio::awaitable<void> PushRun::read_current_versions(std::vector<RowChange>& items) {
  std::vector<RowChange*> stale;
  for (RowChange& item : items)
    if (item.id > 0 && !item.has_insert &&
        !options_.freshly_pulled.contains(std::string(item.resource->endpoint)))
      stale.push_back(&item);
  co_await for_each_concurrently(
      stale, options_.concurrency, [this] { return halted(); },
      [this](RowChange*& item) { return read_current_version(*item); });
  batch_->commit();
}

asio::awaitable<void> PushRun::read_current_version(RowChange& item) {
  const model::Resource& r = *item.resource;
  const WriteResult current = co_await writer_.read_one(r.endpoint, item.id);
  if (current.status == Status::kNotFound) {
    batch_->add([&] { table_for(r).record_remote_version(item.id, nullptr); });
    ledger_.note_remote_version(r.endpoint, item.id);
    co_return;
  }
  if (!current.ok()) {
    blocked_.insert({r.endpoint, item.id});
    mark_waiting(item, "the CRM's current version could not be read first (" + current.message +
                           "); sent with the next cycle");
    co_return;
  }
  // Recorded only when a field a push could overwrite differs from the base: an answer
  // spelled differently from the list (ids as text, say) is no edit.
  const std::optional<std::string> base =
      item.has_delete ? item.deleted_raw : table_for(r).raw_of(item.id);
  const std::vector<Cell> theirs = storage::cells_of(r, current.element);
  const std::vector<Cell> known = cells_of_raw(r, base);
  bool changed = false;
  for (size_t i : writable_indexes(r)) changed = changed || theirs[i] != known[i];
  if (!changed) co_return;
  const std::string raw = json::serialize(current.element);
  batch_->add([&] { table_for(r).record_remote_version(item.id, &raw); });
  ledger_.note_remote_version(r.endpoint, item.id);
}

// The payload of a new row, with its intent added to the batch; nothing when the row is gone
// or cannot be sent yet (then it is marked so).
std::optional<json::object> PushRun::prepare_create(RowChange& item) {
  const auto row = table_for(*item.resource).read(item.id);
  if (!row) {
    batch_->add([&] { consume(item, item.id); });
    return std::nullopt;
  }
  auto payload =
      sendable_payload(item, row->cells, writable_indexes(*item.resource), /*skip_nulls=*/true);
  if (!payload) return std::nullopt;
  add_intent(*item.resource, item.id, *payload);
  return payload;
}

// Merges the row with the CRM's version and says what is left to send; what needs no
// request (nothing left to send, a conflict waiting for a person) is recorded here.
std::optional<Update> PushRun::prepare_update(RowChange& item) {
  const model::Resource& r = *item.resource;
  auto row = table_for(r).read(item.id);
  if (!row) {
    batch_->add([&] { consume(item, item.id); });
    return std::nullopt;
  }
  if (row->state == SyncState::kConflict) {
    keep_waiting_on_conflict(item);
    return std::nullopt;
  }
  auto remote = remote_version(r, item.id);
  if (remote && remote->deleted) return Update{&item, Update::Kind::kRecreate, {}, row, {}};

  MergeInputs inputs;
  inputs.policy = options_.policy;
  inputs.edit_times = [&] { return local_edit_times(item); };
  if (remote && remote->raw) {
    inputs.own_put = unanswered_put(r, item.id, row->raw);
    inputs.remote_raw = std::move(remote->raw);
  }
  const UpdateMerge merge = merge_update(r, row->cells, row->raw, inputs);
  if (merge.waits_for_person()) {
    hold_for_person(item, *row, merge, inputs.remote_raw);
    return std::nullopt;
  }
  record_decided_conflicts(item, *row, merge, inputs.remote_raw);
  if (merge.send.empty()) {  // nothing left to send: the row is the merged version
    record_merged_row(item, *row, merge);
    return std::nullopt;
  }
  if (!r.updatable) return Update{&item, Update::Kind::kReplaceByCreate, {}, {}, merge.target};
  return prepare_put(item, merge);
}

// The CRM may have changed the row again since: the open conflict shows its newest version,
// which is also what `remote` settles on.
void PushRun::keep_waiting_on_conflict(const RowChange& item) {
  const model::Resource& r = *item.resource;
  if (auto remote = remote_version(r, item.id); remote && remote->raw)
    batch_->add([&] { refresh_open_conflict(r, item.id, *remote->raw); });
  ++report_.waiting;
  report_.problems.push_back(label(r, item.id) +
                             ": a conflict waits for a person (clevertim-sync conflicts)");
}

void PushRun::hold_for_person(const RowChange& item, const StoredRow& row, const UpdateMerge& merge,
                              const std::optional<std::string>& remote_raw) {
  const model::Resource& r = *item.resource;
  const std::string local = local_json(r, row.raw, row.cells);
  const std::string fields = field_list(r, merge.for_a_person);
  batch_->add([&] {
    record_waiting_conflict(r, item.id, fields, row.raw, local, remote_raw);
    table_for(r).set_state(item.id, SyncState::kConflict,
                           "changed here and in the CRM (" + fields + "): see the conflicts table");
  });
  ++report_.waiting;
}

// One record per outcome, naming the fields decided that way.
void PushRun::record_decided_conflicts(const RowChange& item, const StoredRow& row,
                                       const UpdateMerge& merge,
                                       const std::optional<std::string>& remote_raw) {
  if (!merge.has_conflict()) return;
  const model::Resource& r = *item.resource;
  const std::string local = local_json(r, row.raw, row.cells);
  batch_->add([&] {
    if (!merge.won_here.empty())
      record_conflict(r, item.id, field_list(r, merge.won_here), row.raw, local, remote_raw,
                      "the local edit was kept and sent to the CRM", "local");
    if (!merge.won_there.empty())
      record_conflict(r, item.id, field_list(r, merge.won_there), row.raw, local, remote_raw,
                      "the CRM's version was kept", "remote");
  });
}

// The row becomes the merged version; it stays pending when it was edited again meanwhile.
void PushRun::record_merged_row(const RowChange& item, StoredRow& row, const UpdateMerge& merge) {
  batch_->add([&] {
    consume(item, item.id);
    drop_remote_version(*item.resource, item.id);
    row.cells = merge.target;
    row.raw = merge.new_base;
    if (later_entries(item, item.id) == 0) {
      row.state = SyncState::kSynced;
      row.error.reset();
    }
    table_for(*item.resource).write(row);
  });
  ++report_.unchanged;
}

// The PUT's body, with what it sends added to the batch (sent_updates).
std::optional<Update> PushRun::prepare_put(RowChange& item, const UpdateMerge& merge) {
  auto body = sendable_payload(item, merge.target, merge.send, /*skip_nulls=*/false);
  if (!body) return std::nullopt;
  (*body)["id"] = item.id;
  add_sent_update(*item.resource, item.id, *body);
  return Update{&item, Update::Kind::kPut, std::move(*body), {}, {}};
}

// What the last PUT of a row, whose answer was never recorded, sent: the row's base with the
// sent fields laid over it, as cells. Nothing when no such PUT is known.
std::optional<std::vector<Cell>> PushRun::unanswered_put(
    const model::Resource& r, std::int64_t id, const std::optional<std::string>& base_raw) {
  const std::optional<std::string> payload = ledger_.sent_update(r.endpoint, id);
  if (!payload) return std::nullopt;
  return cells_after_put(r, *payload, base_raw);
}

// Whether the CRM's version differs from the base only by what our own unanswered PUT sent
// (its `lm` and the other read-only fields then changed too, because of that PUT).
bool PushRun::changed_only_by_own_unanswered_put(const model::Resource& r, std::int64_t id,
                                                 const std::optional<std::string>& base_raw,
                                                 const std::optional<std::string>& remote_raw) {
  if (!ledger_.may_have_sent_update(r.endpoint, id)) return false;
  std::vector<Cell> base = cells_of_raw(r, base_raw);
  const std::vector<Cell> theirs = cells_of_raw(r, remote_raw);
  if (const auto sent = unanswered_put(r, id, base_raw))
    count_own_put_as_base(r, *sent, theirs, base);
  for (size_t i : writable_indexes(r))
    if (theirs[i] != base[i]) return false;
  return true;
}

// The payload of the fields `indexes` of a row; nothing when it cannot be sent as it is, and
// then the row is marked waiting or refused (handle_payload_problem).
std::optional<json::object> PushRun::sendable_payload(const RowChange& item,
                                                      const std::vector<Cell>& cells,
                                                      const std::vector<size_t>& indexes,
                                                      bool skip_nulls) {
  auto payload = build_payload(*item.resource, cells, indexes, skip_nulls);
  if (auto* problem = std::get_if<PayloadProblem>(&payload)) {
    handle_payload_problem(item, *problem);
    return std::nullopt;
  }
  return std::move(std::get<json::object>(payload));
}

}  // namespace clevertim::sync
