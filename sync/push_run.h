// One push, inside sync/ only (push.h is the interface). Its state is the run's; its work is
// split by phase, one file each:
//   push_plan.{h,cpp}        pure: sorting rows into a plan, edit times, the update merge;
//   push_prepare.cpp         reading the outbox and the rows, the mass-deletion guard, the
//                            CRM's current versions, creates and updates made ready to send;
//   push_lost_creates.cpp    POSTs whose answer was lost, recognised in what the pull brought;
//   push.cpp                 sending, in dependency order, a few requests at a time;
//   push_answers.cpp         recording what the CRM answered (or why a row waits);
//   push_conflicts.{h,cpp}   conflicts: recording them, settling a person's choice.
// Payloads themselves are built by the pure functions of push_payload.h.
//
// Transactions: settling chosen conflicts, lost creates, cancelled creates and held deletions
// each write in an OwnWriteTransaction of their own; from the reading of current versions on,
// everything goes through the WriteBatch (write_batch.h), which is committed before any
// request that must not be sent twice. What decides a write is read again inside that
// write's transaction (HACKING.md, "The life of the push's tables"); run() keeps that order.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/object.hpp>

#include <exception>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "storage/conflict_log.h"
#include "storage/element_table.h"
#include "storage/local_ids.h"
#include "storage/outbox.h"
#include "storage/push_ledger.h"
#include "storage/statement_cache.h"
#include "sync/push.h"
#include "sync/push_payload.h"
#include "sync/push_plan.h"
#include "sync/write_batch.h"

namespace clevertim::sync {

// Runs `work` on every item with at most `concurrency` at a time, on this coroutine's
// executor, until `stop()` is true. The first exception (a database failure) is rethrown once
// all have stopped.
template <class T, class Stop, class Work>
boost::asio::awaitable<void> for_each_concurrently(std::vector<T>& items, int concurrency,
                                                   Stop stop, Work work) {
  namespace asio = boost::asio;
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

// A new row ready to be sent, its intent recorded.
struct Create {
  RowChange* item;
  boost::json::object body;
};

// What one local update needs sent, once merged with the CRM's version.
struct Update {
  enum class Kind {
    kPut,              // the changed fields
    kRecreate,         // deleted in the CRM: created again from the row
    kReplaceByCreate,  // a comment: a new one with the merged fields, then the old deleted
  };
  RowChange* item;
  Kind kind;
  boost::json::object body;               // kPut
  std::optional<storage::StoredRow> row;  // kRecreate
  std::vector<storage::Cell> target;      // kReplaceByCreate
};

class PushRun {
 public:
  // The bookkeeping is noted here, not in run(): settle() is also called on its own (`resolve`
  // from the command line), and with empty key sets it would neither see the CRM version the
  // pull kept aside nor drop it, leaving a stale one to undo a later DELETE or to make a later
  // edit of the field a false conflict.
  PushRun(storage::Mirror& mirror, CrmWriter& writer, const PushOptions& options);

  boost::asio::awaitable<PushReport> run();

  // Applies a person's choice to the row: the CRM's version, with the local value kept for the
  // fields changed only here, and for the conflicting ones too when the choice is `local`.
  bool settle(std::int64_t conflict_id);

 private:
  // ---- push.cpp: sending ----
  bool stop_requested() const {
    return options_.stop_requested != nullptr && options_.stop_requested->load();
  }
  // Whether to send no more: a stop was requested, or the CRM refused the token.
  bool halted() const { return stop_requested() || token_refused_.has_value(); }
  boost::asio::awaitable<void> send_plan(Plan& plan);
  void keep_what_was_recorded(const std::exception& failure);
  template <class Ready, class Prepare, class Send>
  boost::asio::awaitable<void> send_in_committed_chunks(std::vector<RowChange>& items,
                                                        Prepare prepare, Send send);
  boost::asio::awaitable<void> push_creates(std::vector<RowChange>& wave);
  boost::asio::awaitable<void> send_create(Create& create);
  boost::asio::awaitable<void> push_updates(std::vector<RowChange>& updates);
  boost::asio::awaitable<void> send_update(Update& update);
  boost::asio::awaitable<void> replace_by_create(RowChange& item,
                                                 const std::vector<storage::Cell>& cells);
  boost::asio::awaitable<void> recreate(RowChange& item, const storage::StoredRow& row);
  boost::asio::awaitable<void> push_delete(RowChange& item);
  void keep_remote_edit_over_delete(RowChange& item, const std::string& remote_raw);
  void record_intent(const model::Resource& r, std::int64_t id, const boost::json::object& payload);

  // ---- push_prepare.cpp: before sending ----
  std::vector<RowChange> load_items();
  LocalEditTimes local_edit_times(const RowChange& item);
  void cancel_created_then_deleted(std::vector<RowChange>& items);
  void hold_mass_deletions(std::vector<RowChange>& items);
  boost::asio::awaitable<void> read_current_versions(std::vector<RowChange>& items);
  boost::asio::awaitable<void> read_current_version(RowChange& item);
  std::optional<boost::json::object> prepare_create(RowChange& item);
  std::optional<Update> prepare_update(RowChange& item);
  void keep_waiting_on_conflict(const RowChange& item);
  void hold_for_person(const RowChange& item, const storage::StoredRow& row,
                       const UpdateMerge& merge, const std::optional<std::string>& remote_raw);
  void record_decided_conflicts(const RowChange& item, const storage::StoredRow& row,
                                const UpdateMerge& merge,
                                const std::optional<std::string>& remote_raw);
  void record_merged_row(const RowChange& item, storage::StoredRow& row, const UpdateMerge& merge);
  std::optional<Update> prepare_put(RowChange& item, const UpdateMerge& merge);
  std::optional<std::vector<storage::Cell>> unanswered_put(
      const model::Resource& r, std::int64_t id, const std::optional<std::string>& base_raw);
  bool changed_only_by_own_unanswered_put(const model::Resource& r, std::int64_t id,
                                          const std::optional<std::string>& base_raw,
                                          const std::optional<std::string>& remote_raw);
  std::optional<boost::json::object> sendable_payload(const RowChange& item,
                                                      const std::vector<storage::Cell>& cells,
                                                      const std::vector<size_t>& indexes,
                                                      bool skip_nulls);

  // ---- push_lost_creates.cpp ----
  void recognise_lost_creates();
  std::optional<std::string> created_since_with_same_identity(const model::Resource& r,
                                                              const boost::json::object& sent);
  void adopt_lost_create(const RowChange& item, const boost::json::object& sent,
                         const std::string& found);

  // ---- push_answers.cpp: recording answers ----
  void store_answer(const RowChange& item, std::int64_t old_id,
                    const storage::MappedElement& element);
  void mark_waiting(const RowChange& item, const std::string& why);
  void mark_rejected(const RowChange& item, const std::string& why);
  void handle_payload_problem(const RowChange& item, const PayloadProblem& problem);
  bool local_row_exists(model::Ref ref, std::int64_t id);
  bool handle_failure(const RowChange& item, const WriteResult& result, std::string_view what);
  void wait_for_token(const RowChange& item);
  void wait_for_token(std::vector<RowChange>& items);
  void wait_for_token(Plan& plan);
  std::optional<storage::MappedElement> map_answer(const RowChange& item,
                                                   const WriteResult& result);
  std::optional<storage::RemoteVersion> remote_version(const model::Resource& r, std::int64_t id);
  std::int64_t later_entries(const RowChange& item, std::int64_t id);
  void consume(const RowChange& item, std::int64_t id);
  void drop_remote_version(const model::Resource& r, std::int64_t id);
  void drop_intent(const model::Resource& r, std::int64_t id);
  void add_intent(const model::Resource& r, std::int64_t id, const boost::json::object& payload);
  void add_sent_update(const model::Resource& r, std::int64_t id, const boost::json::object& body);
  void drop_sent_update(const model::Resource& r, std::int64_t id);
  storage::ElementTable& table_for(const model::Resource& r);

  // ---- push_conflicts.cpp ----
  void settle_resolved_conflicts();
  void apply_choice(const model::Resource& r, std::int64_t id, bool keep_local,
                    std::optional<std::string> remote_raw);
  void record_conflict(const model::Resource& r, std::int64_t id, const std::string& fields,
                       const std::optional<std::string>& base, const std::string& local,
                       const std::optional<std::string>& remote, const std::string& outcome,
                       std::optional<std::string_view> resolution);
  void record_waiting_conflict(const model::Resource& r, std::int64_t id, const std::string& fields,
                               const std::optional<std::string>& base, const std::string& local,
                               const std::optional<std::string>& remote);
  void refresh_open_conflict(const model::Resource& r, std::int64_t id, const std::string& remote);

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
  RowKeys blocked_;
  RowKeys adopted_;                           // elements adopted for a lost create this run
  std::optional<std::string> token_refused_;  // why the push stopped sending: a 401/403
  std::optional<WriteBatch> batch_;           // while sending; see write_batch.h
};

}  // namespace clevertim::sync
