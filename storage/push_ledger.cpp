#include "storage/push_ledger.h"

#include <SQLiteCpp/Statement.h>

#include "storage/clock.h"
#include "storage/mirror.h"

namespace clevertim::storage {

PushLedger::PushLedger(SQLite::Database& db, StatementCache& statements)
    : db_(db), statements_(statements) {}

void PushLedger::load() {
  note_rows("SELECT resource, id FROM remote_versions", remote_versions_);
  note_rows("SELECT resource, record_id FROM push_intents", intents_);
  note_rows("SELECT resource, id FROM sent_updates", sent_updates_);
}

void PushLedger::note_rows(const char* select, RowKeys& keys) {
  SQLite::Statement q(db_, select);
  while (q.executeStep()) keys.emplace(q.getColumn(0).getString(), q.getColumn(1).getInt64());
}

std::optional<RemoteVersion> PushLedger::remote_version(std::string_view endpoint,
                                                        std::int64_t id) {
  if (!has(remote_versions_, endpoint, id)) return std::nullopt;
  SQLite::Statement& q =
      statements_.get("SELECT raw, deleted FROM remote_versions WHERE resource = ? AND id = ?");
  q.bind(1, std::string(endpoint));
  q.bind(2, id);
  if (!q.executeStep()) return std::nullopt;
  RemoteVersion v;
  if (!q.getColumn(0).isNull()) v.raw = q.getColumn(0).getString();
  v.deleted = q.getColumn(1).getInt() != 0;
  return v;
}

void PushLedger::note_remote_version(std::string_view endpoint, std::int64_t id) {
  remote_versions_.emplace(std::string(endpoint), id);
}

void PushLedger::drop_remote_version(std::string_view endpoint, std::int64_t id) {
  drop("DELETE FROM remote_versions WHERE resource = ? AND id = ?", remote_versions_, endpoint, id);
}

void PushLedger::add_intent(std::string_view endpoint, std::int64_t id,
                            const std::string& payload) {
  intents_.emplace(std::string(endpoint), id);
  add_payload(
      "INSERT OR REPLACE INTO push_intents (resource, record_id, payload, sent_at) VALUES (?, "
      "?, ?, ?)",
      endpoint, id, payload);
}

void PushLedger::drop_intent(std::string_view endpoint, std::int64_t id) {
  drop("DELETE FROM push_intents WHERE resource = ? AND record_id = ?", intents_, endpoint, id);
}

// Read once per push: prepared here, not kept.
std::vector<UnansweredCreate> PushLedger::unanswered_creates() {
  std::vector<UnansweredCreate> creates;
  SQLite::Statement q(db_, "SELECT resource, record_id, payload FROM push_intents");
  while (q.executeStep())
    creates.push_back(
        {q.getColumn(0).getString(), q.getColumn(1).getInt64(), q.getColumn(2).getString()});
  return creates;
}

void PushLedger::add_sent_update(std::string_view endpoint, std::int64_t id,
                                 const std::string& payload) {
  sent_updates_.emplace(std::string(endpoint), id);
  add_payload(
      "INSERT OR REPLACE INTO sent_updates (resource, id, payload, sent_at) VALUES (?, ?, ?, ?)",
      endpoint, id, payload);
}

bool PushLedger::may_have_sent_update(std::string_view endpoint, std::int64_t id) const {
  return has(sent_updates_, endpoint, id);
}

std::optional<std::string> PushLedger::sent_update(std::string_view endpoint, std::int64_t id) {
  if (!has(sent_updates_, endpoint, id)) return std::nullopt;
  SQLite::Statement& q =
      statements_.get("SELECT payload FROM sent_updates WHERE resource = ? AND id = ?");
  q.bind(1, std::string(endpoint));
  q.bind(2, id);
  if (!q.executeStep()) return std::nullopt;
  return q.getColumn(0).getString();
}

void PushLedger::drop_sent_update(std::string_view endpoint, std::int64_t id) {
  drop("DELETE FROM sent_updates WHERE resource = ? AND id = ?", sent_updates_, endpoint, id);
}

// A sent PUT matters until its answer is recorded, which consumes the row's outbox entries. A
// record left behind by a crash after its answer is harmless (the base then holds the values
// it names already).
void PushLedger::forget_answered_updates() {
  // Usually there is nothing: then no write transaction either (the mirror may be busy).
  if (db_.execAndGet("SELECT NOT EXISTS (SELECT 1 FROM sent_updates)").getInt() != 0) return;
  OwnWriteTransaction tx(db_);
  db_.exec(
      "DELETE FROM sent_updates WHERE NOT EXISTS (SELECT 1 FROM outbox AS o WHERE o.resource "
      "= sent_updates.resource AND o.record_id = sent_updates.id)");
  tx.commit();
}

void PushLedger::add_payload(const char* insert, std::string_view endpoint, std::int64_t id,
                             const std::string& payload) {
  SQLite::Statement& q = statements_.get(insert);
  q.bind(1, std::string(endpoint));
  q.bind(2, id);
  q.bind(3, payload);
  q.bind(4, utc_now_iso());
  q.exec();
}

void PushLedger::drop(const char* del, const RowKeys& keys, std::string_view endpoint,
                      std::int64_t id) {
  if (!has(keys, endpoint, id)) return;
  SQLite::Statement& q = statements_.get(del);
  q.bind(1, std::string(endpoint));
  q.bind(2, id);
  q.exec();
}

}  // namespace clevertim::storage
