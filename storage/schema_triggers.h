// The triggers on one resource's table, derived from the model. They act only on writes of
// other processes (`sync_control.applying = 0`); the daemon's own writes are not seen.
//
// - users and groups (read-only resources): every INSERT, UPDATE and DELETE is refused.
// - guard_insert / guard_update (BEFORE): refuse at once, with a message naming the column and
//   the fix, a write that could never reach the CRM or would go wrong later: a read-only or
//   internal column, a value of the wrong type or outside the allowed values, a reference to no
//   row, a positive id in an INSERT, a changed id.
// - capture_insert / capture_update / capture_delete (AFTER): mark the row `pending` and queue
//   the change in `outbox`. A new row gets a negative local id from one counter for the whole
//   file; a negative id the writer chose must be new to the whole file.
// - guard_delete (BEFORE, only on tables other tables reference): a new row that other rows
//   reference cannot be deleted.
#pragma once

#include <string>
#include <vector>

namespace clevertim::model {
struct Resource;
}  // namespace clevertim::model

namespace clevertim::storage {

// The CREATE TRIGGER statements of one resource's table, in the order they are made.
std::vector<std::string> trigger_statements(const model::Resource& resource);

}  // namespace clevertim::storage
