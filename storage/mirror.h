// The mirror: one SQLite file holding a copy of the CRM account that people read and write.
//
// Opening a mirror creates it when missing, migrates an older schema forward, and refuses a
// file written by a newer clevertim-sync. See docs/MIRROR.md for the contract.
#pragma once

#include <SQLiteCpp/Database.h>

#include <sys/types.h>
#include <filesystem>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>

namespace clevertim::storage {

// Anything that keeps the mirror from being opened or used; the message says what to do.
class MirrorError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// What to do with a mirror (or its -wal / -shm) that group or others can write.
enum class TooOpen {
  kRefuse,  // commands that write, and the daemon: MirrorError with the chmod that fixes it
  kWarn,    // commands that only read (status, conflicts, verify, backup, export): a warning
};

struct OpenOptions {
  // Readers and outside writers wait this long for a lock before SQLITE_BUSY.
  int busy_timeout_ms = 5000;
  // When set, the file is made 0640 with this group (report readers); else 0600.
  std::optional<gid_t> report_group;
  // Migrate the schema only up to this version (tests build older mirrors with it).
  int target_version = -1;
  TooOpen too_open = TooOpen::kRefuse;
};

// Which file a path names: device and inode.
struct FileId {
  dev_t device = 0;
  ino_t inode = 0;
  bool operator==(const FileId&) const = default;
};

// Refuses (MirrorError, with the chmod that fixes it) a mirror, -wal or -shm that group or
// others can write, or only warns with TooOpen::kWarn; warns about one readable by others (or by
// its group without storage.report_group) and about a folder group or others can write.
void check_file_modes(const std::filesystem::path& path, const OpenOptions& options);

class Mirror {
 public:
  // Opens (creating if needed) and migrates the mirror at `path`. Throws MirrorError.
  static Mirror open(const std::filesystem::path& path, const OpenOptions& options = {});

  SQLite::Database& db() { return *db_; }
  const std::filesystem::path& path() const { return path_; }
  int schema_version();
  // True when this open created the file: a new mirror starts with a full pull.
  bool created() const { return created_; }
  // Empty while path() and its -wal still name the files this connection opened; else a
  // message naming what was deleted or replaced and what to do. Nobody is told when a mirror
  // is deleted under a running daemon: it would go on syncing a file no one can see.
  std::optional<std::string> replaced_on_disk();

 private:
  Mirror(std::filesystem::path path, std::unique_ptr<SQLite::Database> db, bool created);
  std::filesystem::path path_;
  std::unique_ptr<SQLite::Database> db_;
  bool created_ = false;
  std::optional<FileId> file_;
  std::optional<FileId> wal_;
};

// A write transaction made by clevertim-sync itself (applying pulled elements, recording push
// results). Triggers do not capture it as a local edit: this connection's triggers are off until it
// ends (and `sync_control.applying`, which every trigger of ours checks, is 1 inside it) (so a
// trigger a user added to a mirror table sees the writes of SQL clients, not those of
// clevertim-sync). Starts with BEGIN IMMEDIATE so it never fails half-way with SQLITE_BUSY; rolls
// back in the destructor unless committed, and in the constructor when any step after BEGIN
// throws (the connection is never left inside a transaction). A failed commit() is rolled back
// by the destructor too.
class OwnWriteTransaction {
 public:
  explicit OwnWriteTransaction(SQLite::Database& db);
  ~OwnWriteTransaction();
  OwnWriteTransaction(const OwnWriteTransaction&) = delete;
  OwnWriteTransaction& operator=(const OwnWriteTransaction&) = delete;

  void commit();

 private:
  void restore_triggers() noexcept;
  // Rolls back whatever is open and switches triggers back on; never throws.
  void abandon() noexcept;

  SQLite::Database& db_;
  bool open_ = true;
  bool triggers_were_on_ = false;
};

}  // namespace clevertim::storage
