#include "storage/conflict_log.h"

#include <SQLiteCpp/Statement.h>

#include "storage/clock.h"

namespace clevertim::storage {
namespace {

void bind_optional(SQLite::Statement& q, int index, const std::optional<std::string>& text) {
  text ? q.bind(index, *text) : q.bind(index);
}

}  // namespace

ConflictLog::ConflictLog(StatementCache& statements) : statements_(statements) {}

void ConflictLog::record(std::string_view endpoint, std::int64_t id,
                         const ConflictVersions& versions, const std::string& outcome,
                         std::optional<std::string_view> resolution) {
  SQLite::Statement& q = statements_.get(
      "INSERT INTO conflicts (resource, record_id, fields, base, local, remote, outcome, "
      "resolution, detected_at, resolved_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
  const std::string now = utc_now_iso();
  q.bind(1, std::string(endpoint));
  q.bind(2, id);
  q.bind(3, versions.fields);
  bind_optional(q, 4, versions.base);
  q.bind(5, versions.local);
  bind_optional(q, 6, versions.remote);
  q.bind(7, outcome);
  resolution ? q.bind(8, std::string(*resolution)) : q.bind(8);
  q.bind(9, now);
  resolution ? q.bind(10, now) : q.bind(10);
  q.exec();
}

bool ConflictLog::update_open(std::string_view endpoint, std::int64_t id,
                              const ConflictVersions& versions) {
  SQLite::Statement& q = statements_.get(
      "UPDATE conflicts SET fields = ?, base = ?, local = ?, remote = ?, detected_at = ? WHERE "
      "resource = ? AND record_id = ? AND resolved_at IS NULL");
  q.bind(1, versions.fields);
  bind_optional(q, 2, versions.base);
  q.bind(3, versions.local);
  bind_optional(q, 4, versions.remote);
  q.bind(5, utc_now_iso());
  q.bind(6, std::string(endpoint));
  q.bind(7, id);
  return q.exec() > 0;
}

void ConflictLog::refresh_open_remote(std::string_view endpoint, std::int64_t id,
                                      const std::string& remote) {
  SQLite::Statement& q = statements_.get(
      "UPDATE conflicts SET remote = ? WHERE resource = ? AND record_id = ? AND resolved_at IS "
      "NULL AND remote IS NOT ?");
  q.bind(1, remote);
  q.bind(2, std::string(endpoint));
  q.bind(3, id);
  q.bind(4, remote);
  q.exec();
}

bool ConflictLog::choose(std::int64_t conflict_id, std::string_view side) {
  SQLite::Statement& q =
      statements_.get("UPDATE conflicts SET resolution = ? WHERE id = ? AND resolved_at IS NULL");
  q.bind(1, std::string(side));
  q.bind(2, conflict_id);
  return q.exec() > 0;
}

std::vector<std::int64_t> ConflictLog::chosen() {
  SQLite::Statement& q = statements_.get(
      "SELECT id FROM conflicts WHERE resolution IS NOT NULL AND resolved_at IS "
      "NULL");
  std::vector<std::int64_t> ids;
  while (q.executeStep()) ids.push_back(q.getColumn(0).getInt64());
  return ids;
}

std::optional<ConflictChoice> ConflictLog::choice(std::int64_t conflict_id) {
  SQLite::Statement& q = statements_.get(
      "SELECT resource, record_id, resolution, remote FROM conflicts WHERE id = "
      "? AND resolution IS NOT NULL AND resolved_at IS NULL");
  q.bind(1, conflict_id);
  if (!q.executeStep()) return std::nullopt;
  ConflictChoice choice;
  choice.endpoint = q.getColumn(0).getString();
  choice.id = q.getColumn(1).getInt64();
  choice.keep_local = q.getColumn(2).getString() == "local";
  if (!q.getColumn(3).isNull()) choice.remote = q.getColumn(3).getString();
  q.reset();  // no read snapshot kept open until the statement's next use
  return choice;
}

void ConflictLog::settle(std::int64_t conflict_id, std::string_view endpoint, std::int64_t id,
                         bool keep_local) {
  SQLite::Statement& q = statements_.get(
      "UPDATE conflicts SET resolved_at = ?, resolution = coalesce(resolution, "
      "?) WHERE id = ? OR (resource = ? AND record_id = ? AND resolved_at IS "
      "NULL)");
  q.bind(1, utc_now_iso());
  q.bind(2, keep_local ? "local" : "remote");
  q.bind(3, conflict_id);
  q.bind(4, std::string(endpoint));
  q.bind(5, id);
  q.exec();
}

}  // namespace clevertim::storage
