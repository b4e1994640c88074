// WriteBatch: the push's bookkeeping, written in few transactions instead of one per answer.
//
// Every answer the CRM gives is recorded in the mirror (new ids, synced rows, errors). One
// transaction per answer costs a WAL write of every page it touched; grouping answers shares
// those pages. A batch is committed when it holds `max_writes` writes, when it is
// `max_age` old (so the write lock is never held for long: other programs writing to the
// mirror wait at most that), when `commit()` is called (before a request that must not be
// sent twice, and at the end of the push), and never across a failed write: each write
// runs in its own savepoint, so a failing one is undone alone and its exception propagates.
//
// What a crash loses is at most one batch of bookkeeping; those changes are sent again on
// the next cycle, which is safe: a PUT is idempotent, a DELETE of a gone element answers
// 404 (success), and a create's intent was committed before it was sent.
#pragma once

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <exception>
#include <functional>
#include <memory>
#include <optional>

#include "storage/mirror.h"

namespace clevertim::sync {

class WriteBatch {
 public:
  struct Limits {
    int max_writes = 256;
    std::chrono::milliseconds max_age{25};
  };

  WriteBatch(SQLite::Database& db, const boost::asio::any_io_executor& executor, Limits limits);
  WriteBatch(SQLite::Database& db, const boost::asio::any_io_executor& executor)
      : WriteBatch(db, executor, Limits{}) {}
  // Rolls back what was not committed.
  ~WriteBatch();
  WriteBatch(const WriteBatch&) = delete;
  WriteBatch& operator=(const WriteBatch&) = delete;

  // Runs `write` inside the batch's transaction, in a savepoint of its own.
  void add(const std::function<void()>& write);
  // Makes everything added so far durable now.
  void commit();

 private:
  void open();
  void commit_when_old(const boost::system::error_code& ec);
  void rethrow_deferred_failure();

  SQLite::Database& db_;
  Limits limits_;
  boost::asio::steady_timer age_timer_;
  // False once the batch is gone. Cancelling the timer does not stop a handler already queued
  // (the timer fired while the push was still running): that handler checks this first.
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
  std::optional<storage::OwnWriteTransaction> transaction_;
  int writes_ = 0;
  std::exception_ptr deferred_failure_;  // a commit by the age timer that failed
  // Prepared once: parsing them for every answer was a tenth of a push's time.
  SQLite::Statement savepoint_;
  SQLite::Statement release_;
};

}  // namespace clevertim::sync
