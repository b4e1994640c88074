#include "emulator/store.h"

#include <boost/json.hpp>

#include <algorithm>
#include <limits>
#include <stdexcept>

#include "model/resources.h"

namespace clevertim::emulator {
namespace {

namespace json = boost::json;

// References whose target owns the holder: deleting the target deletes the holder. Notes are
// shown on their customer in the CRM, and a comment cannot exist without its note or task.
bool owned_reference(std::string_view holder, std::string_view field) {
  return (holder == "note" && field == "cust") ||
         (holder == "comment" && (field == "nid" || field == "tid"));
}

bool targets(const model::Field& f, std::string_view endpoint) {
  const auto eps = model::endpoints_for(f.ref);
  return std::find(eps.begin(), eps.end(), endpoint) != eps.end();
}

// The ids a reference field holds: one, a list (note.cust), or none.
template <class Fn>
void for_each_id(const json::value& v, Fn&& fn) {
  if (const json::array* list = v.if_array()) {
    for (const json::value& one : *list)
      if (auto id = as_id(one)) fn(*id);
  } else if (auto id = as_id(v)) {
    fn(*id);
  }
}

json::object parsed(const std::string& text) {
  return json::parse(text).as_object();
}

// The ids a value names, in order, or nullopt when any part of it is not an id.
std::optional<std::vector<Id>> id_list(const json::value& v) {
  std::vector<Id> out;
  if (const json::array* list = v.if_array()) {
    for (const json::value& one : *list) {
      const auto id = as_id(one);
      if (!id) return std::nullopt;
      out.push_back(*id);
    }
    return out;
  }
  const auto id = as_id(v);
  if (!id) return std::nullopt;
  return std::vector<Id>{*id};
}

std::string not_found(const model::Resource& r, Id id) {
  return "no " + std::string(r.endpoint) + " with id " + std::to_string(id);
}

}  // namespace

Store::Store() {
  const auto resources = model::all_resources();
  for (const model::Resource& r : resources) collections_.push_back({&r, {}, {}, {}, {}, {}});
  // Index every writable reference field, and every field a backlink is derived from.
  for (std::size_t c = 0; c < resources.size(); ++c)
    for (const model::Field& f : resources[c].fields) {
      bool backlink_source = false;
      for (const model::Resource& other : resources)
        for (const model::Field& o : other.fields)
          backlink_source = backlink_source ||
                            (o.has_backlink() && o.backlink.endpoint == resources[c].endpoint &&
                             o.backlink.api_field == f.api);
      if ((f.ref == model::Ref::kNone || !f.writable()) && !backlink_source) continue;
      collections_[c].ref_fields.push_back(refs_.size());
      refs_.push_back({c, &f, owned_reference(resources[c].endpoint, f.api), {}});
    }
  for (std::size_t c = 0; c < resources.size(); ++c)
    for (const model::Field& f : resources[c].fields) {
      if (!f.has_backlink()) continue;
      for (std::size_t k = 0; k < refs_.size(); ++k) {
        const RefIndex& ref = refs_[k];
        if (resources[ref.holder].endpoint != f.backlink.endpoint ||
            ref.field->api != f.backlink.api_field)
          continue;
        collections_[c].backlinks.emplace_back(&f, k);
        auto& deps = collections_[ref.holder].dependents;
        if (std::find(deps.begin(), deps.end(), c) == deps.end()) deps.push_back(c);
      }
    }
}

std::size_t Store::collection_of(const model::Resource& r) const {
  for (std::size_t c = 0; c < collections_.size(); ++c)
    if (collections_[c].resource->endpoint == r.endpoint) return c;
  throw std::invalid_argument("unknown resource " + std::string(r.endpoint));
}

bool Store::exists(std::string_view endpoint, Id id) const {
  const auto it = where_.find(id);
  return it != where_.end() && collections_[it->second].resource->endpoint == endpoint;
}

std::optional<Id> Store::owner() const {
  const auto& users = collections_[collection_of(*model::find_resource("user"))].elements;
  for (const auto& [id, text] : users) {
    const json::object user = parsed(text);  // kept alive: if_contains points into it
    if (const json::value* o = user.if_contains("is_owner"); o && o->is_bool() && o->get_bool())
      return id;
  }
  if (users.empty()) return std::nullopt;
  return users.begin()->first;
}

std::optional<Id> Store::web_user() const {
  const auto boss = owner();
  for (const auto& [id, u] : collections_[collection_of(*model::find_resource("user"))].elements)
    if (id != boss) return id;
  return boss;
}

// What a client may set: everything it sent except `id` and the model's read-only fields.
// The read-only resources (user, group) are written only from the control API, which may set
// all their fields.
json::object Store::writable_part(const model::Resource& r, const json::object& in) const {
  json::object out;
  for (const auto& kv : in) {
    if (kv.key() == "id") continue;
    const model::Field* f = r.field_by_api(kv.key());
    if (f != nullptr && !f->writable() && (!r.read_only || f->has_backlink())) continue;
    out[kv.key()] = kv.value();
  }
  return out;
}

// Fields the server decides whatever the client sent.
void Store::fill_server_fields(const model::Resource& r, json::object& e) const {
  if (r.has_field("is_company")) e["is_company"] = r.endpoint == "company";
}

void Store::index(std::size_t c, Id id, const json::object& e, bool add) {
  for (std::size_t k : collections_[c].ref_fields) {
    RefIndex& ref = refs_[k];
    const json::value* v = e.if_contains(ref.field->api);
    if (v == nullptr) continue;
    for_each_id(*v, [&](Id target) {
      if (add)
        ref.pairs.emplace(target, id);
      else
        ref.pairs.erase({target, id});
    });
  }
}

void Store::touch(std::size_t c) {
  collections_[c].cache.reset();
  for (std::size_t d : collections_[c].dependents) collections_[d].cache.reset();
}

void Store::append_element(std::string& out, const Collection& c, Id id,
                           const std::string& text) const {
  out.append(text, 0, text.size() - 1);  // "{...}": reopened to add the link lists
  for (const auto& [field, k] : c.backlinks) {
    out += ",\"";
    out += field->api;
    out += "\":[";
    const auto& pairs = refs_[k].pairs;
    bool first = true;
    for (auto it = pairs.lower_bound({id, std::numeric_limits<Id>::min()});
         it != pairs.end() && it->first == id; ++it) {
      if (!first) out += ',';
      out += std::to_string(it->second);
      first = false;
    }
    out += ']';
  }
  out += '}';
}

std::string Store::element_json(const Collection& c, Id id, const std::string& text) const {
  std::string out;
  append_element(out, c, id, text);
  return out;
}

std::string Store::answer_json(const Collection& c, Id id, const std::string& text) {
  if (!shapes_.active()) return element_json(c, id, text);
  return shape_element(shapes_, *c.resource, element_json(c, id, text), answers_++);
}

void Store::set_shapes(ShapeOptions o) {
  shapes_ = o;
  for (Collection& c : collections_) c.cache.reset();
}

// With shapes on, a client may send back ids in any shape it was shown. Ids naming what is
// stored already leave the stored value as it is (a PUT of the element as read changes
// nothing and `lm` stays); other ids are stored as JSON numbers, so the account does not
// depend on the shapes a client happened to see.
void Store::settle_ids(const model::Resource& r, json::object& sent,
                       const json::object* before) const {
  if (!shapes_.active()) return;
  for (auto& kv : sent) {
    const model::Field* f = r.field_by_api(kv.key());
    json::value& v = kv.value();
    if (f == nullptr || v.is_null() || !holds_ids(r, kv.key())) continue;
    const auto now = id_list(v);
    if (!now) continue;  // not ids: validation answers 400
    const json::value* old = before ? before->if_contains(kv.key()) : nullptr;
    const bool same_form =
        old != nullptr && (old->is_array() == v.is_array() || accepts_id_list(r, *f));
    if (same_form && id_list(*old) == now)
      v = *old;
    else
      v = ids_written_as(v, false);
  }
}

std::shared_ptr<const std::string> Store::read_all(const model::Resource& r) {
  Collection& c = collections_[collection_of(r)];
  if (!c.cache) {
    std::string list;
    const std::uint64_t answer = answers_++;
    for (const auto& [id, e] : c.elements) {
      if (!list.empty()) list += ',';
      if (shapes_.active())
        list += shape_element(shapes_, r, element_json(c, id, e), answer);
      else
        append_element(list, c, id, e);
    }
    auto body = std::make_shared<const std::string>(ok_list(list));
    // Stable shapes depend only on the element, so the body can be cached like the plain one.
    if (!cache_read_all_ || shapes_.per_request) return body;
    c.cache = std::move(body);
  }
  return c.cache;
}

Answer Store::read_one(const model::Resource& r, Id id) {
  const Collection& c = collections_[collection_of(r)];
  const auto it = c.elements.find(id);
  if (it == c.elements.end()) return error(404, not_found(r, id));
  return {200, ok_one(answer_json(c, id, it->second))};
}

Answer Store::create(const model::Resource& r, const json::value& body, std::optional<Id> creator) {
  const json::object* in = body.if_object();
  if (in == nullptr) return error(400, "the body must be a JSON object");
  json::object sent = writable_part(r, *in);
  settle_ids(r, sent, nullptr);
  const ExistsFn exists = [this](std::string_view ep, Id id) { return this->exists(ep, id); };
  json::object e;
  e["id"] = 0;  // reserves the first position
  for (const auto& kv : sent) e[kv.key()] = kv.value();
  for (const std::string& m :
       {check_types(r, sent), check_create_rule(r, e), check_references(r, sent, exists)})
    if (!m.empty()) return error(400, m);

  const Id id = next_id_++;
  e["id"] = id;
  fill_server_fields(r, e);
  const std::string now = utc_now();
  for (const model::Field& f : r.fields) {
    if (f.writable() || r.read_only || f.has_backlink()) continue;
    if (f.api == "userId")
      e["userId"] = creator ? json::value(*creator) : json::value(nullptr);
    else if (f.api == "ao" || f.api == "lm")
      e[f.api] = now;
    else if (f.type == model::FieldType::kIntArray)
      e[f.api] = json::array();  // files, lfiles: nothing attached yet
  }
  const std::size_t c = collection_of(r);
  index(c, id, e, true);
  where_[id] = c;
  const auto& stored = collections_[c].elements[id] = json::serialize(e);
  touch(c);
  return {200, ok_one(answer_json(collections_[c], id, stored))};
}

Answer Store::update(const model::Resource& r, Id id, const json::value& body) {
  if (!r.updatable)
    return error(501, "updating a " + std::string(r.endpoint) +
                          " is not supported; delete it and create a new one");
  const std::size_t c = collection_of(r);
  auto it = collections_[c].elements.find(id);
  if (it == collections_[c].elements.end()) return error(404, not_found(r, id));
  const json::object* in = body.if_object();
  if (in == nullptr) return error(400, "the body must be a JSON object");
  const json::object before = parsed(it->second);
  json::object sent = writable_part(r, *in);
  settle_ids(r, sent, &before);
  const ExistsFn exists = [this](std::string_view ep, Id id) { return this->exists(ep, id); };
  json::object merged = before;
  for (const auto& kv : sent) merged[kv.key()] = kv.value();
  fill_server_fields(r, merged);
  for (const std::string& m : {check_types(r, sent), check_create_rule(r, merged, false),
                               check_references(r, sent, exists)})
    if (!m.empty()) return error(400, m);
  if (const json::value* gone = merged.if_contains("is_deleted");
      shapes_.deletes_tasks() && r.endpoint == "task" && gone && gone->is_bool() &&
      gone->get_bool()) {
    // API.md names this PUT as another way to delete a task, and the real service then no
    // longer lists it: delete it (comments and all), answering with its last state.
    const std::string now = utc_now();
    if (r.has_field("lm")) merged["lm"] = now;
    const std::string last = answer_json(collections_[c], id, json::serialize(merged));
    remove_element(c, id, now);  // still indexed as `before`, which it removes
    return {200, ok_one(last)};
  }
  if (merged != before) {
    if (r.has_field("lm")) merged["lm"] = utc_now();
    index(c, id, before, false);
    index(c, id, merged, true);
    it->second = json::serialize(merged);
    touch(c);
  }
  return {200, ok_one(answer_json(collections_[c], id, it->second))};
}

Answer Store::remove(const model::Resource& r, Id id) {
  const std::size_t c = collection_of(r);
  if (!collections_[c].elements.contains(id)) return error(404, not_found(r, id));
  remove_element(c, id, utc_now());
  return {200, ok_no_content()};
}

void Store::remove_element(std::size_t c, Id id, const std::string& now) {
  auto it = collections_[c].elements.find(id);
  if (it == collections_[c].elements.end()) return;  // already gone in this cascade
  const json::object gone = parsed(it->second);
  collections_[c].elements.erase(it);
  where_.erase(id);
  index(c, id, gone, false);
  touch(c);
  const std::string_view endpoint = collections_[c].resource->endpoint;
  for (RefIndex& ref : refs_) {
    if (!targets(*ref.field, endpoint)) continue;
    std::vector<Id> holders;
    for (auto h = ref.pairs.lower_bound({id, std::numeric_limits<Id>::min()});
         h != ref.pairs.end() && h->first == id; ++h)
      holders.push_back(h->second);
    for (Id holder : holders) clear_reference(ref, holder, id, now);
  }
  if (endpoint == "customfield") {
    const std::string key = std::to_string(id);
    const std::string quoted_key = "\"" + key + "\"";
    for (std::size_t h = 0; h < collections_.size(); ++h) {
      if (!collections_[h].resource->has_field("cf")) continue;
      for (auto& [hid, text] : collections_[h].elements) {
        if (text.find(quoted_key) == std::string::npos) continue;  // cheap pre-check
        json::object e = parsed(text);
        json::value* cf = e.if_contains("cf");
        if (cf == nullptr || !cf->is_object() || !cf->get_object().contains(key)) continue;
        json::object kept;  // rebuilt rather than erased: erase would reorder the keys
        for (const auto& kv : cf->get_object())
          if (kv.key() != key) kept[kv.key()] = kv.value();
        *cf = std::move(kept);
        if (collections_[h].resource->has_field("lm")) e["lm"] = now;
        text = json::serialize(e);
        touch(h);
      }
    }
  }
}

// `holder` refers to the deleted `target` through `ref`: it goes too when owned by it,
// otherwise the reference is cleared.
void Store::clear_reference(RefIndex& ref, Id holder, Id target, const std::string& now) {
  Collection& hc = collections_[ref.holder];
  auto it = hc.elements.find(holder);
  if (it == hc.elements.end()) return;
  json::object e = parsed(it->second);
  json::value& v = e[ref.field->api];
  bool emptied = true;
  if (json::array* list = v.if_array()) {
    json::array kept;
    for (const json::value& one : *list)
      if (as_id(one) != target) kept.push_back(one);
    emptied = kept.empty();
    if (!emptied) {
      index(ref.holder, holder, e, false);
      v = std::move(kept);
      index(ref.holder, holder, e, true);
    }
  }
  if (emptied && ref.owned) {
    remove_element(ref.holder, holder, now);
    return;
  }
  if (emptied) {
    index(ref.holder, holder, e, false);
    v = nullptr;
    index(ref.holder, holder, e, true);
  }
  if (hc.resource->has_field("lm")) e["lm"] = now;
  it->second = json::serialize(e);
  touch(ref.holder);
}

std::string Store::state_json() const {
  std::string out = "{";
  for (const Collection& c : collections_) {
    out += '"';
    out += c.resource->endpoint;
    out += "\":[";
    bool first = true;
    for (const auto& [id, e] : c.elements) {
      if (!first) out += ',';
      append_element(out, c, id, e);
      first = false;
    }
    out += "],";
  }
  out += "\"next_id\":" + std::to_string(next_id_) + "}";
  return out;
}

void Store::load(const model::Resource& r, json::object element) {
  const json::value* id_value = element.if_contains("id");
  const auto id = id_value ? as_id(*id_value) : std::nullopt;
  if (!id || *id < 1)
    throw std::invalid_argument("every " + std::string(r.endpoint) +
                                " needs a positive integer id");
  const std::size_t c = collection_of(r);
  if (!where_.emplace(*id, c).second)
    throw std::invalid_argument("id " + std::to_string(*id) + " appears twice");
  Collection& coll = collections_[c];
  // Link lists are derived, never stored; elements without them are taken as they are.
  const bool has_links = std::any_of(coll.backlinks.begin(), coll.backlinks.end(),
                                     [&](const auto& b) { return element.contains(b.first->api); });
  if (has_links) {
    json::object kept;
    for (auto& field : element) {
      const model::Field* f = r.field_by_api(field.key());
      if (f == nullptr || !f->has_backlink()) kept[field.key()] = std::move(field.value());
    }
    element = std::move(kept);
  }
  element["id"] = *id;
  index(c, *id, element, true);
  coll.elements.emplace_hint(coll.elements.end(), *id, json::serialize(element));
  coll.cache.reset();
  next_id_ = std::max(next_id_, *id + 1);
}

void Store::replace_state(json::object state) {
  Store fresh;
  std::optional<Id> next;
  for (auto& kv : state) {
    if (kv.key() == "next_id") {
      next = as_id(kv.value());
      if (!next || *next < 1) throw std::invalid_argument("next_id must be a positive id");
      continue;
    }
    const model::Resource* r = model::find_resource(kv.key());
    if (r == nullptr)
      throw std::invalid_argument("unknown resource '" + std::string(kv.key()) + "' in the state");
    json::array* list = kv.value().if_array();
    if (list == nullptr)
      throw std::invalid_argument("'" + std::string(kv.key()) + "' must be a list of elements");
    for (json::value& v : *list) {
      json::object* element = v.if_object();
      if (element == nullptr)
        throw std::invalid_argument("every " + std::string(r->endpoint) + " must be an object");
      fresh.load(*r, std::move(*element));
      v = nullptr;  // frees memory as it goes
    }
  }
  if (next) fresh.next_id_ = std::max(fresh.next_id_, *next);
  // The account changes, not how it is served.
  fresh.cache_read_all_ = cache_read_all_;
  fresh.shapes_ = shapes_;
  fresh.answers_ = answers_;
  *this = std::move(fresh);
}

}  // namespace clevertim::emulator
