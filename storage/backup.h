// Backups of the mirror and exports of the account it holds.
//
// A backup is a consistent copy of the SQLite file, taken with SQLite's online backup API
// while the daemon keeps running, then checked with `PRAGMA integrity_check`. An export is the
// account in the API's own element format: one JSON file per resource plus a manifest,
// ordered by id so two exports diff cleanly.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "storage/mirror.h"

namespace clevertim::storage {

class BackupError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The target cannot be used as given (the mirror itself or one of its companion files, a
// folder, an existing file without `replace`, a name that contradicts the compression):
// nothing was written. The command line maps it to exit code 2.
class BackupTargetError : public BackupError {
 public:
  using BackupError::BackupError;
};

// Which of the mirror's own files `target` names (the mirror, its -wal, -shm, -journal or
// lock), compared as files whatever the spelling; std::nullopt when none. Writing there would
// replace the file from under the daemon and every reader.
std::optional<std::filesystem::path> mirror_file_named_by(const std::filesystem::path& database,
                                                          const std::filesystem::path& target);

struct BackupOptions {
  // gzip the copy. A name ending in `.gz` is compressed anyway; asking for compression of a
  // name that does not end so is refused (the name would lie about the content).
  bool compress = false;
  bool replace = false;  // an existing file is replaced (only once the new copy is sound)
};

struct BackupReport {
  std::filesystem::path file;
  std::uint64_t bytes = 0;
  bool compressed = false;
};

// Copies the mirror to `target` (gzip-compressed when its name ends in `.gz`), checks the
// copy, and moves it into place only when it is sound; the file is the owner's only (0600).
// Throws BackupTargetError before writing anything when the target cannot be used, else
// BackupError.
BackupReport backup_mirror(Mirror& mirror, const std::filesystem::path& target,
                           const BackupOptions& options = {});

// Retention: deletes all but the newest `keep` backups of the same series as `latest` in its
// folder. A series is the files whose names equal `latest`'s with any digits where it has
// digits ("crm-2026-12-01.db.gz" and "crm-2026-11-30.db.gz"); only files that are SQLite or
// gzip are touched. Newest by modification time. Returns the files deleted.
std::vector<std::filesystem::path> prune_backups(const std::filesystem::path& latest, int keep);

// Opens a backup file for reading (decompressing a .gz one into `scratch`); the path returned
// is an SQLite file.
std::filesystem::path readable_backup(const std::filesystem::path& file,
                                      const std::filesystem::path& scratch);

struct ExportReport {
  std::map<std::string, std::int64_t> counts;  // resource -> elements
  std::int64_t history_versions = 0;
};

// Writes DIR/<resource>.json (a JSON array of elements as the CRM sent them, by id),
// DIR/manifest.json, and with `with_history` DIR/history.json, each the owner's only (0600,
// the folder 0700 when created here), as backups are. A folder that already holds an export
// is refused unless `replace` (BackupTargetError). Throws BackupError.
ExportReport export_mirror(Mirror& mirror, const std::filesystem::path& dir, bool with_history,
                           bool replace = false);

}  // namespace clevertim::storage
