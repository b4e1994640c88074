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

}  // namespace clevertim::storage
