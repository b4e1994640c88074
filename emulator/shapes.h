// Answer shapes: the ways a server may legitimately write the same account. API.md and the
// vendor's client allow more than one shape for several values (ids as numbers or numeric
// strings, a note's `cust` as an id or a list of one, a null field or no field at all), and
// the real service's time stamps are not guaranteed to be the `Z` form the emulator writes. A
// client that converges against only one of them may depend on that server's habits; with a
// shape seed the emulator writes every element in shapes drawn from the seed, while the stored
// account stays exactly the same.
//
// The choice is a pure function of (seed, resource, element id, field), so one answer mixes
// shapes across elements and fields, yet the same element is written the same way in every
// answer of that seed and a client can converge. `per_request` adds the answer's sequence
// number to that function: every answer is drawn afresh (a client then sees "changes" on every
// pull, which is legal too, but only on request).
#pragma once

#include <boost/json/object.hpp>

#include <cstdint>
#include <string>
#include <string_view>

#include "emulator/validate.h"

namespace clevertim::model {
struct Resource;
}

namespace clevertim::emulator {

struct ShapeOptions {
  std::uint64_t seed = 0;          // 0: off, the emulator's one canonical shape (the default)
  bool per_request = false;        // draw every answer afresh instead of per element
  bool soft_delete_tasks = false;  // a PUT of `is_deleted: true` deletes the task
  bool active() const { return seed != 0; }
  // Shapes imply the soft delete: the real service hides such tasks, and a client that meets
  // a varying server should also meet that.
  bool deletes_tasks() const { return soft_delete_tasks || active(); }
};

// {"seed":S,"per_request":false,"soft_delete_tasks":false}
boost::json::object to_json(const ShapeOptions& o);
// `o` with any of the keys to_json shows changed; throws std::invalid_argument naming a bad
// key or value (and then nothing changes, as the caller keeps `o`).
ShapeOptions updated(ShapeOptions o, const boost::json::object& settings);

// One element (compact JSON, link lists included) of `r` rewritten in the shapes `o` draws for
// it. `answer` is the answer's sequence number, used only with `per_request`.
std::string shape_element(const ShapeOptions& o, const model::Resource& r,
                          std::string_view element_json, std::uint64_t answer);

// Whether `field` of `r` holds ids (`id`, a reference, a list of ids): the values the shapes
// may write as numeric strings, and which the store compares by the ids they name.
bool holds_ids(const model::Resource& r, std::string_view field);

// `v` (an id or a list of them) with every id written as a JSON number (`as_string` false) or a
// numeric string ("104"); values that are not ids are left as they are.
boost::json::value ids_written_as(const boost::json::value& v, bool as_string);

// The "2026-11-28T19:30:05Z" stamp `utc` written with a UTC offset of `offset_minutes` (the
// same instant): "2026-11-28T14:30:05-05:00" for -300. Empty when `utc` is not in that form.
std::string with_offset(std::string_view utc, int offset_minutes);

}  // namespace clevertim::emulator
