#include "storage/local_ids.h"

#include <SQLiteCpp/Statement.h>

#include <boost/json.hpp>

#include <algorithm>
#include <string>
#include <vector>

#include "model/resources.h"
#include "storage/failpoint.h"
#include "storage/sql_quote.h"

namespace clevertim::storage {
namespace {

bool points_at(model::Ref ref, std::string_view endpoint) {
  const auto targets = model::endpoints_for(ref);
  return std::find(targets.begin(), targets.end(), endpoint) != targets.end();
}

// A new custom field's values sit under its local id as a key of `custom_fields`.
void rename_custom_field_keys(SQLite::Database& db, std::int64_t old_id, std::int64_t new_id) {
  const std::string old_key = std::to_string(old_id);
  const std::string path = "$.\"" + old_key + "\"";
  for (const model::Resource& r : model::all_resources()) {
    const model::Field* cf = r.field_by_api("cf");
    if (cf == nullptr) continue;
    const std::string table = sql_identifier(r.table), col = sql_identifier(cf->column);
    SQLite::Statement q(db, "SELECT id, " + col + " FROM " + table + " WHERE json_valid(" + col +
                                ") AND json_type(" + col + ", ?) IS NOT NULL");
    q.bind(1, path);
    std::vector<std::pair<std::int64_t, std::string>> rewritten;
    while (q.executeStep()) {
      boost::json::object values = boost::json::parse(q.getColumn(1).getString()).as_object();
      boost::json::object renamed;
      for (auto& kv : values)
        renamed[kv.key() == old_key ? std::to_string(new_id) : std::string(kv.key())] = kv.value();
      rewritten.emplace_back(q.getColumn(0).getInt64(), boost::json::serialize(renamed));
    }
    for (const auto& [id, text] : rewritten) {
      SQLite::Statement u(db, "UPDATE " + table + " SET " + col + " = ? WHERE id = ?");
      u.bind(1, text);
      u.bind(2, id);
      u.exec();
    }
  }
}

}  // namespace

void LocalIdRewriter::replace(const model::Resource& resource, std::int64_t old_id,
                              std::int64_t new_id) {
  failpoint("rekey");
  auto update_ids = [&](const std::string& sql) {
    SQLite::Statement& q = statements_.get(sql);
    q.bind(1, new_id);
    q.bind(2, old_id);
    q.exec();
  };
  update_ids("UPDATE " + sql_identifier(resource.table) + " SET id = ? WHERE id = ?");
  // A local id is known to the mirror only: every reference to it is rewritten. A CRM id (an
  // element deleted there and created again) is rewritten only in rows with local changes,
  // which send it with their next PUT; a synced row keeps what the CRM holds, and the next
  // pull brings whatever the CRM decides, so that a reference never changes in the mirror
  // alone.
  const std::string only_local_changes = old_id > 0 ? " AND sync_state <> 'synced'" : "";
  for (const model::Resource& r : model::all_resources())
    for (const model::Field& f : r.fields)
      if (f.ref != model::Ref::kNone && points_at(f.ref, resource.endpoint))
        update_ids("UPDATE " + sql_identifier(r.table) + " SET " + sql_identifier(f.column) +
                   " = ? WHERE " + sql_identifier(f.column) + " = ?" + only_local_changes);
  SQLite::Statement& outbox =
      statements_.get("UPDATE outbox SET record_id = ? WHERE record_id = ? AND resource = ?");
  outbox.bind(1, new_id);
  outbox.bind(2, old_id);
  outbox.bind(3, std::string(resource.endpoint));
  outbox.exec();
  if (resource.endpoint == "customfield") rename_custom_field_keys(db_, old_id, new_id);
}

}  // namespace clevertim::storage
