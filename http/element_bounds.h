// Where an element of `content` ends, and its id, found without parsing it: for the question
// "are these bytes the text stored for that element?", which most elements of a re-sync answer
// yes. That question needs neither a parse nor a proof of compactness, only the element's
// extent and the id to look up; a hash of the bytes then decides. So this follows only quotes,
// escapes and brackets, and reads the id only where a compact writer puts a first key "id".
//
// Nothing here says the bytes are valid JSON: a caller may conclude something only from bytes
// equal to a text known to be valid (a stored one). Internal to json_stream.cpp; its own file to
// be tested alone.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace clevertim::sync::detail {

struct LeadingIdElement {
  std::size_t size = 0;  // its bytes, from its '{' to the '}' that closes it
  std::int64_t id = 0;   // the value of its first key, "id": a positive integer
};

// `bytes` begins with the '{' of an element. Its extent and id, when it begins `{"id":` and a
// positive integer (digits only, at most 18), holds no other top-level key written "id", and
// closes within `bytes` and within `max_size` bytes; nullopt otherwise.
std::optional<LeadingIdElement> find_element_with_leading_id(std::string_view bytes,
                                                             std::uint64_t max_size);

}  // namespace clevertim::sync::detail
