// What the server refuses with 400, derived from model/resources.h: a field's JSON type
// (Field::type), a closed set of values (Field::allowed), a reference to an element that does
// not exist (Field::ref), a custom field id that does not exist (`cf` keys), and what a create
// must carry (Resource::create). Nothing here is re-typed per resource except the one
// documented oddity, `accepts_id_list`.
//
// Each check returns the first problem as a human-readable message, or "" when all is well.
#pragma once

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace clevertim::model {
struct Field;
struct Resource;
}  // namespace clevertim::model

namespace clevertim::emulator {

using Id = std::int64_t;

// An id as the API writes it: a JSON integer, or (as the vendor client copes with) a string of
// digits. Anything else is not an id.
std::optional<Id> as_id(const boost::json::value& v);

// Whether an element with this id exists in the collection `endpoint`.
using ExistsFn = std::function<bool(std::string_view endpoint, Id id)>;

// The vendor's client lets a note's `cust` be a list of customer ids (API.md: "keep whatever
// arrives"); every other id field holds one id.
bool accepts_id_list(const model::Resource& r, const model::Field& f);

// Every field of `sent` the model knows has the JSON type its FieldType says (null always
// passes: it clears the field) and, where the model lists allowed values, one of them.
// Fields the model does not know are not checked: they are stored as sent.
std::string check_types(const model::Resource& r, const boost::json::object& sent);

// Every reference in `sent` points at an existing element of the kind its Ref names, and every
// `cf` key is the id of an existing custom field.
std::string check_references(const model::Resource& r, const boost::json::object& sent,
                             const ExistsFn& exists);

// `element` (the whole element as it would be stored) satisfies the resource's CreateRule.
// With `creating` false (an update), the exactly-one-of rule is not applied, because an update
// changes only what it sends.
std::string check_create_rule(const model::Resource& r, const boost::json::object& element,
                              bool creating = true);

}  // namespace clevertim::emulator
