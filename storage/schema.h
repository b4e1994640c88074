// The mirror's schema, generated from model/, and its versions.
//
// The public part (tables, columns, views) is the contract of docs/MIRROR.md. It is made of:
//   storage/schema_tables.h    the tables and their columns, as version 1 made them
//   storage/schema_triggers.h  the triggers that refuse bad local writes and capture the rest
//   storage/schema_views.h     the mirror's own views (arrays, custom values, summaries)
//   storage/bi_schema.h        what reporting tools read (relations, lookups, report_ views)
// This header puts them together: the statements of each schema version, and the triggers and
// views made anew by every migration.
//
// Triggers capture writes made by other processes into `outbox`; the daemon's own writes run
// with `sync_control.applying = 1` (set and reset inside its own transaction, so no other
// connection ever sees it set) and are not captured.
#pragma once

#include <string>
#include <vector>

// Many callers build queries with sql_identifier() from here.
#include "storage/sql_quote.h"

namespace clevertim::storage {

// The schema version this build writes; stored in PRAGMA user_version.
inline constexpr int kSchemaVersion = 7;

// Statements that bring a mirror from version `to_version - 1` to `to_version` (1 creates the
// tables in an empty file). Triggers and views are not part of them: see below.
std::vector<std::string> migration_statements(int to_version);

// Statements that (re)create every trigger and view from the model. They are dropped and
// recreated on each migration and when a field is added (mirror.cpp), so a model change
// reaches an existing mirror.
std::vector<std::string> trigger_and_view_statements();

}  // namespace clevertim::storage
