// Sending: the plan's creates in dependency order, then its updates, then its deletions, a few
// requests at a time, each answer recorded in the batch (push_answers.cpp). The phases before
// and beside it are in the files push_run.h lists.
#include "sync/push.h"

#include <spdlog/spdlog.h>
#include <boost/json.hpp>

#include "model/resources.h"
#include "storage/schema.h"
#include "sync/push_run.h"

namespace clevertim::sync {

namespace asio = boost::asio;
namespace json = boost::json;
using storage::Cell;
using storage::OwnWriteTransaction;
using storage::StoredRow;
using Status = WriteResult::Status;

PushRun::PushRun(storage::Mirror& mirror, CrmWriter& writer, const PushOptions& options)
    : db_(mirror.db()), writer_(writer), options_(options) {
  ledger_.load();
}

asio::awaitable<PushReport> PushRun::run() {
  batch_.emplace(db_, co_await asio::this_coro::executor);
  ledger_.forget_answered_updates();  // only removes rows: the noted key sets stay supersets
  settle_resolved_conflicts();
  recognise_lost_creates();
  std::vector<RowChange> items = load_items();
  cancel_created_then_deleted(items);
  hold_mass_deletions(items);
  co_await read_current_versions(items);
  Plan plan = plan_by_kind(items, blocked_);
  try {
    co_await send_plan(plan);
    if (token_refused_) wait_for_token(plan);
    batch_->commit();
    ledger_.forget_answered_updates();
  } catch (const std::exception& failure) {
    keep_what_was_recorded(failure);
    throw;
  }
  co_return report_;
}

asio::awaitable<void> PushRun::send_plan(Plan& plan) {
  for (auto& [order, wave] : plan.creates) co_await push_creates(wave);
  co_await push_updates(plan.updates);
  for (auto& [order, wave] : plan.deletes)
    if (!halted())
      co_await for_each_concurrently(
          wave, options_.concurrency, [this] { return halted(); },
          [this](RowChange& i) { return push_delete(i); });
}

// The answers recorded before a failure are kept: they reached the CRM.
void PushRun::keep_what_was_recorded(const std::exception& failure) {
  try {
    batch_->commit();
  } catch (const std::exception& e) {
    // The failure that stopped the push is what the caller reports; these changes are sent
    // again next cycle, which is safe (see write_batch.h).
    spdlog::error(
        "mirror: after \"{}\", the results recorded before it could not be kept either: {}",
        failure.what(), e.what());
  }
}

// Prepares `items` a chunk at a time (`prepare(RowChange&) -> std::optional<Ready>`), commits
// what the chunk's preparation recorded (intents, sent payloads), and only then sends the
// chunk a few requests at a time (`send(Ready&)`).
template <class Ready, class Prepare, class Send>
asio::awaitable<void> PushRun::send_in_committed_chunks(std::vector<RowChange>& items,
                                                        Prepare prepare, Send send) {
  constexpr size_t kChunk = 256;
  for (size_t start = 0; start < items.size() && !halted(); start += kChunk) {
    std::vector<Ready> chunk;
    for (size_t i = start; i < std::min(items.size(), start + kChunk); ++i)
      if (auto ready = prepare(items[i]))
        chunk.push_back(std::move(*ready));
      else
        items[i].handled = true;  // what it needed was recorded by prepare
    batch_->commit();
    co_await for_each_concurrently(
        chunk, options_.concurrency, [this] { return halted(); }, send);
  }
}

// Sends one wave of creates a chunk at a time: a chunk's intents are committed in one
// transaction before any of its POSTs is sent.
asio::awaitable<void> PushRun::push_creates(std::vector<RowChange>& wave) {
  co_await send_in_committed_chunks<Create>(
      wave,
      [this](RowChange& item) -> std::optional<Create> {
        auto body = prepare_create(item);
        if (!body) return std::nullopt;
        return Create{&item, std::move(*body)};
      },
      [this](Create& c) { return send_create(c); });
  // The next wave's references are rewritten to these new ids.
  batch_->commit();
}

asio::awaitable<void> PushRun::send_create(Create& create) {
  RowChange& item = *create.item;
  item.handled = true;
  const WriteResult result = co_await writer_.create(item.resource->endpoint, create.body);
  if (result.status != Status::kUnknown && result.status != Status::kOk)
    batch_->add([&] { drop_intent(*item.resource, item.id); });
  if (handle_failure(item, result, "create")) co_return;
  const auto element = map_answer(item, result);
  if (!element) co_return;
  batch_->add([&] { store_answer(item, item.id, *element); });
  ++report_.created;
}

// Sends the updates a chunk at a time: what each PUT of a chunk sends is committed (in
// sent_updates) before any of them is sent, so that an answer lost to a crash is still
// recognised as ours when the CRM's version comes back.
asio::awaitable<void> PushRun::push_updates(std::vector<RowChange>& updates) {
  co_await send_in_committed_chunks<Update>(
      updates, [this](RowChange& item) { return prepare_update(item); },
      [this](Update& u) { return send_update(u); });
}

asio::awaitable<void> PushRun::send_update(Update& update) {
  RowChange& item = *update.item;
  item.handled = true;
  switch (update.kind) {
    case Update::Kind::kRecreate:
      co_return co_await recreate(item, *update.row);
    case Update::Kind::kReplaceByCreate:
      co_return co_await replace_by_create(item, update.target);
    case Update::Kind::kPut:
      break;
  }
  const model::Resource& r = *item.resource;
  const WriteResult result = co_await writer_.update(r.endpoint, item.id, std::move(update.body));
  // A refusal changed nothing in the CRM; any other failure (a 5xx, a lost answer) may have.
  if (result.status == Status::kRejected || result.status == Status::kNotFound ||
      result.status == Status::kUnauthorized)
    batch_->add([&] { drop_sent_update(r, item.id); });
  if (handle_failure(item, result, "update")) co_return;
  const auto element = map_answer(item, result);
  if (!element) co_return;
  batch_->add([&] { store_answer(item, item.id, *element); });
  ++report_.updated;
}

// Committed before the POST is sent, with whatever the batch holds: if the answer is lost,
// the intent is what lets the next run find the element instead of creating it twice.
void PushRun::record_intent(const model::Resource& r, std::int64_t id,
                            const json::object& payload) {
  add_intent(r, id, payload);
  batch_->commit();
}

// A comment cannot be updated (PUT answers 501): create the new text, then delete the old.
asio::awaitable<void> PushRun::replace_by_create(RowChange& item, const std::vector<Cell>& cells) {
  const model::Resource& r = *item.resource;
  auto payload = sendable_payload(item, cells, writable_indexes(r), /*skip_nulls=*/true);
  if (!payload) co_return;
  record_intent(r, item.id, *payload);
  const WriteResult created = co_await writer_.create(r.endpoint, *payload);
  if (handle_failure(item, created, "create of the edited copy")) co_return;
  const auto element = map_answer(item, created);
  if (!element) co_return;
  const WriteResult removed = co_await writer_.remove(r.endpoint, item.id);
  if (!removed.ok() && removed.status != Status::kNotFound)
    report_.problems.push_back(label(r, item.id) + ": the edited copy is " + label(r, element->id) +
                               ", but deleting the old one failed: " + removed.message +
                               " (delete it in the CRM)");
  batch_->add([&] {
    storage::ElementTable& table = table_for(r);
    // The replaced comment's last version stays findable, as any deleted element's.
    if (auto old = table.raw_of(item.id)) table.append_history(item.id, "delete", *old);
    store_answer(item, item.id, *element);
  });
  ++report_.updated;
}

// Deleted in the CRM, edited here: the edit wins, so the element is created again; but
// only once a GET confirmed the deletion. A read-all that was transiently short (a proxy, a
// replica behind) made a duplicate, and re-linked every reference to it in the mirror only.
asio::awaitable<void> PushRun::recreate(RowChange& item, const StoredRow& row) {
  const model::Resource& r = *item.resource;
  const WriteResult current = co_await writer_.read_one(r.endpoint, item.id);
  if (current.ok()) {
    // Not deleted after all: its current version is what the row merges with, next run.
    const std::string raw = json::serialize(current.element);
    batch_->add([&] { table_for(r).record_remote_version(item.id, &raw); });
    mark_waiting(item,
                 "the CRM's list lacked it, but it exists: merged with its current version at "
                 "the next run instead of being created again");
    co_return;
  }
  if (current.status != Status::kNotFound) {
    mark_waiting(item, "whether it was deleted in the CRM could not be confirmed (" +
                           current.message + "); checked again next run");
    co_return;
  }
  auto payload = sendable_payload(item, row.cells, writable_indexes(r), /*skip_nulls=*/true);
  if (!payload) co_return;
  keep_id_lists_of_raw(r, row.cells, row.raw, *payload);
  record_intent(r, item.id, *payload);
  const WriteResult result = co_await writer_.create(r.endpoint, *payload);
  if (handle_failure(item, result, "re-creation")) co_return;
  const auto element = map_answer(item, result);
  if (!element) co_return;
  batch_->add([&] {
    record_conflict(r, item.id, "", row.raw, local_json(r, row.raw, row.cells), std::nullopt,
                    "deleted in the CRM but edited here: created again as " + label(r, element->id),
                    "local");
    store_answer(item, item.id, *element);
  });
  ++report_.created;
}

asio::awaitable<void> PushRun::push_delete(RowChange& item) {
  item.handled = true;
  const model::Resource& r = *item.resource;
  const auto remote = remote_version(r, item.id);
  if (remote && !remote->deleted && remote->raw &&
      storage::raw_hash(*remote->raw) != storage::raw_hash(item.deleted_raw.value_or("")) &&
      !changed_only_by_own_unanswered_put(r, item.id, item.deleted_raw, remote->raw)) {
    keep_remote_edit_over_delete(item, *remote->raw);
    co_return;
  }
  if (!remote || !remote->deleted) {
    const WriteResult result = co_await writer_.remove(r.endpoint, item.id);
    if (result.status != Status::kNotFound && handle_failure(item, result, "delete")) co_return;
  }
  batch_->add([&] {
    consume(item, item.id);
    drop_remote_version(r, item.id);
    if (item.deleted_raw) table_for(r).append_history(item.id, "delete", *item.deleted_raw);
  });
  ++report_.deleted;
}

// Edited in the CRM, deleted here: a deletion cannot be undone, an edit can.
void PushRun::keep_remote_edit_over_delete(RowChange& item, const std::string& remote_raw) {
  const model::Resource& r = *item.resource;
  auto mapped = storage::map_element(r, json::parse(remote_raw));
  batch_->add([&] {
    consume(item, item.id);
    drop_remote_version(r, item.id);
    if (auto* e = std::get_if<storage::MappedElement>(&mapped)) table_for(r).store_synced(*e);
    record_conflict(r, item.id, "", item.deleted_raw, "null", remote_raw,
                    "edited in the CRM but deleted here: the row is back with the CRM's "
                    "version",
                    "remote");
  });
}

asio::awaitable<PushReport> push_changes(storage::Mirror& mirror, CrmWriter& writer,
                                         const PushOptions& options) {
  PushRun run(mirror, writer, options);
  co_return co_await run.run();
}

std::int64_t retry_failed_changes(storage::Mirror& mirror) {
  SQLite::Database& db = mirror.db();
  OwnWriteTransaction tx(db);
  storage::StatementCache statements(db);
  storage::Outbox(db, statements).clear_refusals();
  std::int64_t count = 0;  // rows, as people count what they retry
  for (const model::Resource& r : model::all_resources()) {
    if (r.read_only) continue;
    count += db.exec("UPDATE " + storage::sql_identifier(r.table) +
                     " SET sync_state = 'pending', sync_error = NULL WHERE sync_state = 'error'");
  }
  tx.commit();
  return count;
}

}  // namespace clevertim::sync
