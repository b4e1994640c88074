#include "emulator/account.h"

#include <algorithm>
#include <charconv>
#include <ctime>

#include "model/resources.h"

namespace clevertim::emulator {
namespace {

namespace json = boost::json;
using model::FieldType;

std::optional<std::int64_t> as_id(const json::value& v) {
  if (v.is_int64()) return v.get_int64();
  if (v.is_uint64() && v.get_uint64() <= static_cast<std::uint64_t>(INT64_MAX))
    return static_cast<std::int64_t>(v.get_uint64());
  if (v.is_string()) {
    std::int64_t out = 0;
    const auto& s = v.get_string();
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    if (ec == std::errc() && p == s.data() + s.size() && !s.empty()) return out;
  }
  return std::nullopt;
}

bool is_integer(const json::value& v) {
  return v.is_int64() || v.is_uint64();
}

bool has_type(const model::Field& f, const json::value& v) {
  if (v.is_null()) return true;
  switch (f.type) {
    case FieldType::kInt:
      return as_id(v).has_value() || (f.api == "cust" && v.is_array());
    case FieldType::kText:
      return v.is_string();
    case FieldType::kBool:
      return v.is_bool();
    case FieldType::kTimestamp:
      return v.is_string() || is_integer(v);
    case FieldType::kDate: {
      const json::object* o = v.if_object();
      return o && o->contains("y") && o->contains("mo") && o->contains("d");
    }
    case FieldType::kStringArray:
    case FieldType::kIntArray:
    case FieldType::kObjectArray:
      return v.is_array();
    case FieldType::kObject:
      return v.is_object();
    case FieldType::kAny:
      return true;
  }
  return false;
}

bool non_empty(const json::object& e, std::string_view key) {
  const json::value* v = e.if_contains(key);
  if (v == nullptr || v->is_null()) return false;
  if (v->is_string()) return !v->get_string().empty();
  return true;
}

}  // namespace

std::string utc_now() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string error_body(std::string_view message) {
  json::object o;
  o["status"] = "ERROR";
  o["error"] = message;
  return json::serialize(o);
}

std::string ok_body(const json::object& element) {
  json::object o;
  o["status"] = "OK";
  o["content"] = json::array{element};
  return json::serialize(o);
}

Account::Account() {
  for (const model::Resource& r : model::all_resources()) elements_[std::string(r.endpoint)];
}

bool Account::exists(std::string_view endpoint, std::int64_t id) const {
  auto it = elements_.find(endpoint);
  return it != elements_.end() && it->second.contains(id);
}

std::int64_t Account::size() const {
  std::int64_t n = 0;
  for (const auto& [ep, list] : elements_) n += static_cast<std::int64_t>(list.size());
  return n;
}

std::int64_t Account::first_user_id() const {
  const Elements& users = elements_.at("user");
  return users.empty() ? 0 : users.begin()->first;
}

// Keeps the reverse index of every field some backlink is derived from.
void Account::index(const model::Resource& r, std::int64_t id, const json::object& e, bool add) {
  for (const model::Resource& other : model::all_resources())
    for (const model::Field& f : other.fields) {
      if (!f.has_backlink() || f.backlink.endpoint != r.endpoint) continue;
      const json::value* v = e.if_contains(f.backlink.api_field);
      if (v == nullptr) continue;
      auto& targets = backrefs_[{std::string(r.endpoint), std::string(f.backlink.api_field)}];
      auto touch = [&](const json::value& one) {
        if (auto target = as_id(one)) {
          if (add)
            targets[*target].insert(id);
          else if (auto t = targets.find(*target); t != targets.end())
            t->second.erase(id);
        }
      };
      if (v->is_array())
        for (const json::value& one : v->get_array()) touch(one);
      else
        touch(*v);
    }
}

json::object Account::with_derived(const model::Resource& r, const json::object& e) const {
  json::object out = e;
  const std::int64_t id = e.at("id").as_int64();
  for (const model::Field& f : r.fields) {
    if (!f.has_backlink()) continue;
    json::array ids;
    auto holders =
        backrefs_.find({std::string(f.backlink.endpoint), std::string(f.backlink.api_field)});
    if (holders != backrefs_.end())
      if (auto it = holders->second.find(id); it != holders->second.end())
        for (std::int64_t h : it->second) ids.push_back(h);
    out[f.api] = std::move(ids);
  }
  return out;
}

std::string Account::check_fields(const model::Resource& r, const json::object& e) const {
  for (const model::Field& f : r.fields) {
    const json::value* v = e.if_contains(f.api);
    if (v == nullptr || v->is_null() || !f.writable()) continue;
    if (!has_type(f, *v))
      return "field " + std::string(f.api) + " must be " + std::string(model::to_string(f.type));
    if (!f.allowed.empty()) {
      const bool ok =
          v->is_string() && std::find(f.allowed.begin(), f.allowed.end(),
                                      std::string_view(v->get_string())) != f.allowed.end();
      if (!ok) return "unknown " + std::string(f.api) + " '" + json::serialize(*v) + "'";
    }
    if (f.ref != model::Ref::kNone) {
      auto check_one = [&](const json::value& one) -> std::string {
        const auto target = as_id(one);
        if (!target) return "field " + std::string(f.api) + " must be an id";
        for (std::string_view ep : model::endpoints_for(f.ref))
          if (exists(ep, *target)) return "";
        return "field " + std::string(f.api) + ": there is no " +
               std::string(model::endpoints_for(f.ref)[0]) + " with id " + std::to_string(*target);
      };
      if (v->is_array()) {
        for (const json::value& one : v->get_array())
          if (auto m = check_one(one); !m.empty()) return m;
      } else if (auto m = check_one(*v); !m.empty()) {
        return m;
      }
    }
    if (f.api == "cf") {
      for (const auto& kv : v->get_object()) {
        const auto field_id = as_id(json::value(kv.key()));
        if (!field_id || !exists("customfield", *field_id))
          return "cf: there is no custom field with id " + std::string(kv.key());
      }
    }
  }
  return "";
}

std::string Account::check_create_rule(const model::Resource& r, const json::object& e) const {
  for (std::string_view key : r.create.required)
    if (!non_empty(e, key)) return "a " + std::string(r.endpoint) + " needs " + std::string(key);
  if (!r.create.needs_one_of.empty()) {
    bool any = false;
    std::string names;
    for (std::string_view key : r.create.needs_one_of) {
      any = any || non_empty(e, key);
      names += (names.empty() ? "" : " or ") + std::string(key);
    }
    if (!any) return "a " + std::string(r.endpoint) + " needs " + names;
  }
  if (!r.create.exactly_one_of.empty()) {
    int set = 0;
    std::string names;
    for (std::string_view key : r.create.exactly_one_of) {
      set += non_empty(e, key) ? 1 : 0;
      names += (names.empty() ? "" : " or ") + std::string(key);
    }
    if (set != 1) return "a " + std::string(r.endpoint) + " is on exactly one of " + names;
  }
  return "";
}

Answer Account::read_all(const model::Resource& r) {
  auto cached = cache_.find(r.endpoint);
  if (cached != cache_.end()) return {200, cached->second};
  json::array content;
  for (const auto& [id, e] : elements_.at(std::string(r.endpoint)))
    content.push_back(with_derived(r, e));
  json::object o;
  o["status"] = "OK";
  o["content"] = std::move(content);
  std::string body = json::serialize(o);
  cache_[std::string(r.endpoint)] = body;
  return {200, std::move(body)};
}

Answer Account::read_one(const model::Resource& r, std::int64_t id) {
  const Elements& list = elements_.at(std::string(r.endpoint));
  auto it = list.find(id);
  if (it == list.end())
    return {404, error_body("no " + std::string(r.endpoint) + " with id " + std::to_string(id))};
  return {200, ok_body(with_derived(r, it->second))};
}

Answer Account::create(const model::Resource& r, const json::value& body, std::int64_t user_id) {
  const json::object* in = body.if_object();
  if (in == nullptr) return {400, error_body("the body must be a JSON object")};
  json::object e;
  e["id"] = 0;  // placeholder, first in the element
  for (const auto& kv : *in) {
    const model::Field* f = r.field_by_api(kv.key());
    if (kv.key() == "id" || (f && !f->writable())) continue;  // read-only: ignored
    e[kv.key()] = kv.value();
  }
  if (auto m = check_create_rule(r, e); !m.empty()) return {400, error_body(m)};
  if (auto m = check_fields(r, e); !m.empty()) return {400, error_body(m)};
  const std::int64_t id = next_id_++;
  e["id"] = id;
  if (r.has_field("is_company")) e["is_company"] = r.endpoint == "company";
  if (r.has_field("userId")) e["userId"] = user_id;
  if (r.has_field("ao")) e["ao"] = utc_now();
  if (r.has_field("lm")) e["lm"] = utc_now();
  index(r, id, e, true);
  auto& stored = elements_.at(std::string(r.endpoint))[id] = std::move(e);
  changed();
  return {200, ok_body(with_derived(r, stored))};
}

Answer Account::update(const model::Resource& r, std::int64_t id, const json::value& body) {
  if (!r.updatable)
    return {501, error_body("updating a " + std::string(r.endpoint) +
                            " is not supported; delete it and create a new one")};
  const json::object* in = body.if_object();
  if (in == nullptr) return {400, error_body("the body must be a JSON object")};
  Elements& list = elements_.at(std::string(r.endpoint));
  auto it = list.find(id);
  if (it == list.end())
    return {404, error_body("no " + std::string(r.endpoint) + " with id " + std::to_string(id))};
  json::object merged = it->second;
  for (const auto& kv : *in) {
    const model::Field* f = r.field_by_api(kv.key());
    if (kv.key() == "id" || (f && !f->writable())) continue;
    merged[kv.key()] = kv.value();
  }
  if (auto m = check_fields(r, merged); !m.empty()) return {400, error_body(m)};
  for (std::string_view key : r.create.required)
    if (!non_empty(merged, key)) return {400, error_body(std::string(key) + " cannot be emptied")};
  if (merged != it->second) {
    if (r.has_field("lm")) merged["lm"] = utc_now();
    index(r, id, it->second, false);
    index(r, id, merged, true);
    it->second = std::move(merged);
    changed();
  }
  return {200, ok_body(with_derived(r, it->second))};
}

// Deleting an element clears references to it; a contact's or company's notes go with it,
// and a note's or task's comments (they cannot exist alone).
void Account::remove_element(const model::Resource& r, std::int64_t id) {
  Elements& list = elements_.at(std::string(r.endpoint));
  auto it = list.find(id);
  if (it == list.end()) return;
  index(r, id, it->second, false);
  list.erase(it);
  for (const model::Resource& holder : model::all_resources()) {
    for (const model::Field& f : holder.fields) {
      if (f.ref == model::Ref::kNone) continue;
      const auto targets = model::endpoints_for(f.ref);
      if (std::find(targets.begin(), targets.end(), r.endpoint) == targets.end()) continue;
      std::vector<std::int64_t> cascade;
      for (auto& [hid, e] : elements_.at(std::string(holder.endpoint))) {
        const json::value* v = e.if_contains(f.api);
        if (v == nullptr || as_id(*v) != id) continue;
        const bool owned =
            (holder.endpoint == "note" && f.api == "cust") || (holder.endpoint == "comment");
        if (owned) {
          cascade.push_back(hid);
        } else {
          index(holder, hid, e, false);
          e[f.api] = nullptr;
          index(holder, hid, e, true);
        }
      }
      for (std::int64_t hid : cascade) remove_element(holder, hid);
    }
  }
}

Answer Account::remove(const model::Resource& r, std::int64_t id) {
  if (!exists(r.endpoint, id))
    return {404, error_body("no " + std::string(r.endpoint) + " with id " + std::to_string(id))};
  remove_element(r, id);
  changed();
  return {200, R"({"status":"OK"})"};
}

json::object Account::state() const {
  json::object out;
  for (const model::Resource& r : model::all_resources()) {
    json::array list;
    for (const auto& [id, e] : elements_.at(std::string(r.endpoint)))
      list.push_back(with_derived(r, e));
    out[r.endpoint] = std::move(list);
  }
  return out;
}

void Account::replace_state(const json::object& state) {
  for (auto& [ep, list] : elements_) list.clear();
  backrefs_.clear();
  next_id_ = 1;
  for (const model::Resource& r : model::all_resources()) {
    const json::value* list = state.if_contains(r.endpoint);
    if (list == nullptr || !list->is_array()) continue;
    for (const json::value& v : list->get_array()) {
      if (!v.is_object()) continue;
      const auto id = as_id(v.get_object().contains("id") ? v.at("id") : json::value());
      if (!id) continue;
      json::object e;
      for (const auto& kv : v.get_object()) {
        const model::Field* f = r.field_by_api(kv.key());
        if (f && f->has_backlink()) continue;  // derived, never stored
        e[kv.key()] = kv.value();
      }
      e["id"] = *id;
      index(r, *id, e, true);
      elements_.at(std::string(r.endpoint))[*id] = std::move(e);
      next_id_ = std::max(next_id_, *id + 1);
    }
  }
  changed();
}

}  // namespace clevertim::emulator
