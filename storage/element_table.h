// One resource's table, as clevertim-sync itself reads and writes it.
//
// Every write here is the daemon's own: call it inside an OwnWriteTransaction so the change
// is not captured as a local edit.
#pragma once

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>

#include <boost/json/fwd.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "storage/element_mapping.h"
#include "storage/stored_rows.h"
#include "storage/sync_state.h"

namespace clevertim::model {
struct Resource;
}

namespace clevertim::storage {

// A row as stored: its cells (one per field, model order), base and state.
struct StoredRow {
  std::int64_t id = 0;
  std::vector<Cell> cells;
  std::optional<std::string> raw;  // the last synced version; none for rows never pushed
  SyncState state = SyncState::kSynced;
  std::optional<std::string> error;
};

class ElementTable {
 public:
  ElementTable(SQLite::Database& db, const model::Resource& resource);

  const model::Resource& resource() const { return resource_; }

  // Every row with a CRM id (positive), with its hash and state, read a page at a time as a
  // list in id order names them (see StoredRows).
  StoredRows stored_rows(std::size_t rows_per_page = StoredRows::kRowsPerPage);
  // The state of the row with this id, if there is one.
  std::optional<SyncState> state_of(std::int64_t id);

  // Rows deleted locally whose DELETE is not pushed yet: id -> hash of their last raw.
  std::unordered_map<std::int64_t, std::int64_t> load_local_deletions();

  // Writes the element as the CRM sent it: typed columns, raw, hash, sync_state = 'synced'.
  void store_synced(const MappedElement& element);

  // The state of every row with local changes (sync_state other than 'synced'; by the
  // partial index `<table>_unsynced`, so reading it costs what there is, not the table).
  std::vector<std::pair<std::int64_t, SyncState>> load_local_changes();

  // The row with this id, if any.
  std::optional<StoredRow> read(std::int64_t id);

  // Writes every column of an existing row: cells, raw (and its hash), state and error.
  void write(const StoredRow& row);

  // Sets only the state and error of a row.
  void set_state(std::int64_t id, SyncState state, const std::optional<std::string>& error);

  // Removes the row (the CRM deleted it, or a push replaced it).
  void remove(std::int64_t id);

  // Appends one version to `history` (operation: create, update, delete, push).
  void append_history(std::int64_t id, std::string_view operation, const std::string& raw);

  // The raw JSON of a row, if it exists.
  std::optional<std::string> raw_of(std::int64_t id);

  // Records the CRM's version of a row that has local changes (or its deletion).
  void record_remote_version(std::int64_t id, const std::string* raw);

  std::int64_t count();
  // Whether any row has a CRM id (a table a pull has filled).
  bool holds_crm_elements();

  // The raw JSON of the newest row (highest id) whose element has every field of `fields`
  // with an equal value: how a create whose answer was lost is recognised after a pull.
  std::optional<std::string> find_matching(const boost::json::object& fields);

 private:
  SQLite::Database& db_;
  const model::Resource& resource_;
  // Each prepared on first use.
  std::optional<SQLite::Statement> upsert_, delete_, history_, remote_version_;
  std::optional<SQLite::Statement> read_, write_, set_state_, state_;
};

// Binds a cell to a statement parameter (1-based).
void bind_cell(SQLite::Statement& statement, int index, const Cell& cell);
// Reads a column as a cell.
Cell cell_from_column(const SQLite::Column& column);

}  // namespace clevertim::storage
