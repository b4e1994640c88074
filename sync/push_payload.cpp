#include "sync/push_payload.h"

#include <boost/json.hpp>

namespace clevertim::sync {
namespace {

namespace json = boost::json;
using storage::Cell;

// Whether `custom_fields` names a custom field that exists only here: a key that is a negative
// id. The keys are looked at, not the text: a value such as "-5" or "-- note" also puts `"-`
// in the text, and must not hold the row back for ever.
bool has_local_custom_field_key(const Cell& cell) {
  const auto* text = std::get_if<std::string>(&cell);
  if (text == nullptr) return false;
  json::error_code ec;
  const json::value values = json::parse(*text, ec);
  if (ec || !values.is_object()) return false;  // json_from_cell says what is wrong with it
  for (const auto& kv : values.get_object())
    if (kv.key().starts_with("-")) return true;
  return false;
}

// The base as an object to lay values over; empty when there is none or it is no object.
json::object object_of_raw(const std::optional<std::string>& raw) {
  if (!raw) return {};
  json::error_code ec;
  json::value v = json::parse(*raw, ec);
  if (ec || !v.is_object()) return {};
  return std::move(v.as_object());
}

}  // namespace

std::string label(const model::Resource& r, std::int64_t id) {
  return std::string(r.singular) + " " + std::to_string(id);
}

std::vector<size_t> writable_indexes(const model::Resource& r) {
  std::vector<size_t> out;
  for (size_t i = 0; i < r.fields.size(); ++i)
    if (r.fields[i].writable()) out.push_back(i);
  return out;
}

std::vector<Cell> cells_of_raw(const model::Resource& r, const std::optional<std::string>& raw) {
  if (raw) {
    json::error_code ec;
    const json::value v = json::parse(*raw, ec);
    if (!ec && v.is_object()) return storage::cells_of(r, v.get_object());
  }
  return std::vector<Cell>(r.fields.size());
}

void keep_id_lists_of_raw(const model::Resource& r, const std::vector<Cell>& cells,
                          const std::optional<std::string>& raw, json::object& element) {
  if (!raw) return;
  json::error_code ec;
  const json::value base = json::parse(*raw, ec);
  if (ec || !base.is_object()) return;
  for (size_t i = 0; i < r.fields.size(); ++i) {
    const model::Field& f = r.fields[i];
    if (!f.accepts_id_list() || !storage::is_null(cells[i])) continue;
    if (const json::value* list = base.as_object().if_contains(f.api);
        list != nullptr && list->is_array() && list->as_array().size() > 1)
      element[f.api] = *list;
  }
}

std::variant<json::object, PayloadProblem> build_payload(const model::Resource& r,
                                                         const std::vector<Cell>& cells,
                                                         const std::vector<size_t>& indexes,
                                                         bool skip_nulls) {
  json::object payload;
  std::string problem;
  for (size_t i : indexes) {
    const model::Field& f = r.fields[i];
    const Cell& cell = cells[i];
    if (skip_nulls && storage::is_null(cell)) continue;
    if (f.ref != model::Ref::kNone) {
      const auto* id = std::get_if<std::int64_t>(&cell);
      if (id != nullptr && *id < 0)
        return PayloadProblem{true,
                              "waits for the new " + std::string(r.table) + "." +
                                  std::string(f.column) + " target " + std::to_string(*id) +
                                  " to be created in the CRM first",
                              f.ref, *id};
    }
    if (f.api == "cf" && has_local_custom_field_key(cell))
      return PayloadProblem{true, "waits for a new custom field (a negative key in " +
                                      std::string(r.table) +
                                      ".custom_fields) to be created in the CRM first"};
    auto value = storage::json_from_cell(f, cell, problem);
    if (!value)
      return PayloadProblem{false, std::string(r.table) + "." + std::string(f.column) + " " +
                                       problem + "; correct the row and it is pushed again"};
    payload[f.api] = std::move(*value);
  }
  return payload;
}

std::string local_json(const model::Resource& r, const std::optional<std::string>& base,
                       const std::vector<Cell>& cells) {
  json::object out = object_of_raw(base);
  std::string problem;
  for (size_t i : writable_indexes(r))
    if (auto value = storage::json_from_cell(r.fields[i], cells[i], problem))
      out[r.fields[i].api] = std::move(*value);
  keep_id_lists_of_raw(r, cells, base, out);
  return json::serialize(out);
}

std::string field_list(const model::Resource& r, const std::vector<size_t>& indexes) {
  std::string fields;
  for (size_t i : indexes) fields += (fields.empty() ? "" : ",") + std::string(r.fields[i].api);
  return fields;
}

std::optional<std::vector<Cell>> cells_after_put(const model::Resource& r,
                                                 const std::string& payload,
                                                 const std::optional<std::string>& base_raw) {
  json::error_code ec;
  json::value sent = json::parse(payload, ec);
  if (ec || !sent.is_object()) return std::nullopt;
  json::object element = object_of_raw(base_raw);
  for (const auto& kv : sent.as_object()) element[kv.key()] = kv.value();
  return storage::cells_of(r, element);
}

}  // namespace clevertim::sync
