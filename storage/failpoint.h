// Failpoints for tests, in the style of SQLite's own I/O-error tests: make the Nth call of a
// named place fail, then loop over N. Set by the environment, e.g.
//   CLEVERTIM_FAILPOINT=commit:3        the 3rd commit of clevertim-sync's own writes fails
//   CLEVERTIM_FAILPOINT=store:10        the 10th element written fails as if the disk were full
//   CLEVERTIM_FAILPOINT=command:1:bug  the command fails as a bug would (std::logic_error)
// Places: begin (just after the BEGIN IMMEDIATE of an own write), commit, store, rekey, and
// command (as a command starts, after its settings are read).
// Unset (always, in production): a relaxed load and a compare.
#pragma once

#include <stdexcept>
#include <string>

namespace clevertim::storage {

// What an armed failpoint throws: looks to callers like the database failing.
class InjectedFailure : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Throws InjectedFailure when `place` is armed and this is its Nth call (std::logic_error
// when the spec ends in `:bug`).
void failpoint(const char* place);

}  // namespace clevertim::storage
