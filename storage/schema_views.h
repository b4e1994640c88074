// The mirror's own views, derived from the model and read only (docs/MIRROR.md): one view per
// JSON array field that has one (e.g. contact_emails: one row per element), custom_values (every
// custom field value of every resource), pipeline and open_tasks. A malformed JSON value hides
// its rows from a view instead of failing it. The reporting views are in storage/bi_schema.h.
#pragma once

#include <string>
#include <vector>

namespace clevertim::model {
struct Resource;
}  // namespace clevertim::model

namespace clevertim::storage {

// The CREATE VIEW statements of one resource's array fields (none when it has none).
std::vector<std::string> array_view_statements(const model::Resource& resource);

// custom_values, pipeline and open_tasks.
std::vector<std::string> summary_view_statements();

}  // namespace clevertim::storage
