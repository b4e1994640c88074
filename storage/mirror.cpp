#include "storage/mirror.h"

#include <sqlite3.h>

#include <SQLiteCpp/Statement.h>
#include <SQLiteCpp/Transaction.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/json.hpp>

#include <cerrno>
#include <cstring>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "model/resources.h"
#include "storage/bi_schema.h"
#include "storage/element_mapping.h"
#include "storage/element_table.h"
#include "storage/failpoint.h"
#include "storage/schema.h"
#include "storage/schema_tables.h"

namespace clevertim::storage {
namespace {

namespace fs = std::filesystem;

// Read-write and create, and the full mutex: the daemon may hand the connection between
// threads of its io_context (SQLiteCpp opens read-only unless told otherwise).
const int kOpenFlags = SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE | SQLite::OPEN_FULLMUTEX;

// SQLite counts the memory it holds unless told not to, and every malloc and free then takes a
// process-wide mutex: 6% of a first pull's CPU. Nothing here reads the count. Possible only
// before SQLite initializes (the first connection opened in the process); a later call is
// refused harmlessly, so a process that opened some other SQLite file first just keeps counting.
void stop_counting_sqlite_memory() {
  static const int once = sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
  (void)once;
}

void secure_file_mode(const fs::path& path, const OpenOptions& options) {
  mode_t mode = S_IRUSR | S_IWUSR;
  if (options.report_group) {
    if (chown(path.c_str(), static_cast<uid_t>(-1), *options.report_group) != 0)
      throw MirrorError("cannot give " + path.string() + " to the report group: " +
                        std::strerror(errno) + "; check storage.report_group");
    mode |= S_IRGRP;
  }
  if (chmod(path.c_str(), mode) != 0)
    throw MirrorError("cannot set the mode of " + path.string() + ": " + std::strerror(errno));
}

// A file's identity: what tells "the same file" from "another file at the same path".
std::optional<FileId> file_id(const std::string& file) {
  struct stat st {};
  if (stat(file.c_str(), &st) != 0) return std::nullopt;
  return FileId{st.st_dev, st.st_ino};
}

// A reader of a WAL mirror needs its -wal and -shm files: SQLite creates them when the first
// connection opens and deletes them when the last one closes. A report reader who may read the
// mirror (storage.report_group) but not write its folder could then not open it at all while
// the daemon was stopped ("attempt to write a readonly database", even with mode=ro). So they
// are kept after close (SQLITE_FCNTL_PERSIST_WAL; SQLite reads them read-only since 3.22), with
// the mirror's own mode and group. Best effort: a failure here only costs those readers.
// `had_wal`, `had_shm`: whether they existed before this open.
void keep_wal_files_for_readers(SQLite::Database& db, const fs::path& path, bool had_wal,
                                bool had_shm) {
  int persist = 1;
  sqlite3_file_control(db.getHandle(), "main", SQLITE_FCNTL_PERSIST_WAL, &persist);
  db.execAndGet("SELECT count(*) FROM sqlite_schema");  // makes sure -wal and -shm exist
  struct stat st {};
  if (stat(path.c_str(), &st) != 0) return;
  // Only companions made now are given the mirror's group and mode (never more than owner
  // read-write and group read); existing ones are left to the checks of check_file_modes.
  for (const auto& [suffix, existed] : {std::pair{"-wal", had_wal}, std::pair{"-shm", had_shm}}) {
    if (existed) continue;
    const std::string companion = path.string() + suffix;
    struct stat cst {};
    if (stat(companion.c_str(), &cst) != 0) continue;
    if (cst.st_gid != st.st_gid && chown(companion.c_str(), static_cast<uid_t>(-1), st.st_gid) != 0)
      spdlog::warn("cannot give {} the mirror's group: {}", companion, std::strerror(errno));
    const mode_t mode = st.st_mode & (S_IRUSR | S_IWUSR | S_IRGRP);
    if ((cst.st_mode & 07777) != mode && chmod(companion.c_str(), mode) != 0)
      spdlog::warn("cannot give {} the mirror's mode: {}", companion, std::strerror(errno));
  }
}

int read_user_version(SQLite::Database& db) {
  return db.execAndGet("PRAGMA user_version").getInt();
}

// The name a "CREATE TRIGGER name ..." or "CREATE VIEW name ..." statement gives.
std::string created_name(const std::string& statement) {
  std::istringstream words(statement);
  std::string create, kind, name;
  words >> create >> kind >> name;
  if (name.size() >= 2 && name.front() == '"' && name.back() == '"')
    name = name.substr(1, name.size() - 2);
  return name;
}

// Drops the triggers and views this project made, to make them anew: a migration used to drop
// every trigger and view in the file, those a user added too (the README invites it). Ours are
// those the current schema creates, and any trigger of an older schema (all of them consult
// sync_control, which a user's trigger has no reason to).
void drop_own_triggers_and_views(SQLite::Database& db) {
  std::set<std::string> own;
  for (const std::string& sql : trigger_and_view_statements()) own.insert(created_name(sql));
  std::vector<std::pair<std::string, std::string>> objects;
  SQLite::Statement q(db,
                      "SELECT type, name, instr(coalesce(sql, ''), 'sync_control') > 0 FROM "
                      "sqlite_schema WHERE type IN ('trigger', 'view')");
  while (q.executeStep()) {
    const std::string type = q.getColumn(0).getString(), name = q.getColumn(1).getString();
    if (own.contains(name) || (type == "trigger" && q.getColumn(2).getInt() != 0))
      objects.emplace_back(type, name);
  }
  for (const auto& [type, name] : objects)
    db.exec("DROP " + std::string(type == "view" ? "VIEW" : "TRIGGER") + " IF EXISTS " +
            sql_identifier(name));
}

// Schema evolution for fields: a field added to model/ after a mirror was made is added to its
// table (ALTER TABLE ADD COLUMN, additive, nothing renamed) and filled from each row's raw, which
// always held it. The triggers and views, which name the columns, are made again. Runs at every
// open of a current-version mirror: a field needs no schema version of its own.
void add_new_fields(SQLite::Database& db, const fs::path& path) {
  std::vector<std::pair<const model::Resource*, std::vector<std::size_t>>> missing;
  for (const model::Resource& r : model::all_resources()) {
    std::set<std::string> columns;
    SQLite::Statement info(db, "SELECT name FROM pragma_table_info(?)");
    info.bind(1, std::string(r.table));
    while (info.executeStep()) columns.insert(info.getColumn(0).getString());
    std::vector<std::size_t> fields;
    for (std::size_t i = 0; i < r.fields.size(); ++i)
      if (!columns.contains(std::string(r.fields[i].column))) fields.push_back(i);
    if (!fields.empty()) missing.emplace_back(&r, std::move(fields));
  }
  if (missing.empty()) return;  // the usual case: one cheap read per table, no write
  SQLite::Transaction tx(db, SQLite::TransactionBehavior::IMMEDIATE);
  drop_own_triggers_and_views(db);  // so that filling the columns is not captured as an edit
  for (const auto& [r, fields] : missing) {
    const std::string table = sql_identifier(r->table);
    std::string sets;
    for (std::size_t i : fields) {
      db.exec("ALTER TABLE " + table + " ADD COLUMN " + sql_identifier(r->fields[i].column) +
              std::string(column_type(r->fields[i].type)));
      sets += (sets.empty() ? "" : ", ") + sql_identifier(r->fields[i].column) + " = ?";
      spdlog::info("mirror {}: new field {}.{} added, filled from raw", path.string(), r->table,
                   r->fields[i].column);
    }
    SQLite::Statement read(db, "SELECT id, raw FROM " + table + " WHERE raw IS NOT NULL");
    SQLite::Statement write(db, "UPDATE " + table + " SET " + sets + " WHERE id = ?");
    while (read.executeStep()) {
      boost::json::error_code ec;
      const boost::json::value element = boost::json::parse(read.getColumn(1).getString(), ec);
      if (ec || !element.is_object()) continue;
      const std::vector<Cell> cells = cells_of(*r, element.get_object());
      write.reset();
      int index = 1;
      for (std::size_t i : fields) bind_cell(write, index++, cells[i]);
      write.bind(index, read.getColumn(0).getInt64());
      write.exec();
    }
  }
  for (const std::string& sql : trigger_and_view_statements()) db.exec(sql);
  const int schema_cookie = db.execAndGet("PRAGMA schema_version").getInt();
  db.exec("PRAGMA schema_version = " + std::to_string(schema_cookie + 1));
  tx.commit();
}

// The schema version whose raw_hash() differs from the one before (FNV-1a until version 6).
constexpr int kFasterHashVersion = 7;

// Every row's raw_hash, from its raw, with today's raw_hash(): a hash of the old function would
// make every element look changed at the next pull, each with a history entry.
void hash_every_row_again(SQLite::Database& db) {
  for (const model::Resource& r : model::all_resources()) {
    const std::string table = sql_identifier(r.table);
    SQLite::Statement read(db, "SELECT id, raw FROM " + table + " WHERE raw IS NOT NULL");
    SQLite::Statement write(db, "UPDATE " + table + " SET raw_hash = ? WHERE id = ?");
    while (read.executeStep()) {
      write.reset();
      write.bind(1, raw_hash(read.getColumn(1).getString()));
      write.bind(2, read.getColumn(0).getInt64());
      write.exec();
    }
  }
}

void migrate(SQLite::Database& db, const fs::path& path, int target) {
  SQLite::Transaction tx(db, SQLite::TransactionBehavior::IMMEDIATE);
  const int from = read_user_version(db);  // re-read under the write lock
  if (from >= target) return;
  for (int version = from + 1; version <= target; ++version) {
    for (const std::string& sql : migration_statements(version)) db.exec(sql);
  }
  drop_own_triggers_and_views(db);
  if (from > 0 && from < kFasterHashVersion && target >= kFasterHashVersion)
    hash_every_row_again(db);
  add_bi_declarations(db);  // before the views that name its columns
  for (const std::string& sql : trigger_and_view_statements()) db.exec(sql);
  // A migration may edit table definitions in place (see version 3): a new schema version makes
  // every connection, this one included, read the definitions again.
  const int schema_cookie = db.execAndGet("PRAGMA schema_version").getInt();
  db.exec("PRAGMA schema_version = " + std::to_string(schema_cookie + 1));
  db.exec("PRAGMA user_version = " + std::to_string(target));
  tx.commit();
  if (from > 0)
    spdlog::info("mirror {}: schema migrated from version {} to {}", path.string(), from, target);
}

}  // namespace

void check_file_modes(const fs::path& path, const OpenOptions& options) {
  const std::string db = path.string();
  // What storage.report_group asks for (group may read) is the mode to come back to.
  const char* fix = options.report_group ? "640" : "600";
  for (const std::string& file : {db, db + "-wal", db + "-shm"}) {
    struct stat st {};
    if (stat(file.c_str(), &st) != 0) continue;  // not there: whatever creates it is checked
    if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
      // Like the token file: whoever can write the mirror can have clevertim-sync send changes
      // to the CRM with this account's token.
      const std::string why = "the mirror file " + file +
                              " can be written by group or others, who could then change the "
                              "CRM with this account's token; fix it with: chmod " +
                              fix + " " + file;
      if (options.too_open == TooOpen::kRefuse) throw MirrorError(why);
      spdlog::warn("{} (read anyway: this command only reads)", why);
    }
    if ((st.st_mode & S_IROTH) != 0)
      spdlog::warn(
          "the mirror file {} is readable by others: it holds the whole CRM account; fix it "
          "with: chmod {} {} (storage.report_group gives report readers a group of their own)",
          file, fix, file);
    else if ((st.st_mode & S_IRGRP) != 0 && !options.report_group)
      spdlog::warn(
          "the mirror file {} is readable by its group, but storage.report_group is not set; "
          "set it to that group, or fix the mode with: chmod 600 {}",
          file, file);
  }
  const fs::path folder = path.has_parent_path() ? path.parent_path() : fs::path(".");
  struct stat st {};
  if (stat(folder.c_str(), &st) == 0 && (st.st_mode & (S_IWGRP | S_IWOTH)) != 0)
    spdlog::warn(
        "the folder {} of the mirror can be written by group or others: they could replace the "
        "mirror or put their own {}-wal beside it; fix it with: chmod go-w {}, or move the mirror "
        "(storage.database) to a folder only its owner writes",
        folder.string(), path.filename().string(), folder.string());
}

Mirror::Mirror(fs::path path, std::unique_ptr<SQLite::Database> db, bool created)
    : path_(std::move(path)), db_(std::move(db)), created_(created) {}

Mirror Mirror::open(const fs::path& path, const OpenOptions& options) {
  const int target = options.target_version < 0 ? kSchemaVersion : options.target_version;
  std::error_code ec;
  const bool existed = fs::exists(path, ec);
  check_file_modes(path, options);
  if (!existed && path.has_parent_path() && !fs::exists(path.parent_path(), ec))
    throw MirrorError("cannot create the mirror " + path.string() + ": the folder " +
                      path.parent_path().string() +
                      " does not exist; create it or set storage.database to another path");
  if (!existed || fs::file_size(path, ec) == 0) {
    // Companions kept for readers (see keep_wal_files_for_readers) outlive a mirror deleted
    // (or emptied) by hand: a new file must not take a deleted one's WAL as its own.
    for (const char* suffix : {"-wal", "-shm"})
      if (fs::remove(path.string() + suffix, ec))
        spdlog::warn("removed {}{}, left by a mirror that no longer exists", path.string(), suffix);
  }
  stop_counting_sqlite_memory();
  const bool had_wal = fs::exists(path.string() + "-wal", ec);
  const bool had_shm = fs::exists(path.string() + "-shm", ec);
  std::unique_ptr<SQLite::Database> db;
  try {
    // Files are created owner-only; the mode is then set exactly (report group or not).
    const mode_t old_mask = umask(077);
    db = std::make_unique<SQLite::Database>(path, kOpenFlags, options.busy_timeout_ms);
    umask(old_mask);
    // The busy timeout must be in place before switching to WAL (PITFALLS.md).
    db->setBusyTimeout(options.busy_timeout_ms);
    const std::string mode = db->execAndGet("PRAGMA journal_mode = WAL").getString();
    if (mode != "wal")
      throw MirrorError("cannot put " + path.string() + " in WAL mode (got '" + mode +
                        "'); the mirror needs a local file system that supports it");
    db->exec("PRAGMA synchronous = NORMAL");
    // The -wal is kept for report readers (keep_wal_files_for_readers), and SQLite then leaves
    // it at the largest size it ever reached: half the file after a first sync (75 MB for
    // 250k elements). With a limit, the last connection to close truncates it to nothing, and a
    // log that restarts is cut back to the limit, which the daemon's own commits stay far below.
    db->exec("PRAGMA journal_size_limit = 67108864");
    // The daemon's own temporary tables are small (re-keying a row opens one per new id); in
    // a file each costs an open, an unlink and a close.
    db->exec("PRAGMA temp_store = MEMORY");
    const int version = read_user_version(*db);
    if (version > kSchemaVersion)
      throw MirrorError("the mirror " + path.string() + " has schema version " +
                        std::to_string(version) + " but this clevertim-sync knows only up to " +
                        std::to_string(kSchemaVersion) +
                        ": it was written by a newer release; upgrade clevertim-sync, or set "
                        "storage.database to another file");
    if (version < target) migrate(*db, path, target);
    if (target == kSchemaVersion) add_new_fields(*db, path);
  } catch (const SQLite::Exception& e) {
    throw MirrorError("cannot open the mirror " + path.string() + ": " + e.what() +
                      "; check that it is an SQLite file and that the folder is writable");
  }
  if (!existed) secure_file_mode(path, options);
  keep_wal_files_for_readers(*db, path, had_wal, had_shm);
  Mirror mirror(path, std::move(db), !existed);
  // What this connection has open, to notice later that the path names another file (or none).
  mirror.file_ = file_id(path.string());
  mirror.wal_ = file_id(path.string() + "-wal");
  return mirror;
}

std::optional<std::string> Mirror::replaced_on_disk() {
  const std::string db = path_.string();
  const std::string wal = db + "-wal";
  // The -wal may appear after the open (SQLite creates it with the first write); once there,
  // it stays while this connection is open (SQLite deletes it only when the last one closes).
  if (!wal_) wal_ = file_id(wal);
  std::string gone;
  if (file_id(db) != file_)
    gone = db;
  else if (wal_ && file_id(wal) != wal_)
    gone = wal;
  if (gone.empty()) return std::nullopt;
  return gone +
         " was deleted or replaced while clevertim-sync had the mirror open: what it "
         "writes now goes to a file nobody else can see, and would be lost. Stopped. Either "
         "restore the mirror from a backup (clevertim-sync backup) to " +
         db + " and start again, or remove " + db + ", " + db + "-wal and " + db +
         "-shm and start again for a fresh full pull";
}

int Mirror::schema_version() {
  return read_user_version(*db_);
}

namespace {

// Turns this connection's triggers on (1), off (0), or leaves them (-1): SQLite's
// SQLITE_DBCONFIG_ENABLE_TRIGGER. Only this connection is affected: every other client's
// writes still fire them. Returns SQLite's result code; `on` says whether they are on after.
int configure_triggers(SQLite::Database& db, int on_off_or_query, bool& on) {
  int now = 0;
  const int rc =
      sqlite3_db_config(db.getHandle(), SQLITE_DBCONFIG_ENABLE_TRIGGER, on_off_or_query, &now);
  on = now != 0;
  return rc;
}

}  // namespace

OwnWriteTransaction::OwnWriteTransaction(SQLite::Database& db) : db_(db) {
  db_.exec("BEGIN IMMEDIATE");
  // From here on a transaction is open, and no destructor runs for a constructor that throws:
  // whatever fails (the UPDATE below on a locked or damaged sync_control, the trigger switch,
  // an injected failure) must roll back here, or the connection stays inside the transaction
  // and every later BEGIN on it fails ("cannot start a transaction within a transaction").
  try {
    failpoint("begin");
    db_.exec("UPDATE sync_control SET applying = 1");
    // Every capture and guard trigger is a no-op while `applying` is 1, but SQLite still runs a
    // trigger program per row to find that out: switched off, a 250k-element first pull takes a
    // second less.
    bool off = false;
    if (configure_triggers(db_, -1, triggers_were_on_) != SQLITE_OK ||
        (triggers_were_on_ && configure_triggers(db_, 0, off) != SQLITE_OK))
      throw MirrorError("cannot switch the mirror's triggers off for clevertim-sync's own write: " +
                        std::string(db_.getErrorMsg()));
  } catch (...) {
    abandon();
    throw;
  }
}

void OwnWriteTransaction::abandon() noexcept {
  open_ = false;
  // A failed rollback (the connection itself broken) leaves SQLite to roll back on close.
  if (!sqlite3_get_autocommit(db_.getHandle()) && db_.tryExec("ROLLBACK") != 0)
    spdlog::error("mirror: rolling back a transaction failed: {}", db_.getErrorMsg());
  restore_triggers();
}

OwnWriteTransaction::~OwnWriteTransaction() {
  if (open_) abandon();
}

void OwnWriteTransaction::commit() {
  failpoint("commit");
  // Reset before COMMIT, so no other connection ever sees `applying` set.
  db_.exec("UPDATE sync_control SET applying = 0");
  db_.exec("COMMIT");
  open_ = false;
  restore_triggers();
}

void OwnWriteTransaction::restore_triggers() noexcept {
  if (!triggers_were_on_) return;
  bool on = false;
  if (configure_triggers(db_, 1, on) != SQLITE_OK)
    spdlog::error("mirror: switching triggers back on failed: {}", db_.getErrorMsg());
  triggers_were_on_ = false;
}

}  // namespace clevertim::storage
