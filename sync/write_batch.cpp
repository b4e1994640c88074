#include "sync/write_batch.h"

#include <spdlog/spdlog.h>

namespace clevertim::sync {

WriteBatch::WriteBatch(SQLite::Database& db, const boost::asio::any_io_executor& executor,
                       Limits limits)
    : db_(db),
      limits_(limits),
      age_timer_(executor),
      savepoint_(db, "SAVEPOINT answer"),
      release_(db, "RELEASE answer") {}

WriteBatch::~WriteBatch() {
  *alive_ = false;  // a timer handler already queued runs anyway, after this: it must see that
  age_timer_.cancel();
}

void WriteBatch::add(const std::function<void()>& write) {
  rethrow_deferred_failure();
  if (!transaction_) open();
  savepoint_.reset();
  savepoint_.exec();
  try {
    write();
  } catch (...) {
    // Only this write is undone; the ones before it stay in the batch, and the failure goes
    // on to the caller.
    db_.tryExec("ROLLBACK TO answer");
    db_.tryExec("RELEASE answer");
    throw;
  }
  release_.reset();
  release_.exec();
  if (++writes_ >= limits_.max_writes) commit();
}

void WriteBatch::commit() {
  rethrow_deferred_failure();
  if (!transaction_) return;
  age_timer_.cancel();
  writes_ = 0;
  // Whatever happens, this transaction is over: on failure, reset() rolls it back.
  struct Over {
    std::optional<storage::OwnWriteTransaction>& transaction;
    ~Over() { transaction.reset(); }
  } over{transaction_};
  transaction_->commit();
}

void WriteBatch::open() {
  transaction_.emplace(db_);
  age_timer_.expires_after(limits_.max_age);
  age_timer_.async_wait([this, alive = alive_](const boost::system::error_code& ec) {
    if (*alive) commit_when_old(ec);
  });
}

void WriteBatch::commit_when_old(const boost::system::error_code& ec) {
  if (ec) return;  // cancelled: committed already, or the batch is gone (do not touch it)
  try {
    commit();
  } catch (const std::exception& e) {
    // A timer has no caller to tell: the next add() or commit() reports it.
    spdlog::debug("mirror: committing a batch of push results failed: {}", e.what());
    deferred_failure_ = std::current_exception();
  }
}

void WriteBatch::rethrow_deferred_failure() {
  if (!deferred_failure_) return;
  std::rethrow_exception(std::exchange(deferred_failure_, nullptr));
}

}  // namespace clevertim::sync
