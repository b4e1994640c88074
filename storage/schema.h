// The mirror's schema, generated from model/.
//
// The public part (tables, columns, views) is the contract of docs/MIRROR.md.
// Triggers capture writes made by other processes into `outbox`; the daemon's own writes run
// with `sync_control.applying = 1` (set and reset inside its own transaction, so no other
// connection ever sees it set) and are not captured.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace clevertim::model {
struct Resource;
enum class FieldType;
}  // namespace clevertim::model

namespace clevertim::storage {

// The schema version this build writes; stored in PRAGMA user_version.
inline constexpr int kSchemaVersion = 6;

// Statements that bring a mirror from version `to_version - 1` to `to_version` (1 creates the
// tables in an empty file). Triggers and views are not part of them: see below.
std::vector<std::string> migration_statements(int to_version);

// Statements that (re)create every trigger and view from the model. They are dropped and
// recreated on each migration and when a field is added (mirror.cpp), so a model change
// reaches an existing mirror.
std::vector<std::string> trigger_and_view_statements();

// A field's column type, with its leading space (" INTEGER", " TEXT", or "" for none).
std::string_view column_type(model::FieldType type);

// The CREATE TABLE statement of one resource's table.
std::string create_table_statement(const model::Resource& resource);

// SQL string literal for a message built from model names (never from data).
std::string sql_literal(std::string_view text);

// Double-quoted identifier ("end" and "groups" are SQL keywords).
std::string sql_identifier(std::string_view name);

}  // namespace clevertim::storage
