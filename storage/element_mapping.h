// Mapping between an element's JSON (as the API sends it) and its row in the mirror.
//
// The mapping is lossless: `raw` keeps the whole element, unknown fields included, and the typed
// columns are derived from it. A field whose value has an unexpected shape is kept in `raw`
// and its column left NULL, with a warning: never a crash, never a dropped element.
#pragma once

#include <boost/json/fwd.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace clevertim::model {
struct Field;
struct Resource;
}  // namespace clevertim::model

namespace clevertim::storage {

// One SQLite value: NULL, an integer, a real or text.
using Cell = std::variant<std::monostate, std::int64_t, double, std::string>;

inline bool is_null(const Cell& cell) {
  return std::holds_alternative<std::monostate>(cell);
}

// An element ready to be written: its id, one cell per field of the resource (in model order),
// and its raw JSON with a hash that tells unchanged elements apart cheaply.
struct MappedElement {
  std::int64_t id = 0;
  std::vector<Cell> cells;
  std::string raw;
  std::int64_t raw_hash = 0;
  std::vector<std::string> warnings;  // "contact 12: field startDate ..." — kept in raw only
};

// Why an element cannot be stored at all: no usable id, not an object, or a number out of a
// double's range (1e400: raw would not be JSON).
struct MappingError {
  std::string message;
};

using MappingResult = std::variant<MappedElement, MappingError>;

// Maps one element as the API sent it.
MappingResult map_element(const model::Resource& resource, const boost::json::value& element);

// The same, for a caller that already holds `serialized` == boost::json::serialize(element) and
// its raw_hash(): a pull serializes each element once, to tell whether it changed.
MappingResult map_element(const model::Resource& resource, const boost::json::value& element,
                          std::string serialized, std::int64_t serialized_hash);

// The same, for an element held as an object (the answer to a write).
MappingResult map_element(const model::Resource& resource, const boost::json::object& element);

// Only the typed cells of an element, as map_element() fills them, without serializing it
// again: for comparing versions already stored (a value of an unexpected shape is NULL).
std::vector<Cell> cells_of(const model::Resource& resource, const boost::json::object& element);

// The element's id: a JSON integer, or a numeric string (the vendor client copes with both).
std::optional<std::int64_t> element_id(const boost::json::value& id);

// The cell for one field's JSON value; sets `problem` when the shape was unexpected (the cell is
// then NULL).
Cell cell_from_json(const model::Field& field, const boost::json::value& value,
                    std::string& problem);

// The JSON value the API expects for a cell, for push payloads. Sets `problem` and returns
// nullopt when the cell cannot be expressed (e.g. a date in a wrong format).
std::optional<boost::json::value> json_from_cell(const model::Field& field, const Cell& cell,
                                                 std::string& problem);

// Stable 64-bit hash of a raw element; equal text, equal hash, across runs and machines. Stored
// in each row's raw_hash: a change of this function needs a schema version that hashes every
// row again (version 7 did, from FNV-1a).
std::int64_t raw_hash(std::string_view raw);

// "2013-12-29T04:04" or "2013-12-29" from {"y","mo","d"[,"h","mi"]}; nullopt for other shapes.
std::optional<std::string> iso_from_date_object(const boost::json::value& value);
std::optional<boost::json::value> date_object_from_iso(std::string_view iso);

std::string describe(const Cell& cell);

}  // namespace clevertim::storage
