// What the push sends, built from rows: pure functions of the model, a row's cells and its
// base (`raw`), with no mirror and no CRM. The rest of the push (plan, send, conflicts) asks
// these what a row looks like to the CRM.
#pragma once

#include <boost/json/object.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "model/resources.h"
#include "storage/element_mapping.h"

namespace clevertim::sync {

// "contact 42": how messages name a row.
std::string label(const model::Resource& r, std::int64_t id);

// The indexes of the fields a push may send (the others are the CRM's own).
std::vector<size_t> writable_indexes(const model::Resource& r);

// A base (`raw`) as cells; every cell NULL when there is none or it is not an object.
std::vector<storage::Cell> cells_of_raw(const model::Resource& r,
                                        const std::optional<std::string>& raw);

// A reference the CRM holds as a list of several ids (a note's cust on several customers) is
// NULL in its column and kept in raw. An element written whole from its columns (a re-creation,
// a conflict's local side) takes that list from raw, unless the column was set here.
void keep_id_lists_of_raw(const model::Resource& r, const std::vector<storage::Cell>& cells,
                          const std::optional<std::string>& raw, boost::json::object& element);

// Why a payload cannot be sent now.
struct PayloadProblem {
  bool waits_for_dependency = false;  // a referenced new row is not in the CRM yet
  std::string message;
  // What it waits for: a new row this ref kind may name (kNone with a custom field key).
  model::Ref ref = model::Ref::kNone;
  std::int64_t local_id = 0;
};

// The JSON the API expects for the fields `indexes` of a row; with `skip_nulls` (a create) a
// NULL field is left out instead of sent as null.
std::variant<boost::json::object, PayloadProblem> build_payload(
    const model::Resource& r, const std::vector<storage::Cell>& cells,
    const std::vector<size_t>& indexes, bool skip_nulls);

// The local row as an element (a conflict's `local` side): its base with the local values of
// the writable fields.
std::string local_json(const model::Resource& r, const std::optional<std::string>& base,
                       const std::vector<storage::Cell>& cells);

// "title,city": the API names of the fields, as `conflicts.fields` lists them.
std::string field_list(const model::Resource& r, const std::vector<size_t>& indexes);

// What a PUT that sent `payload` (its JSON text) made of the element: the base with the sent
// fields laid over it, as cells. Nothing when the payload is not a JSON object.
std::optional<std::vector<storage::Cell>> cells_after_put(
    const model::Resource& r, const std::string& payload,
    const std::optional<std::string>& base_raw);

}  // namespace clevertim::sync
