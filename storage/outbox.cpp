#include "storage/outbox.h"

#include <SQLiteCpp/Statement.h>

namespace clevertim::storage {
namespace {

// The one number a query answers. The statement is reset at once, as if it had been made for
// this call only: a cached statement left stepping would keep its read snapshot open.
std::int64_t single_number(SQLite::Statement& q) {
  q.executeStep();
  const std::int64_t n = q.getColumn(0).getInt64();
  q.reset();
  return n;
}

}  // namespace

Outbox::Outbox(SQLite::Database& db, StatementCache& statements)
    : db_(db), statements_(statements) {}

// Read once per push: prepared here, not kept.
std::vector<PendingRow> Outbox::pending_rows() {
  std::vector<PendingRow> rows;
  SQLite::Statement q(db_,
                      "SELECT resource, record_id, max(seq), max(created_at), "
                      "max(operation = 'insert'), max(operation = 'delete'), "
                      "max(CASE WHEN operation = 'delete' THEN old_raw END) FROM outbox "
                      "GROUP BY resource, record_id HAVING max(error IS NULL) = 1 "
                      "ORDER BY min(seq)");
  while (q.executeStep()) {
    PendingRow row;
    row.endpoint = q.getColumn(0).getString();
    row.id = q.getColumn(1).getInt64();
    row.last_seq = q.getColumn(2).getInt64();
    row.last_edit = q.getColumn(3).getString();
    row.has_insert = q.getColumn(4).getInt() != 0;
    row.has_delete = q.getColumn(5).getInt() != 0;
    if (!q.getColumn(6).isNull()) row.deleted_raw = q.getColumn(6).getString();
    rows.push_back(std::move(row));
  }
  return rows;
}

std::vector<OutboxEntry> Outbox::entries_up_to(std::string_view endpoint, std::int64_t id,
                                               std::int64_t last_seq) {
  SQLite::Statement& q = statements_.get(
      "SELECT operation, changed, created_at FROM outbox WHERE resource = ? AND record_id = ? "
      "AND seq <= ?");
  q.bind(1, std::string(endpoint));
  q.bind(2, id);
  q.bind(3, last_seq);
  std::vector<OutboxEntry> entries;
  while (q.executeStep()) {
    OutboxEntry entry;
    entry.is_insert = q.getColumn(0).getString() == "insert";
    if (!q.getColumn(1).isNull()) entry.changed = q.getColumn(1).getString();
    entry.created_at = q.getColumn(2).getString();
    entries.push_back(std::move(entry));
  }
  return entries;
}

std::int64_t Outbox::entries_after(std::string_view endpoint, std::int64_t id,
                                   std::int64_t last_seq) {
  SQLite::Statement& q = statements_.get(
      "SELECT count(*) FROM outbox WHERE resource = ? AND record_id = ? AND "
      "seq > ?");
  q.bind(1, std::string(endpoint));
  q.bind(2, id);
  q.bind(3, last_seq);
  return single_number(q);
}

std::int64_t Outbox::last_insert_seq(std::string_view endpoint, std::int64_t id) {
  SQLite::Statement& q = statements_.get(
      "SELECT coalesce(max(seq), 0) FROM outbox WHERE resource = ? AND "
      "record_id = ? AND operation = 'insert'");
  q.bind(1, std::string(endpoint));
  q.bind(2, id);
  return single_number(q);
}

void Outbox::consume(std::string_view endpoint, std::int64_t id, std::int64_t last_seq) {
  SQLite::Statement& q =
      statements_.get("DELETE FROM outbox WHERE resource = ? AND record_id = ? AND seq <= ?");
  q.bind(1, std::string(endpoint));
  q.bind(2, id);
  q.bind(3, last_seq);
  q.exec();
}

void Outbox::clear(std::string_view endpoint, std::int64_t id) {
  SQLite::Statement& q = statements_.get("DELETE FROM outbox WHERE resource = ? AND record_id = ?");
  q.bind(1, std::string(endpoint));
  q.bind(2, id);
  q.exec();
}

void Outbox::queue_update(std::string_view endpoint, std::int64_t id) {
  SQLite::Statement& q = statements_.get(
      "INSERT INTO outbox (resource, record_id, operation) VALUES (?, "
      "?, 'update')");
  q.bind(1, std::string(endpoint));
  q.bind(2, id);
  q.exec();
}

void Outbox::mark_refused(std::string_view endpoint, std::int64_t id, std::int64_t last_seq,
                          const std::string& why) {
  SQLite::Statement& q = statements_.get(
      "UPDATE outbox SET error = ? WHERE resource = ? AND record_id = ? AND seq "
      "<= ?");
  q.bind(1, why);
  q.bind(2, std::string(endpoint));
  q.bind(3, id);
  q.bind(4, last_seq);
  q.exec();
}

void Outbox::hold_deletions(std::string_view endpoint, const std::optional<std::string>& reason) {
  SQLite::Statement& q = statements_.get(
      "UPDATE outbox SET held = ? WHERE resource = ? AND operation = "
      "'delete'");
  reason ? q.bind(1, *reason) : q.bind(1);
  q.bind(2, std::string(endpoint));
  q.exec();
}

std::int64_t Outbox::clear_refusals() {
  return db_.exec("UPDATE outbox SET error = NULL WHERE error IS NOT NULL");
}

}  // namespace clevertim::storage
