#include "storage/element_table.h"

#include <cstdint>
#include <initializer_list>
#include <memory>

#include <sqlite3.h>
#include <boost/json.hpp>

#include "model/resources.h"
#include "storage/clock.h"
#include "storage/failpoint.h"
#include "storage/schema.h"
#include "storage/sql_quote.h"

namespace clevertim::storage {
namespace {

std::string upsert_sql(const model::Resource& r) {
  std::string columns = "id", params = "?", updates;
  for (const model::Field& f : r.fields) {
    const std::string col = sql_identifier(f.column);
    columns += ", " + col;
    params += ", ?";
    updates += col + " = excluded." + col + ", ";
  }
  return "INSERT INTO " + sql_identifier(r.table) + " (" + columns +
         ", sync_state, sync_error, raw, raw_hash) VALUES (" + params +
         ", 'synced', NULL, ?, ?) ON CONFLICT (id) DO UPDATE SET " + updates +
         "sync_state = 'synced', sync_error = NULL, raw = excluded.raw, raw_hash = "
         "excluded.raw_hash";
}

// The connection's mutex, held while it lives. SQLite takes it in every call on a connection
// shared by threads (opened serialized): held around a row's many calls, each of them is a
// recursive re-entry, without an atomic operation. Short: other threads wait meanwhile.
class ConnectionHold {
 public:
  explicit ConnectionHold(SQLite::Database& db) : mutex_(sqlite3_db_mutex(db.getHandle())) {
    sqlite3_mutex_enter(mutex_);  // no-op on a connection without a mutex
  }
  ~ConnectionHold() { sqlite3_mutex_leave(mutex_); }
  ConnectionHold(const ConnectionHold&) = delete;
  ConnectionHold& operator=(const ConnectionHold&) = delete;

 private:
  sqlite3_mutex* mutex_;
};

// Appends the rows `sql` reads (id, raw_hash, sync_state), its parameters bound in order. Rows
// not yet created in the CRM (id <= 0) are left out.
// SQLite's own calls, the connection held throughout: SQLiteCpp's getColumn() costs an atomic
// reference count and each call the connection's mutex, three times a row, on a connection
// the other parsing thread reads its table's rows from meanwhile.
void read_digests(SQLite::Database& db, const std::string& sql,
                  std::initializer_list<std::int64_t> params, std::vector<StoredRows::Row>& rows) {
  const ConnectionHold hold(db);
  sqlite3_stmt* prepared = nullptr;
  if (const int status = sqlite3_prepare_v2(db.getHandle(), sql.c_str(), -1, &prepared, nullptr);
      status != SQLITE_OK)
    throw SQLite::Exception(db.getHandle(), status);
  const std::unique_ptr<sqlite3_stmt, int (*)(sqlite3_stmt*)> statement(prepared, sqlite3_finalize);
  sqlite3_stmt* const rows_read = statement.get();
  int index = 1;
  for (const std::int64_t param : params) sqlite3_bind_int64(rows_read, index++, param);
  int status = SQLITE_ROW;
  while ((status = sqlite3_step(rows_read)) == SQLITE_ROW) {
    const std::int64_t id = sqlite3_column_int64(rows_read, 0);
    if (id <= 0) continue;
    const auto* state = reinterpret_cast<const char*>(sqlite3_column_text(rows_read, 2));
    rows.push_back(
        {id, sqlite3_column_int64(rows_read, 1), parse_sync_state(state == nullptr ? "" : state)});
  }
  if (status != SQLITE_DONE) throw SQLite::Exception(db.getHandle(), status);
}

}  // namespace

void bind_cell(SQLite::Statement& statement, int index, const Cell& cell) {
  if (const auto* i = std::get_if<std::int64_t>(&cell))
    statement.bind(index, *i);
  else if (const auto* d = std::get_if<double>(&cell))
    statement.bind(index, *d);
  else if (const auto* s = std::get_if<std::string>(&cell))
    statement.bind(index, *s);
  else
    statement.bind(index);
}

Cell cell_from_column(const SQLite::Column& column) {
  if (column.isNull()) return {};
  if (column.isInteger()) return column.getInt64();
  if (column.isFloat()) return column.getDouble();
  return column.getString();
}

// Statements are prepared at their first use: a write's statement compiles the table's triggers,
// milliseconds each, and most tables of a re-sync are only read.
ElementTable::ElementTable(SQLite::Database& db, const model::Resource& resource)
    : db_(db), resource_(resource) {}

// The rows are read by the digest index, named: for a range of ids SQLite would otherwise walk
// the table's own B-tree (id is its rowid), whose rows hold the raw JSON (a re-sync of 250k
// elements read 150 MB). A mirror made before schema version 3 has no such index: verify reads
// one as it is, without migrating it, and the table itself is read then.
// The readers made here outlive this object: they hold the connection and their statements' SQL.
StoredRows ElementTable::stored_rows(std::size_t rows_per_page) {
  const std::string table = sql_identifier(resource_.table);
  const std::string index = std::string(resource_.table) + "_digest";
  const bool indexed = db_.execAndGet(
                              "SELECT count(*) FROM sqlite_schema WHERE type = 'index' "
                              "AND name = " +
                              sql_literal(index))
                           .getInt() > 0;
  const std::string columns = "SELECT id, raw_hash, sync_state FROM " + table;
  std::string page_sql = columns + (indexed ? " INDEXED BY " + sql_identifier(index) : "") +
                         " WHERE id > ? ORDER BY id LIMIT ?";
  std::string row_sql = columns + " WHERE id = ?";
  SQLite::Database& db = db_;
  return StoredRows(
      [&db, sql = std::move(page_sql)](std::int64_t after, std::size_t limit) {
        std::vector<StoredRows::Row> rows;
        rows.reserve(limit);
        read_digests(db, sql, {after, static_cast<std::int64_t>(limit)}, rows);
        return rows;
      },
      [&db, sql = std::move(row_sql)](std::int64_t id) -> std::optional<StoredRows::Row> {
        std::vector<StoredRows::Row> rows;
        read_digests(db, sql, {id}, rows);
        if (rows.empty()) return std::nullopt;
        return rows.front();
      },
      rows_per_page);
}

std::optional<SyncState> ElementTable::state_of(std::int64_t id) {
  if (!state_)
    state_.emplace(db_,
                   "SELECT sync_state FROM " + sql_identifier(resource_.table) + " WHERE id = ?");
  SQLite::Statement& q = *state_;
  q.reset();
  q.bind(1, id);
  if (!q.executeStep()) return std::nullopt;
  const SyncState state = parse_sync_state(q.getColumn(0).getText());
  q.reset();
  return state;
}

std::vector<std::pair<std::int64_t, SyncState>> ElementTable::load_local_changes() {
  std::vector<std::pair<std::int64_t, SyncState>> out;
  SQLite::Statement q(db_, "SELECT id, sync_state FROM " + sql_identifier(resource_.table) +
                               " WHERE sync_state <> 'synced'");
  while (q.executeStep())
    out.emplace_back(q.getColumn(0).getInt64(), parse_sync_state(q.getColumn(1).getText()));
  return out;
}

std::unordered_map<std::int64_t, std::int64_t> ElementTable::load_local_deletions() {
  std::unordered_map<std::int64_t, std::int64_t> deleted;
  SQLite::Statement q(db_,
                      "SELECT record_id, old_raw FROM outbox WHERE resource = ? AND operation = "
                      "'delete' AND record_id > 0");
  q.bind(1, std::string(resource_.endpoint));
  while (q.executeStep())
    deleted[q.getColumn(0).getInt64()] =
        q.getColumn(1).isNull() ? 0 : raw_hash(q.getColumn(1).getString());
  return deleted;
}

void ElementTable::store_synced(const MappedElement& e) {
  failpoint("store");
  // A first sync makes a row's forty calls 250k times.
  if (!upsert_) upsert_.emplace(db_, upsert_sql(resource_));
  const ConnectionHold hold(db_);
  SQLite::Statement& upsert = *upsert_;
  upsert.reset();
  upsert.clearBindings();
  // Text is bound without a copy (a pull binds every element's raw JSON and text columns):
  // `e` outlives exec(), and the bindings are cleared before it returns.
  int index = 1;
  upsert.bind(index++, e.id);
  for (const Cell& cell : e.cells) {
    if (const auto* text = std::get_if<std::string>(&cell))
      upsert.bindNoCopy(index++, *text);
    else
      bind_cell(upsert, index++, cell);
  }
  upsert.bindNoCopy(index++, e.raw);
  upsert.bind(index++, e.raw_hash);
  upsert.exec();
  upsert.clearBindings();
}

std::optional<StoredRow> ElementTable::read(std::int64_t id) {
  if (!read_) {
    std::string columns;
    for (const model::Field& f : resource_.fields) columns += sql_identifier(f.column) + ", ";
    read_.emplace(db_, "SELECT " + columns + "raw, sync_state, sync_error FROM " +
                           sql_identifier(resource_.table) + " WHERE id = ?");
  }
  SQLite::Statement& q = *read_;
  q.reset();
  q.bind(1, id);
  if (!q.executeStep()) return std::nullopt;
  StoredRow row;
  row.id = id;
  const int n = static_cast<int>(resource_.fields.size());
  row.cells.reserve(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) row.cells.push_back(cell_from_column(q.getColumn(i)));
  if (!q.getColumn(n).isNull()) row.raw = q.getColumn(n).getString();
  row.state = parse_sync_state(q.getColumn(n + 1).getText());
  if (!q.getColumn(n + 2).isNull()) row.error = q.getColumn(n + 2).getString();
  // A statement left stepped keeps its read transaction open: on the push's connection that
  // snapshot outlived the request in flight, and the batch's BEGIN IMMEDIATE then failed with
  // SQLITE_BUSY_SNAPSHOT whenever another client had committed meanwhile.
  q.reset();
  return row;
}

void ElementTable::write(const StoredRow& row) {
  if (!write_) {
    std::string sets;
    for (const model::Field& f : resource_.fields) sets += sql_identifier(f.column) + " = ?, ";
    write_.emplace(db_, "UPDATE " + sql_identifier(resource_.table) + " SET " + sets +
                            "raw = ?, raw_hash = ?, sync_state = ?, sync_error = ? WHERE id = ?");
  }
  SQLite::Statement& q = *write_;
  q.reset();
  // Read-only columns are the CRM's and always those of the row's raw, whatever the caller
  // held: a row kept pending under a new base once kept the previous element's `lm`, `ao` and
  // `userId`, and became `synced` with columns its raw contradicts.
  std::vector<Cell> from_raw;
  if (row.raw) {
    boost::json::error_code ec;
    const boost::json::value base = boost::json::parse(*row.raw, ec);
    if (!ec && base.is_object()) from_raw = cells_of(resource_, base.get_object());
  }
  int index = 1;
  for (std::size_t i = 0; i < row.cells.size(); ++i)
    bind_cell(q, index++,
              !from_raw.empty() && !resource_.fields[i].writable() ? from_raw[i] : row.cells[i]);
  if (row.raw) {
    q.bind(index++, *row.raw);
    q.bind(index++, raw_hash(*row.raw));
  } else {
    q.bind(index++);
    q.bind(index++);
  }
  q.bind(index++, std::string(to_string(row.state)));
  if (row.error)
    q.bind(index++, *row.error);
  else
    q.bind(index++);
  q.bind(index, row.id);
  q.exec();
}

void ElementTable::set_state(std::int64_t id, SyncState state,
                             const std::optional<std::string>& error) {
  if (!set_state_)
    set_state_.emplace(db_, "UPDATE " + sql_identifier(resource_.table) +
                                " SET sync_state = ?, sync_error = ? WHERE id = ?");
  SQLite::Statement& q = *set_state_;
  q.reset();
  q.bind(1, std::string(to_string(state)));
  if (error)
    q.bind(2, *error);
  else
    q.bind(2);
  q.bind(3, id);
  q.exec();
}

void ElementTable::remove(std::int64_t id) {
  if (!delete_)
    delete_.emplace(db_, "DELETE FROM " + sql_identifier(resource_.table) + " WHERE id = ?");
  delete_->reset();
  delete_->bind(1, id);
  delete_->exec();
}

void ElementTable::append_history(std::int64_t id, std::string_view operation,
                                  const std::string& raw) {
  if (!history_)
    history_.emplace(
        db_, "INSERT INTO history (resource, id, seen_at, operation, raw) VALUES (?, ?, ?, ?, ?)");
  SQLite::Statement& history = *history_;
  history.reset();
  history.bind(1, std::string(resource_.endpoint));
  history.bind(2, id);
  history.bind(3, utc_now_iso());
  history.bind(4, std::string(operation));
  history.bind(5, raw);
  history.exec();
}

std::optional<std::string> ElementTable::raw_of(std::int64_t id) {
  SQLite::Statement q(db_, "SELECT raw FROM " + sql_identifier(resource_.table) + " WHERE id = ?");
  q.bind(1, id);
  if (!q.executeStep() || q.getColumn(0).isNull()) return std::nullopt;
  return q.getColumn(0).getString();
}

void ElementTable::record_remote_version(std::int64_t id, const std::string* raw) {
  if (!remote_version_)
    remote_version_.emplace(db_,
                            "INSERT INTO remote_versions (resource, id, raw, deleted, seen_at) "
                            "VALUES (?, ?, ?, ?, ?) ON CONFLICT (resource, id) DO UPDATE SET raw = "
                            "excluded.raw, deleted = excluded.deleted, seen_at = excluded.seen_at");
  SQLite::Statement& statement = *remote_version_;
  statement.reset();
  statement.bind(1, std::string(resource_.endpoint));
  statement.bind(2, id);
  if (raw)
    statement.bind(3, *raw);
  else
    statement.bind(3);
  statement.bind(4, raw ? 0 : 1);
  statement.bind(5, utc_now_iso());
  statement.exec();
}

bool ElementTable::holds_crm_elements() {
  return db_.execAndGet("SELECT EXISTS (SELECT 1 FROM " + sql_identifier(resource_.table) +
                        " WHERE id > 0)")
             .getInt() != 0;
}

std::int64_t ElementTable::count() {
  return db_.execAndGet("SELECT count(*) FROM " + sql_identifier(resource_.table)).getInt64();
}

}  // namespace clevertim::storage

namespace clevertim::storage {

std::optional<std::string> ElementTable::find_matching(const boost::json::object& fields) {
  SQLite::Statement q(db_, "SELECT raw FROM " + sql_identifier(resource_.table) +
                               " WHERE id > 0 AND raw IS NOT NULL ORDER BY id DESC");
  while (q.executeStep()) {
    std::string raw = q.getColumn(0).getString();
    boost::json::error_code ec;
    const boost::json::value v = boost::json::parse(raw, ec);
    if (ec || !v.is_object()) continue;
    bool same = true;
    for (const auto& kv : fields) {
      const boost::json::value* theirs = v.get_object().if_contains(kv.key());
      if (theirs == nullptr || *theirs != kv.value()) {
        same = false;
        break;
      }
    }
    if (same) return raw;
  }
  return std::nullopt;
}

}  // namespace clevertim::storage
