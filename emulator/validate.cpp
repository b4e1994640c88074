#include "emulator/validate.h"

#include <boost/json.hpp>

#include <algorithm>
#include <charconv>

#include "model/resources.h"

namespace clevertim::emulator {
namespace {

namespace json = boost::json;
using model::FieldType;

bool is_integer(const json::value& v) {
  return v.is_int64() || v.is_uint64();
}

bool all_of(const json::value& v, bool (*pred)(const json::value&)) {
  const json::array* a = v.if_array();
  return a != nullptr && std::all_of(a->begin(), a->end(), pred);
}

// A task date: {"y":2013,"mo":12,"d":29[,"h":4,"mi":4]}; h and mi are absent for all-day tasks.
bool is_date_object(const json::value& v) {
  const json::object* o = v.if_object();
  if (o == nullptr) return false;
  for (std::string_view key : {"y", "mo", "d"}) {
    const json::value* part = o->if_contains(key);
    if (part == nullptr || !as_id(*part)) return false;
  }
  for (std::string_view key : {"h", "mi"}) {
    const json::value* part = o->if_contains(key);
    if (part != nullptr && !part->is_null() && !as_id(*part)) return false;
  }
  return true;
}

bool has_type(FieldType type, const json::value& v) {
  switch (type) {
    case FieldType::kInt:
      return as_id(v).has_value();
    case FieldType::kText:  // numbers are accepted and kept, as the model says
      return v.is_string() || v.is_number();
    case FieldType::kBool:
      return v.is_bool();
    case FieldType::kTimestamp:
      return v.is_string() || is_integer(v);
    case FieldType::kDate:
      return is_date_object(v);
    case FieldType::kStringArray:
      return all_of(v, [](const json::value& e) { return e.is_string(); });
    case FieldType::kIntArray:
      return all_of(v, [](const json::value& e) { return as_id(e).has_value(); });
    case FieldType::kObjectArray:
      return all_of(v, [](const json::value& e) { return e.is_object(); });
    case FieldType::kObject:
      return v.is_object();
    case FieldType::kAny:
      return true;
  }
  return false;
}

// How an error message names a type: in the API's words, not the mirror's.
std::string_view api_type_name(FieldType type) {
  switch (type) {
    case FieldType::kInt:
      return "an integer id";
    case FieldType::kText:
      return "a string";
    case FieldType::kBool:
      return "true or false";
    case FieldType::kTimestamp:
      return "a time stamp";
    case FieldType::kDate:
      return R"(a date object {"y","mo","d"[,"h","mi"]})";
    case FieldType::kStringArray:
      return "an array of strings";
    case FieldType::kIntArray:
      return "an array of ids";
    case FieldType::kObjectArray:
      return "an array of objects";
    case FieldType::kObject:
      return "a JSON object";
    case FieldType::kAny:
      return "a JSON value";
  }
  return "a value";
}

std::string quoted(std::string_view s) {
  return "'" + std::string(s) + "'";
}

// A custom field value: a string (numbers tolerated), or a list of them for multi-value fields.
bool is_custom_value(const json::value& v) {
  if (v.is_null() || v.is_string() || v.is_number()) return true;
  return all_of(v, [](const json::value& e) { return e.is_string() || e.is_number(); });
}

bool non_empty(const json::object& e, std::string_view key) {
  const json::value* v = e.if_contains(key);
  if (v == nullptr || v->is_null()) return false;
  if (const json::string* s = v->if_string()) return !s->empty();
  return true;
}

std::string joined(std::span<const std::string_view> keys) {
  std::string out;
  for (std::string_view k : keys) out += (out.empty() ? "" : ", ") + std::string(k);
  return out;
}

}  // namespace

std::optional<Id> as_id(const json::value& v) {
  if (v.is_int64()) return v.get_int64();
  if (v.is_uint64() && v.get_uint64() <= static_cast<std::uint64_t>(INT64_MAX))
    return static_cast<Id>(v.get_uint64());
  if (const json::string* s = v.if_string()) {
    Id out = 0;
    const auto [end, ec] = std::from_chars(s->data(), s->data() + s->size(), out);
    if (ec == std::errc() && end == s->data() + s->size() && !s->empty()) return out;
  }
  return std::nullopt;
}

bool accepts_id_list(const model::Resource& /*r*/, const model::Field& f) {
  return f.accepts_id_list();  // model/resources.cpp says which (a note's cust)
}

std::string check_types(const model::Resource& r, const json::object& sent) {
  for (const auto& kv : sent) {
    const model::Field* f = r.field_by_api(kv.key());
    const json::value& v = kv.value();
    if (f == nullptr || v.is_null()) continue;
    const bool ok =
        has_type(f->type, v) || (accepts_id_list(r, *f) && has_type(FieldType::kIntArray, v));
    if (!ok)
      return std::string(r.endpoint) + ": field " + quoted(f->api) + " must be " +
             std::string(api_type_name(f->type)) + ", not " + json::serialize(v).substr(0, 60);
    if (!f->allowed.empty()) {
      const json::string* s = v.if_string();
      if (s == nullptr ||
          std::find(f->allowed.begin(), f->allowed.end(), std::string_view(*s)) == f->allowed.end())
        return std::string(r.endpoint) + ": unknown " + std::string(f->api) + " " +
               json::serialize(v).substr(0, 60) + "; allowed: " + joined(f->allowed);
    }
    if (f->api == "cf")
      for (const auto& entry : v.get_object())
        if (!is_custom_value(entry.value()))
          return std::string(r.endpoint) + ": custom field " + quoted(entry.key()) +
                 " must be a string or a list of strings";
  }
  return "";
}

std::string check_references(const model::Resource& r, const json::object& sent,
                             const ExistsFn& exists) {
  for (const auto& kv : sent) {
    const model::Field* f = r.field_by_api(kv.key());
    const json::value& v = kv.value();
    if (f == nullptr || v.is_null()) continue;
    if (f->ref != model::Ref::kNone) {
      const auto targets = model::endpoints_for(f->ref);
      auto check_one = [&](const json::value& one) -> std::string {
        const auto id = as_id(one);
        if (id && std::any_of(targets.begin(), targets.end(),
                              [&](std::string_view ep) { return exists(ep, *id); }))
          return "";
        std::string kinds;
        for (std::string_view ep : targets)
          kinds += (kinds.empty() ? "" : " or ") + std::string(ep);
        return std::string(r.endpoint) + ": field " + quoted(f->api) + " refers to " + kinds + " " +
               json::serialize(one).substr(0, 40) + ", which does not exist";
      };
      if (const json::array* list = v.if_array()) {
        for (const json::value& one : *list)
          if (auto m = check_one(one); !m.empty()) return m;
      } else if (auto m = check_one(v); !m.empty()) {
        return m;
      }
    }
    if (f->api == "cf" && v.is_object())
      for (const auto& entry : v.get_object()) {
        const auto id = as_id(json::value(entry.key()));
        if (!id || !exists("customfield", *id))
          return std::string(r.endpoint) + ": cf key " + quoted(entry.key()) +
                 " is not the id of an existing custom field";
      }
  }
  return "";
}

std::string check_create_rule(const model::Resource& r, const json::object& element,
                              bool creating) {
  const std::string what = std::string(r.endpoint);
  for (std::string_view key : r.create.required)
    if (!non_empty(element, key)) return "a " + what + " needs a non-empty " + quoted(key);
  const auto& one_of = r.create.needs_one_of;
  if (!one_of.empty() && std::none_of(one_of.begin(), one_of.end(),
                                      [&](std::string_view k) { return non_empty(element, k); }))
    return "a " + what + " needs at least one of " + joined(one_of);
  const auto& exactly = r.create.exactly_one_of;
  if (creating && !exactly.empty() &&
      std::count_if(exactly.begin(), exactly.end(),
                    [&](std::string_view k) { return non_empty(element, k); }) != 1)
    return "a " + what + " needs exactly one of " + joined(exactly) + " (not both, not neither)";
  return "";
}

}  // namespace clevertim::emulator
