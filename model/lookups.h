// The coded values of the API (one-letter customer types, deal statuses, task types, ...) with
// what each code means, for the mirror's lookup tables (storage/bi_schema.h) and
// `clevertim-sync describe`. Codes and labels are API.md's.
#pragma once

#include <span>
#include <string_view>

namespace clevertim::model {

struct Code {
  std::string_view code;   // as stored in the mirror ("C")
  std::string_view label;  // what it means ("Customer")
};

// A field that holds one of a lookup's codes.
struct CodedField {
  std::string_view endpoint;  // "contact"
  std::string_view api;       // "ctype"
};

struct Lookup {
  std::string_view table;  // "lookup_customer_types"
  std::string_view meaning;
  std::span<const Code> codes;
  std::span<const CodedField> used_by;  // empty: not a model field (sync_state)
};

// Every lookup table of the mirror.
std::span<const Lookup> all_lookups();

// The lookup whose codes `endpoint`.`api` holds, or nullptr.
const Lookup* lookup_for(std::string_view endpoint, std::string_view api);

}  // namespace clevertim::model
