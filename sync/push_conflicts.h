// Conflicts, the push's third phase beside planning and sending: a field changed here and in
// the CRM (or an edit against a deletion) is decided by the policy and recorded in
// `conflicts` (storage/conflict_log.h), or left for a person, whose choice is settled here.
// The run's side of it (recording, settling) is PushRun's, in push_conflicts.cpp; what a
// choice makes of a row is this pure function.
#pragma once

#include <vector>

#include "model/resources.h"
#include "storage/element_mapping.h"

namespace clevertim::sync {

// The row a person's choice makes: the CRM's version (`theirs`), with the local value kept
// for the fields changed only here, and for the conflicting ones too when `keep_local`.
std::vector<storage::Cell> settled_cells(const model::Resource& r,
                                         const std::vector<storage::Cell>& base,
                                         const std::vector<storage::Cell>& local,
                                         const std::vector<storage::Cell>& theirs, bool keep_local);

}  // namespace clevertim::sync
