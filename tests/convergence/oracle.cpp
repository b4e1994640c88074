#include "oracle.h"

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>

#include <boost/json.hpp>

#include <map>
#include <optional>
#include <set>

#include "integration_fixture.h"

namespace clevertim::testing::convergence {
namespace {

namespace json = boost::json;

constexpr const char* kTables[] = {"custom_fields", "companies", "contacts", "cases",
                                   "opportunities", "tasks",     "notes",    "comments"};

std::string text(const json::value* v) {
  if (v == nullptr || v->is_null()) return "";
  if (v->is_string()) return std::string(v->as_string());
  return json::serialize(*v);
}

std::optional<std::int64_t> id_of(const json::value& v) {
  if (v.is_int64()) return v.as_int64();
  if (v.is_uint64()) return static_cast<std::int64_t>(v.as_uint64());
  if (v.is_string()) {
    try {
      return std::stoll(std::string(v.as_string()));
    } catch (...) {
      return std::nullopt;
    }
  }
  return std::nullopt;
}

struct RequestLog {
  std::vector<json::object> entries;

  // A write the CRM carried out whose body holds `value`.
  bool committed_write_with(const std::string& value) const {
    for (const json::object& e : entries) {
      const std::string method = text(e.if_contains("method"));
      if (method != "POST" && method != "PUT") continue;
      if (!committed(e)) continue;
      if (text(e.if_contains("body")).find(value) != std::string::npos) return true;
    }
    return false;
  }
  // A DELETE of this element that the CRM carried out.
  bool committed_delete_of(const std::string& resource, std::int64_t id) const {
    const std::string tail = "/" + resource + "/" + std::to_string(id);
    for (const json::object& e : entries) {
      if (text(e.if_contains("method")) != "DELETE" || !committed(e)) continue;
      const std::string path = text(e.if_contains("path"));
      if (path.size() >= tail.size() &&
          path.compare(path.size() - tail.size(), tail.size(), tail) == 0)
        return true;
    }
    return false;
  }
  static bool committed(const json::object& e) {
    const json::value* status = e.if_contains("status");
    const std::string fault = text(e.if_contains("fault"));
    return status && status->is_int64() && status->as_int64() == 200 && fault != "5xx" &&
           fault != "429" && fault != "503";
  }
};

class Oracle {
 public:
  Oracle(SyncFixture& f, const History& h)
      : f_(f), h_(h), db_(f.database().string(), SQLite::OPEN_READONLY, 5000) {
    const json::object state = f.remote_state();
    for (const auto& [resource, list] : state) {
      if (!list.is_array()) continue;
      for (const auto& e : list.as_array())
        if (e.is_object())
          if (const auto id = id_of(e.as_object().at("id")))
            crm_[std::string(resource)][*id] = e.as_object();
    }
    const json::value log = control(*f.emulator, "GET", "log").json();
    for (const auto& e : log.at("requests").as_array()) log_.entries.push_back(e.as_object());
  }

  std::vector<std::string> run(int last_sync) {
    integrity();
    exit_code(last_sync);
    nothing_pending_silently();
    no_duplicates();
    local_writes_accounted();
    crm_edits_not_lost();
    if (h_.policy == "newest") newest_decides_by_time();
    return violations_;
  }

 private:
  void fail(const std::string& what) { violations_.push_back(what); }

  const json::object* crm(const std::string& resource, std::int64_t id) const {
    const auto r = crm_.find(resource);
    if (r == crm_.end()) return nullptr;
    const auto e = r->second.find(id);
    return e == r->second.end() ? nullptr : &e->second;
  }

  std::int64_t count(const std::string& sql) { return db_.execAndGet(sql).getInt64(); }

  // A `conflicts` row of this resource whose `column` (local or remote) holds `value`.
  bool conflict_holds(const std::string& resource, const char* column, const std::string& value) {
    SQLite::Statement q(db_, std::string("SELECT count(*) FROM conflicts WHERE resource = ? AND "
                                         "instr(") +
                                 column + ", ?) > 0");
    q.bind(1, resource);
    q.bind(2, value);
    q.executeStep();
    return q.getColumn(0).getInt64() > 0;
  }

  // The row holding `value` in `column` is visibly not synced (error or conflict, with why).
  bool visibly_unsynced(const std::string& table, const std::string& column,
                        const std::string& value) {
    SQLite::Statement q(db_, "SELECT count(*) FROM \"" + table + "\" WHERE \"" + column +
                                 "\" = ? AND sync_state IN ('error', 'conflict') AND "
                                 "coalesce(sync_error, '') <> ''");
    q.bind(1, value);
    q.executeStep();
    return q.getColumn(0).getInt64() > 0;
  }

  void integrity() {
    const std::string result = db_.execAndGet("PRAGMA integrity_check").getString();
    if (result != "ok") fail("integrity_check: " + result);
  }

  void exit_code(int last_sync) {
    if (last_sync == 0) return;
    std::int64_t visible = count("SELECT count(*) FROM conflicts WHERE resolved_at IS NULL");
    for (const char* t : kTables)
      visible += count(std::string("SELECT count(*) FROM ") + t +
                       " WHERE sync_state IN ('error', 'conflict')");
    if (last_sync != 1 || visible == 0)
      fail("the quiescing sync exited " + std::to_string(last_sync) +
           " with no row in error or conflict to explain it");
  }

  void nothing_pending_silently() {
    for (const char* t : kTables) {
      const std::int64_t n = count(std::string("SELECT count(*) FROM ") + t +
                                   " WHERE sync_state = 'pending' AND coalesce(sync_error, '') = "
                                   "''");
      if (n > 0)
        fail(std::to_string(n) + " rows of " + t +
             " stay pending after quiescence with no sync_error saying why");
    }
  }

  void no_duplicates() {
    std::set<std::string> deleted;
    for (const Delete& d : h_.deletes)
      if (!d.marker.empty()) deleted.insert(d.marker);
    for (const Create& c : h_.creates) {
      int seen = 0;
      if (const auto r = crm_.find(c.resource); r != crm_.end())
        for (const auto& [id, e] : r->second)
          if (text(e.if_contains(c.api)) == c.marker) ++seen;
      if (seen > 1)
        fail(c.resource + " " + c.marker + " exists " + std::to_string(seen) +
             " times in the CRM (created once, at step " + std::to_string(c.step) + ")");
      if (seen == 0 && c.local && !deleted.contains(c.marker) && !cascade_possible(c) &&
          !visibly_unsynced(table_of(c.resource), naming_column(c.resource), c.marker))
        fail("local create of " + c.resource + " " + c.marker + " (step " + std::to_string(c.step) +
             ") never reached the CRM and its row shows no error");
    }
  }

  // Notes go with their customer (the CRM deletes them with it): a missing note may be that.
  bool cascade_possible(const Create& c) const {
    if (c.resource != "note") return false;
    for (const Delete& d : h_.deletes)
      if (d.resource == "contact" || d.resource == "company") return true;
    return false;
  }

  static std::string table_of(const std::string& resource) {
    return resource == "company"   ? "companies"
           : resource == "contact" ? "contacts"
           : resource == "task"    ? "tasks"
                                   : "notes";
  }
  static std::string naming_column(const std::string& resource) {
    return resource == "company" ? "name" : resource == "contact" ? "first_name" : "description";
  }

  bool deleted_locally_after(const std::string& resource, std::int64_t id, int step) const {
    for (const Delete& d : h_.deletes)
      // The same step: two writers at once; the UPDATE found the row, so the DELETE came after.
      if (d.local && d.resource == resource && d.id == id && d.step >= step) return true;
    return false;
  }

  // Only the last write of each (element, field) must survive; earlier ones may be superseded.
  static std::vector<const Write*> last_writes(const std::vector<Write>& writes) {
    std::map<std::tuple<std::string, std::int64_t, std::string>, const Write*> last;
    for (const Write& w : writes) last[{w.resource, w.id, w.api}] = &w;
    std::vector<const Write*> out;
    for (const auto& [key, w] : last) out.push_back(w);
    return out;
  }

  void local_writes_accounted() {
    for (const Write* w : last_writes(h_.local_writes)) {
      if (deleted_locally_after(w->resource, w->id, w->step)) continue;
      if (const json::object* e = crm(w->resource, w->id);
          e && text(e->if_contains(w->api)) == w->value)
        continue;
      if (log_.committed_write_with(w->value)) continue;
      if (conflict_holds(w->resource, "local", w->value)) continue;
      if (visibly_unsynced(table_of(w->resource), w->column, w->value)) continue;
      if (w->id > 0 && !crm(w->resource, w->id) && !log_.committed_delete_of(w->resource, w->id) &&
          w->resource == "note")
        continue;  // a note deleted with its customer in the CRM, before this edit was sent
      fail("local write lost: " + w->resource + " " + std::to_string(w->id) + " " + w->api + " = " +
           w->value + " (step " + std::to_string(w->step) +
           ") is not in the CRM, was never sent, and no conflict or error records it");
    }
  }

  // A local writer that read the CRM's value before replacing it made an ordinary edit.
  bool overwritten_knowingly(const Write& r) const {
    for (const Write& l : h_.local_writes)
      if (l.resource == r.resource && l.id == r.id && l.api == r.api && l.step > r.step &&
          l.seen == r.value)
        return true;
    return false;
  }

  void crm_edits_not_lost() {
    const bool local_may_win = h_.policy == "newest" || h_.policy == "local-wins";
    for (const Write* r : last_writes(h_.remote_writes)) {
      if (overwritten_knowingly(*r)) continue;
      const json::object* e = crm(r->resource, r->id);
      if (e == nullptr) {
        // Deleted since. By the CRM itself: fine. By our DELETE: only if the local deleter had
        // seen this edit, or a conflict records it.
        if (!log_.committed_delete_of(r->resource, r->id)) continue;
        bool seen = false;
        for (const Delete& d : h_.deletes)
          if (d.local && d.resource == r->resource && d.id == r->id && d.step > r->step) {
            const auto s = d.seen.find(r->api);
            seen = seen || (s != d.seen.end() && s->second == r->value);
          }
        if (seen || conflict_holds(r->resource, "remote", r->value)) continue;
        fail("CRM edit lost: " + r->resource + " " + std::to_string(r->id) + " " + r->api + " = " +
             r->value + " (step " + std::to_string(r->step) +
             ") was deleted by a local DELETE made without seeing it, with no conflict recorded");
        continue;
      }
      if (text(e->if_contains(r->api)) == r->value) continue;
      if (local_may_win && conflict_holds(r->resource, "remote", r->value)) continue;
      fail("CRM edit lost: " + r->resource + " " + std::to_string(r->id) + " " + r->api + " = " +
           r->value + " (step " + std::to_string(r->step) + ") is now '" +
           text(e->if_contains(r->api)) + "' under " + h_.policy +
           (conflict_holds(r->resource, "remote", r->value)
                ? ", recorded as a conflict, but this policy keeps the CRM's edit"
                : ", overwritten by a local edit that never saw it, no conflict recorded"));
    }
  }

  // Under `newest`, of a local and a CRM edit of the same field that did not see each other,
  // the later one wins. The CRM's time is its element's `lm` (one per element, to the second):
  // so only clear cases are judged, edits more than 2 s apart, and a local edit is not expected
  // to win when the CRM changed any field of the element after it (its `lm` is then later).
  void newest_decides_by_time() {
    constexpr std::int64_t kMargin = 2000;
    for (const Write* l : last_writes(h_.local_writes)) {
      const json::object* e = crm(l->resource, l->id);
      if (e == nullptr || deleted_locally_after(l->resource, l->id, l->step)) continue;
      const Write* r = nullptr;
      for (const Write& w : h_.remote_writes)
        if (w.resource == l->resource && w.id == l->id && w.api == l->api) r = &w;
      if (r == nullptr || l->seen == r->value || overwritten_knowingly(*r)) continue;
      const std::string now = text(e->if_contains(l->api));
      bool crm_later = false;  // the element's lm is later than the local edit
      for (const Write& w : h_.remote_writes)
        if (w.resource == l->resource && w.id == l->id && w.at_ms > l->at_ms - kMargin)
          crm_later = true;
      // A deletion in the CRM clears references in other elements, a change with its own lm.
      for (std::int64_t at : h_.remote_events_ms)
        if (at > l->at_ms - kMargin) crm_later = true;
      if (now == r->value && l->at_ms > r->at_ms + kMargin && !crm_later)
        fail("newest: " + l->resource + " " + std::to_string(l->id) + " " + l->api +
             ": the local edit " + l->value + " (step " + std::to_string(l->step) +
             ") came later than the CRM's " + r->value + " (step " + std::to_string(r->step) +
             ") but lost");
      if (now == l->value && r->at_ms > l->at_ms + kMargin)
        fail("newest: " + l->resource + " " + std::to_string(l->id) + " " + l->api +
             ": the CRM's edit " + r->value + " (step " + std::to_string(r->step) +
             ") came later than the local " + l->value + " (step " + std::to_string(l->step) +
             ") but lost");
    }
  }

  SyncFixture& f_;
  const History& h_;
  SQLite::Database db_;
  std::map<std::string, std::map<std::int64_t, json::object>> crm_;
  RequestLog log_;
  std::vector<std::string> violations_;
};

}  // namespace

std::vector<std::string> check(SyncFixture& f, const History& history, int last_sync) {
  return Oracle(f, history).run(last_sync);
}

}  // namespace clevertim::testing::convergence
