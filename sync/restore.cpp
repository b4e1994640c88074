#include "sync/restore.h"

#include <SQLiteCpp/Statement.h>
#include <SQLiteCpp/Transaction.h>
#include <spdlog/spdlog.h>

#include <boost/json.hpp>

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>
#include <stdexcept>

#include "model/resources.h"
#include "storage/backup.h"
#include "storage/element_mapping.h"
#include "storage/element_table.h"
#include "storage/schema.h"

namespace clevertim::sync {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
using Status = WriteResult::Status;

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + p.string());
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::int64_t id_of(const json::object& e) {
  const json::value* v = e.if_contains("id");
  if (v == nullptr) return 0;
  return storage::element_id(*v).value_or(0);
}

void sort_by_id(std::vector<json::object>& elements) {
  std::sort(elements.begin(), elements.end(),
            [](const json::object& a, const json::object& b) { return id_of(a) < id_of(b); });
}

// old id -> new id, per endpoint; contacts and companies share one id space at Clevertim.
class IdMap {
 public:
  void add(std::string_view endpoint, std::int64_t old_id, std::int64_t new_id) {
    map_[std::string(endpoint)][old_id] = new_id;
  }
  std::optional<std::int64_t> find(std::string_view endpoint, std::int64_t old_id) const {
    auto r = map_.find(std::string(endpoint));
    if (r == map_.end()) return std::nullopt;
    auto i = r->second.find(old_id);
    if (i == r->second.end()) return std::nullopt;
    return i->second;
  }
  std::optional<std::int64_t> find(model::Ref ref, std::int64_t old_id) const {
    for (std::string_view ep : model::endpoints_for(ref))
      if (auto found = find(ep, old_id)) return found;
    return std::nullopt;
  }

 private:
  std::map<std::string, std::map<std::int64_t, std::int64_t>> map_;
};

class Restorer {
 public:
  Restorer(storage::Mirror& mirror, CrmWriter& writer, const RestoreOptions& options)
      : db_(mirror.db()), writer_(writer), options_(options) {
    SQLite::Statement users(db_, "SELECT id FROM users");
    while (users.executeStep()) known_users_.insert(users.getColumn(0).getInt64());
  }

  boost::asio::awaitable<RestoreReport> run(const RestoreSet& set) {
    load_earlier_progress();
    for (const model::Resource& r : model::all_resources()) {
      if (r.read_only) continue;
      auto it = set.elements.find(std::string(r.endpoint));
      if (it == set.elements.end()) continue;
      RestoreCounts& counts = report_.per_resource[std::string(r.endpoint)];
      for (const json::object& element : it->second)
        if (!co_await restore_one(r, element, counts)) co_return report_;
    }
    co_return report_;
  }

  // One element: skipped (restored before, or still in the account), planned (a dry run),
  // created, or refused. False when the restore stops at it (the CRM unreachable, the token
  // refused): a run of the same restore resumes there.
  boost::asio::awaitable<bool> restore_one(const model::Resource& r, const json::object& element,
                                           RestoreCounts& counts) {
    const std::int64_t old_id = id_of(element);
    ++counts.total;
    if (auto done = ids_.find(r.endpoint, old_id)) {
      ++counts.already;
      report_.mapping.emplace_back(std::string(r.endpoint), old_id, *done);
      co_return true;
    }
    if (in_account(r, element, old_id)) {
      // Restoring into the account it came from (or one restored before) must not make
      // a second copy: the element is there, and references to it stay as they are.
      ++counts.present;
      ids_.add(r.endpoint, old_id, old_id);
      if (options_.dry_run)
        report_.plan.push_back("skip " + std::string(r.endpoint) + " " + std::to_string(old_id) +
                               ": already in the account");
      co_return true;
    }
    json::object payload = rewrite(r, element, old_id);
    if (options_.dry_run) {
      const std::int64_t placeholder = --next_placeholder_;
      ids_.add(r.endpoint, old_id, placeholder);
      ++counts.created;
      report_.plan.push_back("POST " + std::string(r.endpoint) + " (was " + std::to_string(old_id) +
                             ", new id shown as " + std::to_string(placeholder) + ") " +
                             json::serialize(payload));
      co_return true;
    }
    remember(r, old_id, std::nullopt, &payload);
    const WriteResult result = co_await writer_.create(r.endpoint, payload);
    if (result.ok()) {
      const std::int64_t new_id = id_of(result.element);
      remember(r, old_id, new_id, nullptr);
      ids_.add(r.endpoint, old_id, new_id);
      report_.mapping.emplace_back(std::string(r.endpoint), old_id, new_id);
      ++counts.created;
      co_return true;
    }
    if (result.status == Status::kRejected || result.status == Status::kNotFound) {
      forget(r, old_id);
      ++counts.failed;
      report_.problems.push_back(std::string(r.singular) + " " + std::to_string(old_id) +
                                 " was refused: " + result.message);
      co_return true;
    }
    // Nothing was created: a refused token, like a failure for now, changed nothing.
    if (result.status == Status::kRetryLater || result.status == Status::kUnauthorized)
      forget(r, old_id);
    report_.interrupted = true;
    report_.problems.push_back("stopped at " + std::string(r.singular) + " " +
                               std::to_string(old_id) + ": " + result.message +
                               "; run the same restore again to resume");
    co_return false;
  }

 private:
  // Mappings from earlier runs; creates whose answer was lost are looked for in the account
  // (the mirror was pulled just before) and adopted when found, else sent again.
  void load_earlier_progress() {
    SQLite::Statement q(db_,
                        "SELECT resource, old_id, new_id, payload FROM restore_map WHERE source = "
                        "?");
    q.bind(1, options_.source_key);
    std::vector<std::tuple<std::string, std::int64_t, std::string>> lost;
    while (q.executeStep()) {
      if (q.getColumn(2).isNull())
        lost.emplace_back(q.getColumn(0).getString(), q.getColumn(1).getInt64(),
                          q.getColumn(3).getString());
      else
        ids_.add(q.getColumn(0).getString(), q.getColumn(1).getInt64(), q.getColumn(2).getInt64());
    }
    for (const auto& [endpoint, old_id, payload] : lost) {
      const model::Resource* r = model::find_resource(endpoint);
      if (r == nullptr) continue;
      const auto found =
          storage::ElementTable(db_, *r).find_matching(json::parse(payload).as_object());
      if (found) {
        const std::int64_t new_id = id_of(json::parse(*found).as_object());
        remember(*r, old_id, new_id, nullptr);
        ids_.add(endpoint, old_id, new_id);
        spdlog::info("restore: {} {} had been created as {} before the interruption", endpoint,
                     old_id, new_id);
      } else {
        forget(*r, old_id);
      }
    }
  }

  void remember(const model::Resource& r, std::int64_t old_id, std::optional<std::int64_t> new_id,
                const json::object* payload) {
    SQLite::Statement q(
        db_,
        "INSERT INTO restore_map (source, resource, old_id, new_id, payload) VALUES "
        "(?, ?, ?, ?, ?) ON CONFLICT (source, resource, old_id) DO UPDATE SET "
        "new_id = excluded.new_id, payload = coalesce(excluded.payload, payload)");
    q.bind(1, options_.source_key);
    q.bind(2, std::string(r.endpoint));
    q.bind(3, old_id);
    new_id ? q.bind(4, *new_id) : q.bind(4);
    payload ? q.bind(5, json::serialize(*payload)) : q.bind(5);
    q.exec();
  }

  void forget(const model::Resource& r, std::int64_t old_id) {
    SQLite::Statement q(db_,
                        "DELETE FROM restore_map WHERE source = ? AND resource = ? AND old_id = ?");
    q.bind(1, options_.source_key);
    q.bind(2, std::string(r.endpoint));
    q.bind(3, old_id);
    q.exec();
  }

  // Whether the account holds this very element: a row with its id whose server-given
  // creation time (`ao`) is the same, or, without one, whose naming fields are.
  bool in_account(const model::Resource& r, const json::object& element, std::int64_t id) {
    const auto raw = storage::ElementTable(db_, r).raw_of(id);
    if (!raw) return false;
    json::error_code ec;
    const json::value there = json::parse(*raw, ec);
    if (ec || !there.is_object()) return false;
    const json::object& t = there.get_object();
    const json::value* a = element.if_contains("ao");
    const json::value* b = t.if_contains("ao");
    if (a != nullptr && b != nullptr && !a->is_null()) return *a == *b;
    for (const char* naming : {"cn", "fn", "ln", "name", "desc", "comment"}) {
      const json::value* x = element.if_contains(naming);
      const json::value* y = t.if_contains(naming);
      if ((x == nullptr) != (y == nullptr) || (x != nullptr && *x != *y)) return false;
    }
    return true;
  }

  // An element the account holds under this id, for a source from this very account.
  bool kept_in_account(model::Ref ref, std::int64_t id) {
    if (!options_.same_account) return false;
    for (std::string_view ep : model::endpoints_for(ref))
      if (const model::Resource* target = model::find_resource(ep))
        if (storage::ElementTable(db_, *target).raw_of(id)) return true;
    return false;
  }

  void note(const model::Resource& r, std::int64_t old_id, const std::string& what) {
    report_.problems.push_back(std::string(r.singular) + " " + std::to_string(old_id) + ": " +
                               what);
  }

  // The element as a create: no id, no read-only fields, references to the new ids.
  json::object rewrite(const model::Resource& r, const json::object& element, std::int64_t old_id) {
    json::object out;
    for (const auto& kv : element) {
      if (kv.key() == "id") continue;
      const model::Field* f = r.field_by_api(kv.key());
      if (f != nullptr && !f->writable()) continue;
      json::value value = kv.value();
      if (f != nullptr && f->ref == model::Ref::kUser) {
        const auto user = storage::element_id(value);
        if (user && !known_users_.contains(*user)) {
          note(r, old_id,
               std::string(f->api) + " names user " + std::to_string(*user) +
                   ", who is not in this account; left empty");
          continue;
        }
      } else if (f != nullptr && f->ref != model::Ref::kNone) {
        value = rewrite_reference(r, *f, value, old_id);
      } else if (f != nullptr && f->api == "cf" && value.is_object()) {
        json::object renamed;
        for (const auto& cf : value.get_object()) {
          const auto field_id = storage::element_id(json::value(cf.key()));
          auto mapped = field_id ? ids_.find("customfield", *field_id) : std::nullopt;
          if (!mapped && field_id && options_.same_account &&
              storage::ElementTable(db_, *model::find_resource("customfield")).raw_of(*field_id))
            mapped = field_id;  // the custom field is still in this account
          if (mapped)
            renamed[std::to_string(*mapped)] = cf.value();
          else
            note(r, old_id,
                 "custom field " + std::string(cf.key()) +
                     " is not in the source; its value was left out");
        }
        value = std::move(renamed);
      }
      if (value.is_null() && f != nullptr) continue;
      out[kv.key()] = std::move(value);
    }
    return out;
  }

  json::value rewrite_reference(const model::Resource& r, const model::Field& f,
                                const json::value& value, std::int64_t old_id) {
    if (value.is_array()) {  // a note's cust may be a list
      json::array out;
      for (const json::value& v : value.get_array()) {
        json::value mapped = rewrite_reference(r, f, v, old_id);
        if (!mapped.is_null()) out.push_back(std::move(mapped));
      }
      return out;
    }
    const auto target = storage::element_id(value);
    if (!target) return nullptr;
    if (auto mapped = ids_.find(f.ref, *target)) return *mapped;
    if (kept_in_account(f.ref, *target)) return *target;
    note(r, old_id,
         std::string(f.api) + " " + std::to_string(*target) +
             " is not in the source (or was not restored); left empty");
    return nullptr;
  }

  SQLite::Database& db_;
  CrmWriter& writer_;
  const RestoreOptions& options_;
  IdMap ids_;
  std::set<std::int64_t> known_users_;
  RestoreReport report_;
  std::int64_t next_placeholder_ = 0;  // dry run: stands for ids the CRM would give
};

std::vector<json::object> read_array_file(const fs::path& file) {
  json::value v = json::parse(read_file(file));
  if (!v.is_array()) throw std::runtime_error(file.string() + " is not a JSON array of elements");
  std::vector<json::object> out;
  for (json::value& e : v.as_array()) {
    if (!e.is_object() || id_of(e.as_object()) <= 0)
      throw std::runtime_error(file.string() + " holds an element without a usable id");
    out.push_back(std::move(e.as_object()));
  }
  return out;
}

}  // namespace

std::int64_t RestoreSet::size() const {
  std::int64_t n = 0;
  for (const auto& [ep, list] : elements) n += static_cast<std::int64_t>(list.size());
  return n;
}

bool RestoreReport::ok() const {
  if (interrupted) return false;
  for (const auto& [ep, c] : per_resource)
    if (c.failed > 0) return false;
  return true;
}

RestoreSet load_restore_source(const fs::path& source, const fs::path& scratch) {
  RestoreSet set;
  if (fs::is_directory(source)) {
    if (!fs::exists(source / "manifest.json"))
      throw std::runtime_error(source.string() +
                               " has no manifest.json: it is not a clevertim-sync export");
    for (const model::Resource& r : model::all_resources()) {
      const fs::path file = source / (std::string(r.endpoint) + ".json");
      if (fs::exists(file)) set.elements[std::string(r.endpoint)] = read_array_file(file);
    }
  } else if (fs::exists(source)) {
    const fs::path plain = storage::readable_backup(source, scratch);
    SQLite::Database db(plain.string(), SQLite::OPEN_READONLY);
    for (const model::Resource& r : model::all_resources()) {
      SQLite::Statement q(db, "SELECT raw FROM " + storage::sql_identifier(r.table) +
                                  " WHERE id > 0 AND raw IS NOT NULL ORDER BY id");
      auto& list = set.elements[std::string(r.endpoint)];
      while (q.executeStep()) list.push_back(json::parse(q.getColumn(0).getString()).as_object());
    }
  } else {
    throw std::runtime_error("the restore source " + source.string() +
                             " does not exist; give a backup file or an export folder");
  }
  for (auto& [ep, list] : set.elements) sort_by_id(list);
  return set;
}

boost::asio::awaitable<RestoreReport> restore_elements(storage::Mirror& mirror, CrmWriter& writer,
                                                       const RestoreSet& set,
                                                       const RestoreOptions& options) {
  Restorer restorer(mirror, writer, options);
  co_return co_await restorer.run(set);
}

namespace {

// The last version of every element of `res` deleted in the CRM and not back since.
std::vector<json::object> last_deleted_versions(SQLite::Database& db, const model::Resource& res) {
  std::vector<json::object> out;
  SQLite::Statement q(db,
                      "SELECT h.raw FROM history AS h WHERE h.resource = ? AND h.operation "
                      "= 'delete' AND h.seq = (SELECT max(seq) FROM history WHERE resource = "
                      "h.resource AND id = h.id) AND NOT EXISTS (SELECT 1 FROM " +
                          storage::sql_identifier(res.table) + " AS t WHERE t.id = h.id)");
  q.bind(1, std::string(res.endpoint));
  while (q.executeStep()) {
    json::error_code ec;
    json::value v = json::parse(q.getColumn(0).getString(), ec);
    if (!ec && v.is_object()) out.push_back(std::move(v.as_object()));
  }
  return out;
}

// Whether element `e` of `child` names one of `ids` of `parent` in a reference field.
bool references_any(const model::Resource& child, const json::object& e, std::string_view parent,
                    const std::set<std::int64_t>& ids) {
  for (const model::Field& f : child.fields) {
    if (f.ref == model::Ref::kNone) continue;
    const auto targets = model::endpoints_for(f.ref);
    if (std::find(targets.begin(), targets.end(), parent) == targets.end()) continue;
    const json::value* v = e.if_contains(f.api);
    const auto target = v ? storage::element_id(*v) : std::nullopt;
    if (target && ids.contains(*target)) return true;
  }
  return false;
}

// The deleted children of element `id` of `r`, and the deleted comments of those children
// (a comment's parent is a note or a task).
void add_deleted_children(SQLite::Database& db, const model::Resource& r, std::int64_t id,
                          RestoreSet& set) {
  const std::set<std::int64_t> parent{id};
  for (std::string_view child_ep : {"note", "task", "case", "opportunity", "contact"}) {
    const model::Resource& child = *model::find_resource(child_ep);
    if (&child == &r) continue;
    for (json::object& e : last_deleted_versions(db, child))
      if (references_any(child, e, r.endpoint, parent))
        set.elements[std::string(child_ep)].push_back(std::move(e));
  }
  for (std::string_view holder : {"note", "task"}) {
    std::set<std::int64_t> holder_ids;
    if (auto it = set.elements.find(std::string(holder)); it != set.elements.end())
      for (const json::object& e : it->second) holder_ids.insert(id_of(e));
    if (holder_ids.empty()) continue;
    const model::Resource& comment = *model::find_resource("comment");
    for (json::object& e : last_deleted_versions(db, comment))
      if (references_any(comment, e, holder, holder_ids))
        set.elements["comment"].push_back(std::move(e));
  }
}

}  // namespace

RestoreSet deleted_element_from_history(storage::Mirror& mirror, std::string_view resource,
                                        std::int64_t id, bool with_children) {
  const model::Resource* r = model::find_resource(resource);
  if (r == nullptr || r->read_only)
    throw std::invalid_argument("unknown resource '" + std::string(resource) +
                                "'; use one of contact, company, case, opportunity, task, note, "
                                "comment, customfield");
  RestoreSet set;
  for (json::object& e : last_deleted_versions(mirror.db(), *r))
    if (id_of(e) == id) set.elements[std::string(r->endpoint)].push_back(std::move(e));
  if (set.elements.empty())
    throw NotInHistory("no deleted " + std::string(r->singular) + " " + std::to_string(id) +
                       " in history: it is still in the mirror, or was never seen by "
                       "clevertim-sync");
  // Children point at the element (or at a restored child, for comments).
  if (with_children) add_deleted_children(mirror.db(), *r, id, set);
  for (auto& [ep, list] : set.elements) sort_by_id(list);
  return set;
}

}  // namespace clevertim::sync
