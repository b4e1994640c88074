#include "sync/verify.h"

#include <SQLiteCpp/Statement.h>

#include <boost/json.hpp>

#include <algorithm>
#include <set>

#include "model/resources.h"
#include "storage/element_mapping.h"
#include "storage/schema.h"

namespace clevertim::sync {
namespace {

namespace json = boost::json;
using storage::Cell;

constexpr std::size_t kShown = 80;  // characters of a value shown in a difference

std::string shorten(std::string text) {
  if (text.size() > kShown) text = text.substr(0, kShown) + "...";
  return text;
}

// The top-level keys whose values differ between two elements (absent counts as a value).
std::vector<std::string> differing_keys(const json::object& a, const json::object& b) {
  std::set<std::string> keys;
  for (const auto& kv : a) keys.emplace(kv.key());
  for (const auto& kv : b) keys.emplace(kv.key());
  std::vector<std::string> out;
  for (const std::string& k : keys) {
    const json::value* x = a.if_contains(k);
    const json::value* y = b.if_contains(k);
    if (x == nullptr || y == nullptr || *x != *y) out.push_back(k);
  }
  return out;
}

std::string shown(const json::object& o, const std::string& key) {
  const json::value* v = o.if_contains(key);
  return v == nullptr ? "absent" : shorten(json::serialize(*v));
}

// Rows of `table` that are not (yet) elements of the CRM: created locally, not pushed.
std::int64_t count_local_rows(SQLite::Database& db, const model::Resource& r) {
  return db
      .execAndGet("SELECT count(*) FROM " + storage::sql_identifier(r.table) + " WHERE id <= 0")
      .getInt64();
}

struct ResourceCheck {
  const model::Resource& resource;
  const std::size_t rows_per_page;
  storage::ElementTable table;
  storage::StoredRows known;  // and the ids the CRM's list named
  std::unordered_map<std::int64_t, std::int64_t> deleted_here;
  VerifyReport part;

  ResourceCheck(SQLite::Database& db, const model::Resource& r, std::size_t rows_per_page)
      : resource(r),
        rows_per_page(rows_per_page),
        table(db, r),
        known(table.stored_rows(rows_per_page)),
        deleted_here(table.load_local_deletions()) {}

  void difference(std::int64_t id, std::string what) {
    part.differences.push_back({std::string(resource.endpoint), id, std::move(what)});
  }

  void element(const json::value& element) {
    const json::object* object = element.if_object();
    const json::value* id_value = object ? object->if_contains("id") : nullptr;
    const auto id = id_value ? storage::element_id(*id_value) : std::nullopt;
    if (!id || *id <= 0) {
      part.notes.push_back(std::string(resource.endpoint) +
                           ": an element without a usable id was not compared (" +
                           shorten(json::serialize(element)) + ")");
      return;
    }
    if (!known.mark_seen(*id)) {
      part.notes.push_back(std::string(resource.endpoint) + " " + std::to_string(*id) +
                           ": the CRM listed this id twice; the first copy was compared");
      return;
    }
    const storage::StoredRows::Row* row = known.find(*id);
    if (row == nullptr) {
      if (deleted_here.contains(*id))
        ++part.unsynced;
      else
        difference(*id, "in the CRM, missing from the mirror");
      return;
    }
    if (row->state != storage::SyncState::kSynced) {
      ++part.unsynced;
      return;
    }
    ++part.compared;
    const auto stored = table.read(*id);
    if (!stored) {  // deleted since its digest was read: a writer is at work
      difference(*id, "in the CRM, deleted from the mirror during the check");
      return;
    }
    for (std::string& what : compare_row_with_element(resource, *stored, element))
      difference(*id, std::move(what));
  }

  void restart() {
    known = table.stored_rows(rows_per_page);  // read again from the first row
    part = VerifyReport{};
  }

  void rows_without_element() {
    for (const storage::StoredRows::Row& row : known.unseen_rows()) {
      if (row.state == storage::SyncState::kSynced)
        difference(row.id, "in the mirror as synced, but not in the CRM");
      else
        ++part.unsynced;
    }
  }
};

}  // namespace

std::vector<std::string> compare_row_with_element(const model::Resource& resource,
                                                  const storage::StoredRow& row,
                                                  const json::value& element) {
  std::vector<std::string> out;
  const storage::MappingResult mapped = storage::map_element(resource, element);
  if (const auto* error = std::get_if<storage::MappingError>(&mapped)) {
    out.push_back("the CRM's element cannot be stored: " + error->message);
    return out;
  }
  const storage::MappedElement& theirs = std::get<storage::MappedElement>(mapped);
  for (std::size_t i = 0; i < resource.fields.size(); ++i)
    if (row.cells[i] != theirs.cells[i])
      out.push_back(std::string(resource.fields[i].api) + ": mirror " +
                    shorten(storage::describe(row.cells[i])) + ", CRM " +
                    shorten(storage::describe(theirs.cells[i])));

  if (!row.raw) {
    out.push_back("raw is empty in a synced row");
    return out;
  }
  json::error_code ec;
  const json::value base = json::parse(*row.raw, ec);
  if (ec || !base.is_object()) {
    out.push_back("raw is not a JSON object");
    return out;
  }
  // Fields kept in raw only (unknown to the model) are part of the backup too.
  if (element.is_object())
    for (const std::string& key : differing_keys(base.as_object(), element.as_object()))
      if (resource.field_by_api(key) == nullptr && key != "id")
        out.push_back("raw." + key + ": mirror " + shown(base.as_object(), key) + ", CRM " +
                      shown(element.as_object(), key));

  // A synced row whose columns differ from its own raw holds a change nobody will send.
  const std::vector<Cell> own = storage::cells_of(resource, base.as_object());
  for (std::size_t i = 0; i < resource.fields.size(); ++i)
    if (row.cells[i] != own[i])
      out.push_back(std::string(resource.fields[i].column) + ": the column holds " +
                    shorten(storage::describe(row.cells[i])) + " but the row's raw " +
                    shorten(storage::describe(own[i])) + " (a change that is not pending)");
  return out;
}

boost::asio::awaitable<VerifyReport> verify_mirror(SQLite::Database& db, CrmReader& reader,
                                                   std::vector<std::string> endpoints,
                                                   std::size_t rows_per_page) {
  VerifyReport report;
  for (const model::Resource& r : model::all_resources()) {
    if (!endpoints.empty() &&
        std::find(endpoints.begin(), endpoints.end(), r.endpoint) == endpoints.end())
      continue;
    ResourceCheck check(db, r, rows_per_page);
    const FetchOutcome outcome = co_await reader.fetch_all(
        r.endpoint, [&](const json::value& e) { check.element(e); }, [&] { check.restart(); });
    if (outcome.status == FetchOutcome::Status::kUnavailable && r.optional) continue;
    if (!outcome.ok()) {
      report.unreadable.push_back(std::string(r.endpoint) + ": " + outcome.message);
      if (outcome.token_refused) report.token_refused = true;
      continue;
    }
    check.rows_without_element();
    check.part.unsynced += count_local_rows(db, r);
    report.compared += check.part.compared;
    report.unsynced += check.part.unsynced;
    for (Difference& d : check.part.differences) report.differences.push_back(std::move(d));
    for (std::string& n : check.part.notes) report.notes.push_back(std::move(n));
  }
  co_return report;
}

}  // namespace clevertim::sync
