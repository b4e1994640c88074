// The mirror's tables as schema version 1 made them: one table per resource, its columns derived
// from the model's fields, and the internal bookkeeping tables (sync_control, outbox, history,
// conflicts, sync_runs, sync_meta). Later versions add to them (storage/schema.cpp); a field
// added to the model reaches an existing table by ALTER TABLE ADD COLUMN (storage/mirror.cpp),
// with the type column_type() gives.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace clevertim::model {
struct Resource;
enum class FieldType;
}  // namespace clevertim::model

namespace clevertim::storage {

// A field's column type, with its leading space (" INTEGER", " TEXT", or "" for none).
std::string_view column_type(model::FieldType type);

// The CREATE TABLE statement of one resource's table: `id`, one column per field (with its
// REFERENCES clause, storage/bi_schema.h), then sync_state, sync_error, raw and raw_hash.
std::string create_table_statement(const model::Resource& resource);

// Schema version 1, in an empty file: the internal tables, then each resource's table with an
// index of its unsynced rows and one per reference column.
std::vector<std::string> version1_statements();

}  // namespace clevertim::storage
