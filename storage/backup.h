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
#include <stdexcept>
#include <string>

#include "storage/mirror.h"

namespace clevertim::storage {

class BackupError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct BackupReport {
  std::filesystem::path file;
  std::uint64_t bytes = 0;
  bool compressed = false;
};

// Copies the mirror to `target` (gzip-compressed when `compress`), checks the copy, and moves
// it into place only when it is sound. Throws BackupError.
BackupReport backup_mirror(Mirror& mirror, const std::filesystem::path& target, bool compress);

// Opens a backup file for reading (decompressing a .gz one into `scratch`); the path returned
// is an SQLite file.
std::filesystem::path readable_backup(const std::filesystem::path& file,
                                      const std::filesystem::path& scratch);

struct ExportReport {
  std::map<std::string, std::int64_t> counts;  // resource -> elements
  std::int64_t history_versions = 0;
};

// Writes DIR/<resource>.json (a JSON array of elements as the CRM sent them, by id),
// DIR/manifest.json, and with `with_history` DIR/history.json. Throws BackupError.
ExportReport export_mirror(Mirror& mirror, const std::filesystem::path& dir, bool with_history);

}  // namespace clevertim::storage
