#include "sync/push.h"

#include <SQLiteCpp/Statement.h>
#include <spdlog/spdlog.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>

#include <exception>
#include <map>
#include <set>

#include "model/resources.h"
#include "storage/clock.h"
#include "storage/conflict_log.h"
#include "storage/element_table.h"
#include "storage/local_ids.h"
#include "storage/outbox.h"
#include "storage/push_ledger.h"
#include "storage/schema.h"
#include "storage/statement_cache.h"
#include "sync/mass_delete.h"
#include "sync/write_batch.h"

namespace clevertim::sync {
namespace {

namespace asio = boost::asio;
namespace json = boost::json;
using storage::Cell;
using storage::OwnWriteTransaction;
using storage::StoredRow;
using storage::SyncState;
using Status = WriteResult::Status;

// The captured changes of one row, coalesced.
struct Item {
  const model::Resource* resource = nullptr;
  std::int64_t id = 0;
  std::int64_t last_seq = 0;  // outbox entries up to this one are what this push sends
  bool has_insert = false;
  bool has_delete = false;
  std::string last_edit;                   // when the latest local edit was captured
  std::optional<std::string> deleted_raw;  // the base of a deleted row
  bool handled = false;                    // sent, or settled without a request, this run
};

using storage::RemoteVersion;

// Why a payload cannot be sent now.
struct PayloadProblem {
  bool waits_for_dependency = false;  // a referenced new row is not in the CRM yet
  std::string message;
  // What it waits for: a new row this ref kind may name (kNone with a custom field key).
  model::Ref ref = model::Ref::kNone;
  std::int64_t local_id = 0;
};

std::string label(const model::Resource& r, std::int64_t id) {
  return std::string(r.singular) + " " + std::to_string(id);
}

std::vector<Cell> cells_of_raw(const model::Resource& r, const std::optional<std::string>& raw) {
  if (raw) {
    json::error_code ec;
    const json::value v = json::parse(*raw, ec);
    if (!ec && v.is_object()) return storage::cells_of(r, v.get_object());
  }
  return std::vector<Cell>(r.fields.size());
}

// A reference the CRM holds as a list of several ids (a note's cust on several customers) is
// NULL in its column and kept in raw. An element written whole from its columns (a re-creation,
// a conflict's local side) takes that list from raw, unless the column was set here.
void keep_id_lists_of_raw(const model::Resource& r, const std::vector<Cell>& cells,
                          const std::optional<std::string>& raw, json::object& element) {
  if (!raw) return;
  json::error_code ec;
  const json::value base = json::parse(*raw, ec);
  if (ec || !base.is_object()) return;
  for (size_t i = 0; i < r.fields.size(); ++i) {
    const model::Field& f = r.fields[i];
    if (!f.accepts_id_list() || !storage::is_null(cells[i])) continue;
    if (const json::value* list = base.as_object().if_contains(f.api);
        list != nullptr && list->is_array() && list->as_array().size() > 1)
      element[f.api] = *list;
  }
}

std::vector<size_t> writable_indexes(const model::Resource& r) {
  std::vector<size_t> out;
  for (size_t i = 0; i < r.fields.size(); ++i)
    if (r.fields[i].writable()) out.push_back(i);
  return out;
}

// Whether `custom_fields` names a custom field that exists only here: a key that is a negative
// id. The keys are looked at, not the text: a value such as "-5" or "-- note" also puts `"-`
// in the text, and must not hold the row back for ever.
bool has_local_custom_field_key(const Cell& cell) {
  const auto* text = std::get_if<std::string>(&cell);
  if (text == nullptr) return false;
  json::error_code ec;
  const json::value values = json::parse(*text, ec);
  if (ec || !values.is_object()) return false;  // json_from_cell says what is wrong with it
  for (const auto& kv : values.get_object())
    if (kv.key().starts_with("-")) return true;
  return false;
}

// The JSON the API expects for the chosen fields of a row.
std::variant<json::object, PayloadProblem> build_payload(const model::Resource& r,
                                                         const std::vector<Cell>& cells,
                                                         const std::vector<size_t>& indexes,
                                                         bool skip_nulls) {
  json::object payload;
  std::string problem;
  for (size_t i : indexes) {
    const model::Field& f = r.fields[i];
    const Cell& cell = cells[i];
    if (skip_nulls && storage::is_null(cell)) continue;
    if (f.ref != model::Ref::kNone) {
      const auto* id = std::get_if<std::int64_t>(&cell);
      if (id != nullptr && *id < 0)
        return PayloadProblem{true,
                              "waits for the new " + std::string(r.table) + "." +
                                  std::string(f.column) + " target " + std::to_string(*id) +
                                  " to be created in the CRM first",
                              f.ref, *id};
    }
    if (f.api == "cf" && has_local_custom_field_key(cell))
      return PayloadProblem{true, "waits for a new custom field (a negative key in " +
                                      std::string(r.table) +
                                      ".custom_fields) to be created in the CRM first"};
    auto value = storage::json_from_cell(f, cell, problem);
    if (!value)
      return PayloadProblem{false, std::string(r.table) + "." + std::string(f.column) + " " +
                                       problem + "; correct the row and it is pushed again"};
    payload[f.api] = std::move(*value);
  }
  return payload;
}

// Runs `work` on every item with at most `concurrency` at a time, on this coroutine's
// executor, until `stop()` is true. The first exception (a database failure) is rethrown once
// all have stopped.
template <class T, class Stop, class Work>
asio::awaitable<void> for_each_concurrently(std::vector<T>& items, int concurrency, Stop stop,
                                            Work work) {
  auto executor = co_await asio::this_coro::executor;
  size_t next = 0;
  int running = 0;
  std::exception_ptr failure;
  asio::steady_timer all_done(executor, asio::steady_timer::time_point::max());
  auto worker = [&]() -> asio::awaitable<void> {
    while (next < items.size() && !failure && !stop()) co_await work(items[next++]);
  };
  const int workers = std::max(1, std::min<int>(concurrency, static_cast<int>(items.size())));
  for (int i = 0; i < workers && !items.empty(); ++i) {
    ++running;
    asio::co_spawn(executor, worker(), [&](std::exception_ptr e) {
      if (e && !failure) failure = e;
      // expires_at() cancels the pending wait, and makes a later one complete at once.
      if (--running == 0) all_done.expires_at(asio::steady_timer::time_point::min());
    });
  }
  if (running > 0) {
    boost::system::error_code ignored;
    co_await all_done.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
  }
  if (failure) std::rethrow_exception(failure);
}

class PushRun {
 public:
  // The bookkeeping is noted here, not in run(): settle() is also called on its own (`resolve`
  // from the command line), and with empty key sets it would neither see the CRM version the
  // pull kept aside nor drop it, leaving a stale one to undo a later DELETE or to make a later
  // edit of the field a false conflict.
  PushRun(storage::Mirror& mirror, CrmWriter& writer, const PushOptions& options)
      : db_(mirror.db()), writer_(writer), options_(options) {
    ledger_.load();
  }

  asio::awaitable<PushReport> run() {
    batch_.emplace(db_, co_await asio::this_coro::executor);
    ledger_.forget_answered_updates();  // only removes rows: the noted key sets stay supersets
    settle_resolved_conflicts();
    recognise_lost_creates();
    std::vector<Item> items = load_items();
    cancel_created_then_deleted(items);
    hold_mass_deletions(items);
    co_await read_current_versions(items);

    std::map<int, std::vector<Item>> creates;                  // by push order
    std::map<int, std::vector<Item>, std::greater<>> deletes;  // dependents first
    std::vector<Item> updates;
    for (Item& item : items) {
      if (blocked_.contains({item.resource->endpoint, item.id})) continue;
      if (item.has_delete)
        deletes[item.resource->push_order].push_back(std::move(item));
      else if (item.has_insert)
        creates[item.resource->push_order].push_back(std::move(item));
      else
        updates.push_back(std::move(item));
    }
    try {
      for (auto& [order, wave] : creates) co_await push_creates(wave);
      co_await push_updates(updates);
      for (auto& [order, wave] : deletes)
        if (!halted())
          co_await for_each_concurrently(
              wave, options_.concurrency, [this] { return halted(); },
              [this](Item& i) { return push_delete(i); });
      if (token_refused_) {
        for (auto& [order, wave] : creates) wait_for_token(wave);
        wait_for_token(updates);
        for (auto& [order, wave] : deletes) wait_for_token(wave);
      }
      batch_->commit();
      ledger_.forget_answered_updates();
    } catch (const std::exception& failure) {
      keep_what_was_recorded(failure);
      throw;
    }
    co_return report_;
  }

 private:
  bool stop_requested() const {
    return options_.stop_requested != nullptr && options_.stop_requested->load();
  }

  // Whether to send no more: a stop was requested, or the CRM refused the token.
  bool halted() const { return stop_requested() || token_refused_.has_value(); }

  // The answers recorded before a failure are kept: they reached the CRM.
  void keep_what_was_recorded(const std::exception& failure) {
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

  // ---- reading -------------------------------------------------------------------------

  // What the last PUT of a row, whose answer was never recorded, sent: the row's base with the
  // sent fields laid over it, as cells. Nothing when no such PUT is known.
  std::optional<std::vector<Cell>> unanswered_put(const model::Resource& r, std::int64_t id,
                                                  const std::optional<std::string>& base_raw) {
    const std::optional<std::string> payload = ledger_.sent_update(r.endpoint, id);
    if (!payload) return std::nullopt;
    json::error_code ec;
    json::value sent = json::parse(*payload, ec);
    if (ec || !sent.is_object()) return std::nullopt;
    json::object element;
    if (base_raw) {
      json::value base = json::parse(*base_raw, ec);
      if (!ec && base.is_object()) element = std::move(base.as_object());
    }
    for (const auto& kv : sent.as_object()) element[kv.key()] = kv.value();
    return storage::cells_of(r, element);
  }

  // Our own PUT, applied by the CRM but never answered, shows in the CRM's version as a change
  // made there. Where the CRM holds exactly what we sent, the value is ours: it becomes the
  // base, so a later local edit of that field is no conflict and is sent.
  void count_own_unanswered_put_as_base(const model::Resource& r, std::int64_t id,
                                        const std::optional<std::string>& base_raw,
                                        const std::vector<Cell>& theirs, std::vector<Cell>& base) {
    const auto sent = unanswered_put(r, id, base_raw);
    if (!sent) return;
    for (size_t i : writable_indexes(r))
      if ((*sent)[i] != base[i] && theirs[i] == (*sent)[i]) base[i] = theirs[i];
  }

  std::vector<Item> load_items() {
    std::vector<Item> items;
    for (storage::PendingRow& row : outbox_.pending_rows()) {
      Item item;
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

  // When each field of a row was last edited here, from the outbox entries this push sends.
  struct LocalEditTimes {
    std::map<std::string, Timestamp, std::less<>> by_column;
    std::optional<Timestamp> every_column;  // an insert, or an entry that names no columns
    std::optional<Timestamp> row;           // the row's latest edit, of any field

    // The latest edit of `column`; the row's latest edit when no entry names it (then it is
    // the best there is: an entry written by something other than the capture triggers).
    std::optional<Timestamp> of(std::string_view column) const {
      std::optional<Timestamp> latest = every_column;
      if (auto it = by_column.find(column); it != by_column.end())
        if (!latest || it->second.at > latest->at) latest = it->second;
      return latest ? latest : row;
    }
  };

  LocalEditTimes local_edit_times(const Item& item) {
    LocalEditTimes times;
    times.row = parse_timestamp(item.last_edit);
    auto later = [](std::optional<Timestamp>& slot, const Timestamp& t) {
      if (!slot || t.at > slot->at) slot = t;
    };
    for (const storage::OutboxEntry& entry :
         outbox_.entries_up_to(item.resource->endpoint, item.id, item.last_seq)) {
      const auto when = parse_timestamp(entry.created_at);
      if (!when) continue;
      if (entry.is_insert || !entry.changed) {
        later(times.every_column, *when);
        continue;
      }
      const std::string& changed = *entry.changed;  // "city,title"
      for (size_t start = 0; start <= changed.size();) {
        const size_t comma = std::min(changed.find(',', start), changed.size());
        if (comma > start) {
          auto [it, fresh] =
              times.by_column.try_emplace(changed.substr(start, comma - start), *when);
          if (!fresh && when->at > it->second.at) it->second = *when;
        }
        start = comma + 1;
      }
    }
    return times;
  }

  std::optional<RemoteVersion> remote_version(const model::Resource& r, std::int64_t id) {
    return ledger_.remote_version(r.endpoint, id);
  }

  std::int64_t later_entries(const Item& item, std::int64_t id) {
    return outbox_.entries_after(item.resource->endpoint, id, item.last_seq);
  }

  // ---- writing (inside the batch, or an OwnWriteTransaction before sending starts)
  // -----------------------------------

  void consume(const Item& item, std::int64_t id) {
    outbox_.consume(item.resource->endpoint, id, item.last_seq);
  }

  void drop_remote_version(const model::Resource& r, std::int64_t id) {
    ledger_.drop_remote_version(r.endpoint, id);
  }

  void drop_intent(const model::Resource& r, std::int64_t id) {
    ledger_.drop_intent(r.endpoint, id);
  }

  // Committed before the POST is sent, with whatever the batch holds: if the answer is lost,
  // the intent is what lets the next run find the element instead of creating it twice.
  void record_intent(const model::Resource& r, std::int64_t id, const json::object& payload) {
    add_intent(r, id, payload);
    batch_->commit();
  }

  void add_intent(const model::Resource& r, std::int64_t id, const json::object& payload) {
    batch_->add([&] { ledger_.add_intent(r.endpoint, id, json::serialize(payload)); });
  }

  // Whether the CRM's version differs from the base only by what our own unanswered PUT sent
  // (its `lm` and the other read-only fields then changed too, because of that PUT).
  bool changed_only_by_own_unanswered_put(const model::Resource& r, std::int64_t id,
                                          const std::optional<std::string>& base_raw,
                                          const std::optional<std::string>& remote_raw) {
    if (!ledger_.may_have_sent_update(r.endpoint, id)) return false;
    std::vector<Cell> base = cells_of_raw(r, base_raw);
    const std::vector<Cell> theirs = cells_of_raw(r, remote_raw);
    count_own_unanswered_put_as_base(r, id, base_raw, theirs, base);
    for (size_t i : writable_indexes(r))
      if (theirs[i] != base[i]) return false;
    return true;
  }

  // Added to the batch, which is committed before the PUT is sent (see push_updates).
  void add_sent_update(const model::Resource& r, std::int64_t id, const json::object& body) {
    batch_->add([&] { ledger_.add_sent_update(r.endpoint, id, json::serialize(body)); });
  }

  void drop_sent_update(const model::Resource& r, std::int64_t id) {
    ledger_.drop_sent_update(r.endpoint, id);
  }

  void record_conflict(const model::Resource& r, std::int64_t id, const std::string& fields,
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
  void record_waiting_conflict(const model::Resource& r, std::int64_t id, const std::string& fields,
                               const std::optional<std::string>& base, const std::string& local,
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

  void refresh_open_conflict(const model::Resource& r, std::int64_t id, const std::string& remote) {
    conflicts_.refresh_open_remote(r.endpoint, id, remote);
  }

  // "title,city": the API names of the fields, as `conflicts.fields` lists them.
  static std::string field_list(const model::Resource& r, const std::vector<size_t>& indexes) {
    std::string fields;
    for (size_t i : indexes) fields += (fields.empty() ? "" : ",") + std::string(r.fields[i].api);
    return fields;
  }

  // The local row as an element: its base with the local values of the writable fields.
  std::string local_json(const model::Resource& r, const std::optional<std::string>& base,
                         const std::vector<Cell>& cells) {
    json::object out;
    if (base) {
      json::error_code ec;
      json::value v = json::parse(*base, ec);
      if (!ec && v.is_object()) out = std::move(v.as_object());
    }
    std::string problem;
    for (size_t i : writable_indexes(r))
      if (auto value = storage::json_from_cell(r.fields[i], cells[i], problem))
        out[r.fields[i].api] = std::move(*value);
    keep_id_lists_of_raw(r, cells, base, out);
    return json::serialize(out);
  }

  // Stores the CRM's answer for a row that was `old_id` locally and is `element.id` now.
  // Later local edits (made while the request was on its way) keep the row pending.
  void store_answer(const Item& item, std::int64_t old_id, const storage::MappedElement& element) {
    storage::ElementTable& table = table_for(*item.resource);
    consume(item, old_id);
    const bool edited_since = later_entries(item, old_id) > 0;
    if (old_id != element.id) {
      table.remove(element.id);  // in case the pull saw it already (nothing if not)
      rekey_.replace(*item.resource, old_id, element.id);
    }
    drop_remote_version(*item.resource, old_id);
    drop_intent(*item.resource, old_id);
    if (!edited_since) {
      table.store_synced(element);
      return;
    }
    if (auto row = table.read(element.id)) {
      row->raw = element.raw;
      row->state = SyncState::kPending;
      row->error.reset();
      table.write(*row);
    }
  }

  void mark_waiting(const Item& item, const std::string& why) {
    ++report_.waiting;
    report_.problems.push_back(label(*item.resource, item.id) + ": " + why);
    batch_->add([&] { table_for(*item.resource).set_state(item.id, SyncState::kPending, why); });
  }

  void mark_rejected(const Item& item, const std::string& why) {
    ++report_.rejected;
    report_.problems.push_back(label(*item.resource, item.id) + ": " + why);
    spdlog::error("{} was not pushed: {}", label(*item.resource, item.id), why);
    batch_->add([&] {
      table_for(*item.resource).set_state(item.id, SyncState::kError, why);
      outbox_.mark_refused(item.resource->endpoint, item.id, item.last_seq, why);
    });
  }

  // A row that cannot be sent as it is: it waits for a new row it references, or it is
  // refused (a bad value, or a reference to a new row that no longer exists: deleted before it
  // was ever created in the CRM, so waiting would be for ever).
  void handle_payload_problem(const Item& item, const PayloadProblem& problem) {
    if (!problem.waits_for_dependency) return mark_rejected(item, problem.message);
    if (problem.ref == model::Ref::kNone || local_row_exists(problem.ref, problem.local_id))
      return mark_waiting(item, problem.message);
    mark_rejected(item, "it references " + std::to_string(problem.local_id) +
                            ", a new row that was deleted before it reached the CRM; set that "
                            "column to NULL or to an existing id and it is pushed again");
  }

  bool local_row_exists(model::Ref ref, std::int64_t id) {
    for (std::string_view endpoint : model::endpoints_for(ref)) {
      const model::Resource* target = model::find_resource(endpoint);
      if (target != nullptr && table_for(*target).read(id).has_value()) return true;
    }
    return false;
  }

  // Handles an answer that is not a success. Returns true when it was one of those.
  bool handle_failure(const Item& item, const WriteResult& result, std::string_view what) {
    switch (result.status) {
      case Status::kOk:
        return false;
      case Status::kRetryLater:
        mark_waiting(item,
                     std::string(what) + " failed for now, retried next cycle: " + result.message);
        return true;
      case Status::kUnknown:
        mark_waiting(item, std::string(what) + " got no clear answer (" + result.message +
                               "); the next cycle checks whether the CRM has it before "
                               "sending again");
        return true;
      case Status::kNotFound:
      case Status::kRejected:
        mark_rejected(item, "the CRM refused the " + std::string(what) + ": " + result.message);
        return true;
      case Status::kUnauthorized:
        if (!token_refused_) {
          token_refused_ = token_problem(result.message);
          report_.token_refused = true;
          spdlog::error("push stopped: {}", *token_refused_);
          report_.problems.push_back("push stopped: " + *token_refused_);
        }
        wait_for_token(item);
        return true;
    }
    return true;
  }

  // The token is named by where it comes from, never shown.
  static std::string token_problem(const std::string& answer) {
    return "the CRM refused the API token (" + answer +
           "): it is wrong, expired, or has no write access. Put a token with write access "
           "(Clevertim: Account / My Info & Settings) in server.token_file, "
           "$CREDENTIALS_DIRECTORY/token or $CLEVERTIM_TOKEN, and run clevertim-sync "
           "check-config; waiting changes go out with the next sync, no retry needed";
  }

  // A change not sent because the token was refused: it stays pending (not `error`: it is
  // nothing wrong with the change), with the reason, and goes out once the token works.
  void wait_for_token(const Item& item) {
    ++report_.waiting;
    batch_->add([&] {
      table_for(*item.resource).set_state(item.id, SyncState::kPending, *token_refused_);
    });
  }
  void wait_for_token(std::vector<Item>& items) {
    for (Item& item : items)
      if (!item.handled) {
        item.handled = true;
        wait_for_token(item);
      }
  }

  std::optional<storage::MappedElement> map_answer(const Item& item, const WriteResult& result) {
    auto mapped = storage::map_element(*item.resource, result.element);
    if (auto* e = std::get_if<storage::MappedElement>(&mapped)) {
      for (const std::string& w : e->warnings) spdlog::warn("{}", w);
      return std::move(*e);
    }
    mark_waiting(item, "the CRM answered without a usable element (" +
                           std::get<storage::MappingError>(mapped).message + ")");
    return std::nullopt;
  }

  // ---- the three kinds of change ----------------------------------------------------------

  // A new row ready to be sent, its intent recorded.
  struct Create {
    Item* item;
    json::object body;
  };

  // Sends one wave of creates a chunk at a time: a chunk's intents are committed in one
  // transaction before any of its POSTs is sent.
  asio::awaitable<void> push_creates(std::vector<Item>& wave) {
    co_await send_in_committed_chunks<Create>(
        wave,
        [this](Item& item) -> std::optional<Create> {
          auto body = prepare_create(item);
          if (!body) return std::nullopt;
          return Create{&item, std::move(*body)};
        },
        [this](Create& c) { return send_create(c); });
    // The next wave's references are rewritten to these new ids.
    batch_->commit();
  }

  // Prepares `items` a chunk at a time (`prepare(Item&) -> std::optional<Ready>`), commits
  // what the chunk's preparation recorded (intents, sent payloads), and only then sends the
  // chunk a few requests at a time (`send(Ready&)`).
  template <class Ready, class Prepare, class Send>
  asio::awaitable<void> send_in_committed_chunks(std::vector<Item>& items, Prepare prepare,
                                                 Send send) {
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

  // The payload of a new row, with its intent added to the batch; nothing when the row is gone
  // or cannot be sent yet (then it is marked so).
  std::optional<json::object> prepare_create(Item& item) {
    const auto row = table_for(*item.resource).read(item.id);
    if (!row) {
      batch_->add([&] { consume(item, item.id); });
      return std::nullopt;
    }
    auto payload = build_payload(*item.resource, row->cells, writable_indexes(*item.resource),
                                 /*skip_nulls=*/true);
    if (auto* problem = std::get_if<PayloadProblem>(&payload)) {
      handle_payload_problem(item, *problem);
      return std::nullopt;
    }
    add_intent(*item.resource, item.id, std::get<json::object>(payload));
    return std::move(std::get<json::object>(payload));
  }

  asio::awaitable<void> send_create(Create& create) {
    Item& item = *create.item;
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

  // What one local update needs sent, once merged with the CRM's version.
  struct Update {
    enum class Kind {
      kPut,              // the changed fields
      kRecreate,         // deleted in the CRM: created again from the row
      kReplaceByCreate,  // a comment: a new one with the merged fields, then the old deleted
    };
    Item* item;
    Kind kind;
    json::object body;             // kPut
    std::optional<StoredRow> row;  // kRecreate
    std::vector<Cell> target;      // kReplaceByCreate
  };

  // Sends the updates a chunk at a time: what each PUT of a chunk sends is committed (in
  // sent_updates) before any of them is sent, so that an answer lost to a crash is still
  // recognised as ours when the CRM's version comes back.
  asio::awaitable<void> push_updates(std::vector<Item>& updates) {
    co_await send_in_committed_chunks<Update>(
        updates, [this](Item& item) { return prepare_update(item); },
        [this](Update& u) { return send_update(u); });
  }

  // Merges the row with the CRM's version and says what is left to send; what needs no
  // request (nothing left to send, a conflict waiting for a person) is recorded here.
  std::optional<Update> prepare_update(Item& item) {
    const model::Resource& r = *item.resource;
    storage::ElementTable& table = table_for(r);
    auto row = table.read(item.id);
    if (!row) {
      batch_->add([&] { consume(item, item.id); });
      return std::nullopt;
    }
    if (row->state == SyncState::kConflict) {
      // The CRM may have changed the row again since: the open conflict shows its newest
      // version, which is also what `remote` settles on.
      if (auto remote = remote_version(r, item.id); remote && remote->raw)
        batch_->add([&] { refresh_open_conflict(r, item.id, *remote->raw); });
      ++report_.waiting;
      report_.problems.push_back(label(r, item.id) +
                                 ": a conflict waits for a person (clevertim-sync conflicts)");
      return std::nullopt;
    }
    std::vector<Cell> base = cells_of_raw(r, row->raw);
    const auto remote = remote_version(r, item.id);
    if (remote && remote->deleted) return Update{&item, Update::Kind::kRecreate, {}, row, {}};

    std::vector<Cell> target = row->cells;  // what the row holds once merged
    std::optional<std::string> new_base = row->raw;
    std::vector<size_t> send;
    if (remote && remote->raw) {
      const std::vector<Cell> theirs = cells_of_raw(r, remote->raw);
      count_own_unanswered_put_as_base(r, item.id, row->raw, theirs, base);
      const FieldMerge merge = merge_fields(r, base, row->cells, theirs);
      // Under `newest` each conflicting field is judged by its own latest local edit: the
      // row's latest edit may be of another field, made after the CRM's edit of this one.
      std::vector<size_t> won_here, won_there;
      if (merge.has_conflict()) {
        const json::object remote_object = json::parse(*remote->raw).as_object();
        const LocalEditTimes edits = local_edit_times(item);
        bool for_a_person = false;
        for (size_t i : merge.both) {
          const Winner winner =
              choose_winner(options_.policy, edits.of(r.fields[i].column), remote_object);
          if (winner == Winner::kPerson) for_a_person = true;
          (winner == Winner::kLocal ? won_here : won_there).push_back(i);
        }
        const std::string local = local_json(r, row->raw, row->cells);
        if (for_a_person) {
          const std::string fields = field_list(r, merge.both);
          batch_->add([&] {
            record_waiting_conflict(r, item.id, fields, row->raw, local, remote->raw);
            table.set_state(
                item.id, SyncState::kConflict,
                "changed here and in the CRM (" + fields + "): see the conflicts table");
          });
          ++report_.waiting;
          return std::nullopt;
        }
        // One record per outcome, naming the fields decided that way.
        batch_->add([&] {
          if (!won_here.empty())
            record_conflict(r, item.id, field_list(r, won_here), row->raw, local, remote->raw,
                            "the local edit was kept and sent to the CRM", "local");
          if (!won_there.empty())
            record_conflict(r, item.id, field_list(r, won_there), row->raw, local, remote->raw,
                            "the CRM's version was kept", "remote");
        });
      }
      target = theirs;
      for (size_t i : merge.local_only) target[i] = row->cells[i];
      send = merge.local_only;
      for (size_t i : won_here) {
        target[i] = row->cells[i];
        send.push_back(i);
      }
      new_base = remote->raw;
    } else {
      for (size_t i : writable_indexes(r))
        if (row->cells[i] != base[i]) send.push_back(i);
    }

    if (send.empty()) {  // nothing left to send: the row is the merged version
      batch_->add([&] {
        consume(item, item.id);
        drop_remote_version(r, item.id);
        row->cells = target;
        row->raw = new_base;
        if (later_entries(item, item.id) == 0) {
          row->state = SyncState::kSynced;
          row->error.reset();
        }
        table.write(*row);
      });
      ++report_.unchanged;
      return std::nullopt;
    }
    if (!r.updatable) return Update{&item, Update::Kind::kReplaceByCreate, {}, {}, target};

    auto payload = build_payload(r, target, send, /*skip_nulls=*/false);
    if (auto* problem = std::get_if<PayloadProblem>(&payload)) {
      handle_payload_problem(item, *problem);
      return std::nullopt;
    }
    json::object& body = std::get<json::object>(payload);
    body["id"] = item.id;
    add_sent_update(r, item.id, body);
    return Update{&item, Update::Kind::kPut, std::move(body), {}, {}};
  }

  asio::awaitable<void> send_update(Update& update) {
    Item& item = *update.item;
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

  // A comment cannot be updated (PUT answers 501): create the new text, then delete the old.
  asio::awaitable<void> replace_by_create(Item& item, const std::vector<Cell>& cells) {
    const model::Resource& r = *item.resource;
    auto payload = build_payload(r, cells, writable_indexes(r), /*skip_nulls=*/true);
    if (auto* problem = std::get_if<PayloadProblem>(&payload)) {
      handle_payload_problem(item, *problem);
      co_return;
    }
    record_intent(r, item.id, std::get<json::object>(payload));
    const WriteResult created =
        co_await writer_.create(r.endpoint, std::get<json::object>(payload));
    if (handle_failure(item, created, "create of the edited copy")) co_return;
    const auto element = map_answer(item, created);
    if (!element) co_return;
    const WriteResult removed = co_await writer_.remove(r.endpoint, item.id);
    if (!removed.ok() && removed.status != Status::kNotFound)
      report_.problems.push_back(
          label(r, item.id) + ": the edited copy is " + label(r, element->id) +
          ", but deleting the old one failed: " + removed.message + " (delete it in the CRM)");
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
  asio::awaitable<void> recreate(Item& item, const StoredRow& row) {
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
    auto payload = build_payload(r, row.cells, writable_indexes(r), /*skip_nulls=*/true);
    if (auto* problem = std::get_if<PayloadProblem>(&payload)) {
      handle_payload_problem(item, *problem);
      co_return;
    }
    keep_id_lists_of_raw(r, row.cells, row.raw, std::get<json::object>(payload));
    record_intent(r, item.id, std::get<json::object>(payload));
    const WriteResult result = co_await writer_.create(r.endpoint, std::get<json::object>(payload));
    if (handle_failure(item, result, "re-creation")) co_return;
    const auto element = map_answer(item, result);
    if (!element) co_return;
    batch_->add([&] {
      record_conflict(
          r, item.id, "", row.raw, local_json(r, row.raw, row.cells), std::nullopt,
          "deleted in the CRM but edited here: created again as " + label(r, element->id), "local");
      store_answer(item, item.id, *element);
    });
    ++report_.created;
  }

  asio::awaitable<void> push_delete(Item& item) {
    item.handled = true;
    const model::Resource& r = *item.resource;
    const auto remote = remote_version(r, item.id);
    if (remote && !remote->deleted && remote->raw &&
        storage::raw_hash(*remote->raw) != storage::raw_hash(item.deleted_raw.value_or("")) &&
        !changed_only_by_own_unanswered_put(r, item.id, item.deleted_raw, remote->raw)) {
      // Edited in the CRM, deleted here: a deletion cannot be undone, an edit can.
      auto mapped = storage::map_element(r, json::parse(*remote->raw));
      batch_->add([&] {
        consume(item, item.id);
        drop_remote_version(r, item.id);
        if (auto* e = std::get_if<storage::MappedElement>(&mapped)) table_for(r).store_synced(*e);
        record_conflict(r, item.id, "", item.deleted_raw, "null", remote->raw,
                        "edited in the CRM but deleted here: the row is back with the CRM's "
                        "version",
                        "remote");
      });
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

  // ---- before sending -------------------------------------------------------------------

  // A push without a pull just before it (the daemon's immediate push, or a resource left out
  // of sync.resources) would merge with the CRM's version as the last pull saw it, minutes
  // old: a same-field edit made in the CRM since then was overwritten without a conflict.
  // So the current version of each element about to be PUT or DELETEd is read first, and
  // what changed there becomes its remote version. What remains is the time between this
  // GET and the PUT: one round trip.
  asio::awaitable<void> read_current_versions(std::vector<Item>& items) {
    std::vector<Item*> stale;
    for (Item& item : items)
      if (item.id > 0 && !item.has_insert &&
          !options_.freshly_pulled.contains(std::string(item.resource->endpoint)))
        stale.push_back(&item);
    co_await for_each_concurrently(
        stale, options_.concurrency, [this] { return halted(); },
        [this](Item*& item) { return read_current_version(*item); });
    batch_->commit();
  }

  asio::awaitable<void> read_current_version(Item& item) {
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

  // A row created and deleted before its create was sent needs no request. If the row is there
  // again, its id was inserted anew after the delete (mirrors before schema version 5 let a
  // writer do that): what is there now is a new row to create, the deleted one is never sent.
  void cancel_created_then_deleted(std::vector<Item>& items) {
    std::erase_if(items, [this](Item& item) {
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

  void hold_mass_deletions(std::vector<Item>& items) {
    std::map<const model::Resource*, std::int64_t> deletions;
    for (const Item& item : items)
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
        std::erase_if(items, [resource = resource](const Item& item) {
          return item.resource == resource && item.has_delete && item.id > 0;
        });
      }
      OwnWriteTransaction tx(db_);
      outbox_.hold_deletions(resource->endpoint, reason);
      tx.commit();
    }
  }

  // POSTs whose answer was lost: if the pull found the element, adopt it instead of sending
  // it again; if not, it is sent again; if the list could not be read, wait.
  void recognise_lost_creates() {
    struct Intent {
      const model::Resource* resource;
      std::int64_t id;
      json::object payload;
    };
    std::vector<Intent> intents;
    {
      SQLite::Statement q(db_, "SELECT resource, record_id, payload FROM push_intents");
      while (q.executeStep()) {
        const model::Resource* r = model::find_resource(q.getColumn(0).getString());
        if (r == nullptr) continue;
        intents.push_back(
            {r, q.getColumn(1).getInt64(), json::parse(q.getColumn(2).getString()).as_object()});
      }
    }
    for (const Intent& intent : intents) {
      if (!options_.freshly_pulled.contains(std::string(intent.resource->endpoint))) {
        blocked_.insert({intent.resource->endpoint, intent.id});
        report_.waiting++;
        report_.problems.push_back(label(*intent.resource, intent.id) +
                                   ": a create whose answer was lost waits until the " +
                                   std::string(intent.resource->endpoint) +
                                   " list can be read to check for it");
        continue;
      }
      auto found = table_for(*intent.resource).find_matching(intent.payload);
      if (!found) found = created_since_with_same_identity(*intent.resource, intent.payload);
      OwnWriteTransaction tx(db_);
      if (found) {
        storage::ElementTable& table = table_for(*intent.resource);
        Item item;
        item.resource = intent.resource;
        item.id = intent.id;
        item.last_seq = outbox_.last_insert_seq(intent.resource->endpoint, intent.id);
        if (table.read(intent.id)) adopt_lost_create(item, intent.payload, *found);
      }
      drop_intent(*intent.resource, intent.id);
      tx.commit();
    }
  }

  // An element this cycle's pull found new whose identifying fields (what a create must
  // carry: cn, fn/ln, name, desc, comment) equal the lost POST's: the CRM created it, then
  // someone changed another field it was sent with, so it no longer matches on every field.
  // Sending it again made a duplicate. Each such element is adopted once.
  std::optional<std::string> created_since_with_same_identity(const model::Resource& r,
                                                              const json::object& sent) {
    const auto created = options_.freshly_created.find(std::string(r.endpoint));
    if (created == options_.freshly_created.end()) return std::nullopt;
    std::vector<std::string_view> identity;
    for (std::string_view f : r.create.required) identity.push_back(f);
    for (std::string_view f : r.create.needs_one_of) identity.push_back(f);
    if (identity.empty()) return std::nullopt;  // nothing tells this element from another
    for (std::int64_t id : created->second) {
      if (adopted_.contains({r.endpoint, id})) continue;
      auto raw = table_for(r).raw_of(id);
      if (!raw) continue;
      json::error_code ec;
      const json::value element = json::parse(*raw, ec);
      if (ec || !element.is_object()) continue;
      bool same = true;
      for (std::string_view f : identity) {
        const json::value* a = sent.if_contains(f);
        const json::value* b = element.get_object().if_contains(f);
        same = same && ((a == nullptr && (b == nullptr || b->is_null())) ||
                        (a != nullptr && b != nullptr && *a == *b));
      }
      if (!same) continue;
      adopted_.insert({r.endpoint, id});
      return raw;
    }
    return std::nullopt;
  }

  // The element a lost POST created, found in the pull: the row becomes it. A row edited since
  // the POST keeps its edits pending, merged against what the POST created (the fields it
  // sent), with the CRM's version now as the remote one: an edit made in the CRM since the
  // create is then a conflict under the policy. Taking the CRM's version now as the base made
  // the later local edit overwrite it silently.
  void adopt_lost_create(const Item& item, const json::object& sent, const std::string& found) {
    const model::Resource& r = *item.resource;
    const json::value now = json::parse(found);
    const auto mapped = storage::map_element(r, now);
    const std::int64_t new_id = std::get<storage::MappedElement>(mapped).id;
    spdlog::info("{}: the CRM had received the create whose answer was lost; adopted as {}",
                 label(r, item.id), new_id);
    if (later_entries(item, item.id) == 0)
      return store_answer(item, item.id, std::get<storage::MappedElement>(mapped));
    json::object created = now.as_object();
    for (size_t i : writable_indexes(r)) {
      const std::string_view api = r.fields[i].api;
      if (const json::value* v = sent.if_contains(api))
        created[api] = *v;
      else
        created.erase(api);
    }
    auto base = storage::map_element(r, created);
    store_answer(item, item.id, std::get<storage::MappedElement>(base));
    if (std::get<storage::MappedElement>(base).raw != found) {
      table_for(r).record_remote_version(new_id, &found);
      ledger_.note_remote_version(r.endpoint, new_id);
    }
  }

  void settle_resolved_conflicts() {
    std::vector<std::int64_t> ids;
    SQLite::Statement q(db_,
                        "SELECT id FROM conflicts WHERE resolution IS NOT NULL AND resolved_at IS "
                        "NULL");
    while (q.executeStep()) ids.push_back(q.getColumn(0).getInt64());
    for (std::int64_t id : ids) settle(id);
  }

 public:
  // Applies a person's choice to the row: the CRM's version, with the local value kept for the
  // fields changed only here, and for the conflicting ones too when the choice is `local`.
  bool settle(std::int64_t conflict_id) {
    SQLite::Statement q(db_,
                        "SELECT resource, record_id, resolution, remote FROM conflicts WHERE id = "
                        "? AND resolution IS NOT NULL AND resolved_at IS NULL");
    q.bind(1, conflict_id);
    if (!q.executeStep()) return false;
    const model::Resource* r = model::find_resource(q.getColumn(0).getString());
    const std::int64_t id = q.getColumn(1).getInt64();
    const bool keep_local = q.getColumn(2).getString() == "local";
    std::optional<std::string> remote_raw;
    if (!q.getColumn(3).isNull()) remote_raw = q.getColumn(3).getString();
    if (r == nullptr) return false;

    OwnWriteTransaction tx(db_);
    storage::ElementTable& table = table_for(*r);
    auto row = table.read(id);
    if (row && row->state == SyncState::kConflict) {
      if (auto current = remote_version(*r, id); current && current->raw) remote_raw = current->raw;
      const std::vector<Cell> base = cells_of_raw(*r, row->raw);
      const std::vector<Cell> theirs = cells_of_raw(*r, remote_raw);
      const FieldMerge merge = merge_fields(*r, base, row->cells, theirs);
      std::vector<Cell> target = theirs;
      for (size_t i : merge.local_only) target[i] = row->cells[i];
      if (keep_local)
        for (size_t i : merge.both) target[i] = row->cells[i];
      const bool to_send = target != theirs;
      row->cells = std::move(target);
      row->raw = remote_raw;
      row->state = to_send ? SyncState::kPending : SyncState::kSynced;
      row->error.reset();
      table.write(*row);
      drop_remote_version(*r, id);
      // The remaining local values go out with the next push, as an ordinary update.
      outbox_.clear(r->endpoint, id);
      if (to_send) outbox_.queue_update(r->endpoint, id);
    }
    // The choice settles the row, so every open conflict of it is settled with this one
    // (mirrors written by earlier releases may hold several).
    SQLite::Statement done(
        db_,
        "UPDATE conflicts SET resolved_at = ?, resolution = coalesce(resolution, "
        "?) WHERE id = ? OR (resource = ? AND record_id = ? AND resolved_at IS "
        "NULL)");
    done.bind(1, storage::utc_now_iso());
    done.bind(2, keep_local ? "local" : "remote");
    done.bind(3, conflict_id);
    done.bind(4, std::string(r->endpoint));
    done.bind(5, id);
    done.exec();
    tx.commit();
    return true;
  }

 private:
  // One table object (and its prepared statements) per resource, for the whole run.
  storage::ElementTable& table_for(const model::Resource& r) {
    auto& slot = tables_[&r];
    if (!slot) slot = std::make_unique<storage::ElementTable>(db_, r);
    return *slot;
  }

  // A statement prepared once per run; reset and unbound when handed out.
  SQLite::Statement& statement(const char* sql) { return statements_.get(sql); }

  SQLite::Database& db_;
  std::map<const model::Resource*, std::unique_ptr<storage::ElementTable>> tables_;
  storage::StatementCache statements_{db_};
  storage::LocalIdRewriter rekey_{db_};
  storage::Outbox outbox_{db_, statements_};
  storage::PushLedger ledger_{db_, statements_};
  storage::ConflictLog conflicts_{statements_};
  CrmWriter& writer_;
  const PushOptions& options_;
  PushReport report_;
  // (resource, id) pairs; the endpoint views point into model/'s static tables.
  using RowKeys = std::set<std::pair<std::string_view, std::int64_t>>;
  RowKeys blocked_;
  RowKeys adopted_;                           // elements adopted for a lost create this run
  std::optional<std::string> token_refused_;  // why the push stopped sending: a 401/403
  std::optional<WriteBatch> batch_;           // while sending; see write_batch.h
};

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

asio::awaitable<PushReport> push_changes(storage::Mirror& mirror, CrmWriter& writer,
                                         const PushOptions& options) {
  PushRun run(mirror, writer, options);
  co_return co_await run.run();
}

bool resolve_conflict(storage::Mirror& mirror, std::int64_t conflict_id, std::string_view side) {
  if (side != "local" && side != "remote") return false;
  {
    SQLite::Statement q(mirror.db(),
                        "UPDATE conflicts SET resolution = ? WHERE id = ? AND resolved_at IS NULL");
    q.bind(1, std::string(side));
    q.bind(2, conflict_id);
    if (q.exec() == 0) return false;
  }
  NoWriter unused;
  PushOptions options;
  return PushRun(mirror, unused, options).settle(conflict_id);
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
