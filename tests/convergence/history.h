// The convergence checker's history: what a seeded run did to both sides, in order, and what
// each writer saw when it wrote. The oracle (oracle.h) reads it after the history quiesced.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace clevertim::testing::convergence {

// A field edited by both sides: the mirror's column and the API's name for it.
struct TrackedField {
  const char* table;     // "contacts"
  const char* resource;  // "contact"
  const char* column;    // "title"
  const char* api;       // "title"
};

// A value written by one side. Every value is unique in the history (a marker), so finding it
// anywhere (the CRM, the request log, `conflicts`) proves where it went.
struct Write {
  int step = 0;
  std::string resource;
  std::int64_t id = 0;  // at the time of the write (negative: a row not created yet)
  std::string api;      // the field's API name
  std::string column;   // the field's mirror column
  std::string value;
  std::string seen;        // local writes: the column's value the writer read just before
  std::int64_t at_ms = 0;  // when it was made (wall clock, ms): `newest` compares edit times
};

// An element created with a marker in its naming field (cn / fn / desc).
struct Create {
  int step = 0;
  std::string resource;
  std::string api;  // the field carrying the marker
  std::string marker;
  bool local = false;
};

// A deletion; local ones keep what the writer saw of the tracked fields.
struct Delete {
  int step = 0;
  std::string resource;
  std::int64_t id = 0;
  bool local = false;
  std::string marker;                       // the element's create marker, if it has one
  std::map<std::string, std::string> seen;  // api field -> value seen (local deletions)
};

struct History {
  std::uint64_t seed = 0;
  std::string policy;   // newest, remote-wins, local-wins, manual
  bool daemon = false;  // `run` phases (immediate push) besides `sync`
  std::vector<Write> local_writes, remote_writes;
  std::vector<Create> creates;
  std::vector<Delete> deletes;
  std::vector<std::string> steps;  // one line per step, printed when a check fails
  // When the CRM side created or deleted anything (wall clock, ms): a deletion clears
  // references in other elements, which changes their `lm` too.
  std::vector<std::int64_t> remote_events_ms;
};

}  // namespace clevertim::testing::convergence
