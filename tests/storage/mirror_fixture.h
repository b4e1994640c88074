// A fresh mirror in a temporary folder, and a way to write to it as another process would
// (the sqlite3 shell), for the storage tests.
#pragma once

#include <filesystem>
#include <string>

#include "storage/mirror.h"

namespace clevertim::testing {

// A folder under $TMPDIR removed with everything in it on destruction.
class ScratchDir {
 public:
  ScratchDir();
  ~ScratchDir();
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

// A new mirror file, open, in a folder of its own: what most tests start from.
struct MirrorFile {
  ScratchDir dir;
  std::filesystem::path db_path = dir / "crm.db";
  storage::Mirror mirror = storage::Mirror::open(db_path);
};

// What the sqlite3 shell printed, and whether it succeeded.
struct ShellResult {
  int exit_code = 0;
  std::string output;  // stdout and stderr together
  bool ok() const { return exit_code == 0; }
};

// Runs `sql` through the sqlite3 command-line shell against `database` (a separate process,
// so the mirror's triggers are tested as users trigger them).
ShellResult run_sqlite3(const std::filesystem::path& database, const std::string& sql);

}  // namespace clevertim::testing

namespace clevertim::testing {

// Stores elements (a JSON array, API format) as if pulled from the CRM.
void seed(storage::Mirror& mirror, std::string_view endpoint, std::string_view json_array);

}  // namespace clevertim::testing
