#include "storage/backup.h"

#include <SQLiteCpp/Backup.h>
#include <SQLiteCpp/Statement.h>
#include <zlib.h>

#include <boost/json.hpp>

#include <algorithm>
#include <fstream>
#include <vector>

#include "model/resources.h"
#include "storage/clock.h"
#include "storage/sql_quote.h"

namespace clevertim::storage {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;

void check_integrity(const fs::path& file) {
  SQLite::Database copy(file.string(), SQLite::OPEN_READONLY);
  const std::string verdict = copy.execAndGet("PRAGMA integrity_check").getString();
  if (verdict != "ok")
    throw BackupError("the backup copy " + file.string() + " failed its integrity check (" +
                      verdict +
                      "); the mirror itself may be damaged: run PRAGMA "
                      "integrity_check on it");
}

void gzip_file(const fs::path& from, const fs::path& to) {
  std::ifstream in(from, std::ios::binary);
  gzFile out = gzopen(to.c_str(), "wb9");
  if (!in || out == nullptr) throw BackupError("cannot write the compressed backup " + to.string());
  std::vector<char> buffer(1 << 16);
  while (in) {
    in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
    const auto n = static_cast<unsigned>(in.gcount());
    if (n > 0 && gzwrite(out, buffer.data(), n) != static_cast<int>(n)) {
      gzclose(out);
      throw BackupError("cannot write the compressed backup " + to.string() +
                        "; check the free space");
    }
  }
  if (gzclose(out) != Z_OK) throw BackupError("cannot finish the compressed backup " + to.string());
}

void write_text(const fs::path& file, const std::string& text) {
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  out << text;
  out.close();
  if (!out)
    throw BackupError("cannot write " + file.string() + "; check the folder and free space");
  // The account's data, as a backup holds it: the owner's only, whatever the umask.
  std::error_code ec;
  fs::permissions(file, fs::perms::owner_read | fs::perms::owner_write, ec);
  if (ec) throw BackupError("cannot set the mode of " + file.string() + ": " + ec.message());
}

bool ends_with(const fs::path& p, std::string_view suffix) {
  return p.filename().string().ends_with(suffix);
}

// Whether `target` names `file`: the same file when both exist (hard links, other spellings),
// else the same absolute path once `.`, `..` and symbolic links are resolved.
bool same_file(const fs::path& target, const fs::path& file) {
  std::error_code ec;
  if (fs::exists(target, ec) && fs::exists(file, ec)) return fs::equivalent(target, file, ec);
  const fs::path a = fs::weakly_canonical(fs::absolute(target, ec), ec);
  const fs::path b = fs::weakly_canonical(fs::absolute(file, ec), ec);
  return !a.empty() && a == b;
}

// A backup written over the mirror or its companions swapped the file out from under the
// running daemon, or made every reader fail ("database disk image is malformed").
void refuse_mirror_files(const Mirror& mirror, const fs::path& target, const char* what) {
  if (const auto file = mirror_file_named_by(mirror.path(), target))
    throw BackupTargetError(
        std::string("refusing to write the ") + what + " to " + target.string() + ": it is " +
        (*file == mirror.path() ? "the mirror itself" : "the mirror's " + file->string()) +
        "; choose a file outside the mirror's own files");
}

// Pretty enough to diff: one element per line.
std::string array_lines(const std::vector<std::string>& elements) {
  std::string out = "[\n";
  for (size_t i = 0; i < elements.size(); ++i)
    out += elements[i] + (i + 1 < elements.size() ? ",\n" : "\n");
  return out + "]\n";
}

}  // namespace

std::optional<fs::path> mirror_file_named_by(const fs::path& database, const fs::path& target) {
  const std::string base = database.string();
  for (const std::string& companion :
       {base, base + "-wal", base + "-shm", base + "-journal", base + ".lock"})
    if (same_file(target, companion)) return fs::path(companion);
  return std::nullopt;
}

BackupReport backup_mirror(Mirror& mirror, const fs::path& target, const BackupOptions& options) {
  refuse_mirror_files(mirror, target, "backup");
  std::error_code probe;
  if (fs::is_directory(target, probe))
    throw BackupTargetError("cannot write the backup to " + target.string() +
                            ": it is a folder; give a file name, such as " +
                            (target / "crm.db.gz").string());
  if (target.has_parent_path() && !fs::exists(target.parent_path()))
    throw BackupError("cannot write the backup " + target.string() + ": the folder " +
                      target.parent_path().string() + " does not exist");
  const bool compress = options.compress || ends_with(target, ".gz");
  if (options.compress && !ends_with(target, ".gz"))
    throw BackupTargetError("--compress writes gzip, but " + target.string() +
                            " does not end in .gz; name it " + target.filename().string() +
                            ".gz (the name alone then decides), or drop --compress");
  if (fs::exists(target, probe) && !options.replace)
    throw BackupTargetError(target.string() +
                            " already exists; add --force to replace it (it is replaced only "
                            "once the new copy passed its integrity check), or choose another "
                            "name");
  const fs::path partial = target.string() + ".partial";
  const fs::path plain = compress ? fs::path(target.string() + ".sqlite.partial") : partial;
  std::error_code ec;
  fs::remove(plain, ec);
  fs::remove(partial, ec);
  try {
    {
      SQLite::Database copy(plain.string(), SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
      SQLite::Backup backup(copy, mirror.db());
      // Whole database in one step: a consistent snapshot even while the daemon writes.
      backup.executeStep(-1);
      copy.exec("PRAGMA journal_mode = DELETE");
    }
    check_integrity(plain);
    if (compress) {
      gzip_file(plain, partial);
      fs::remove(plain);
    }
    fs::permissions(partial, fs::perms::owner_read | fs::perms::owner_write);
    fs::rename(partial, target);
  } catch (const SQLite::Exception& e) {
    fs::remove(plain, ec);
    fs::remove(partial, ec);
    throw BackupError("backup to " + target.string() + " failed: " + e.what());
  } catch (...) {
    fs::remove(plain, ec);
    fs::remove(partial, ec);
    throw;
  }
  return {target, fs::file_size(target), compress};
}

namespace {

// "crm-2026-12-01.db.gz" -> "crm-####-##-##.db.gz"
std::string digits_masked(const std::string& name) {
  std::string out = name;
  for (char& c : out)
    if (c >= '0' && c <= '9') c = '#';
  return out;
}

bool looks_like_backup(const fs::path& file) {
  char magic[16] = {};
  std::ifstream(file, std::ios::binary).read(magic, sizeof magic);
  const bool gzip =
      static_cast<unsigned char>(magic[0]) == 0x1f && static_cast<unsigned char>(magic[1]) == 0x8b;
  return gzip || std::string(magic, 15) == "SQLite format 3";
}

}  // namespace

std::vector<fs::path> prune_backups(const fs::path& latest, int keep) {
  std::vector<fs::path> deleted;
  if (keep < 1) throw BackupTargetError("--keep must be at least 1 (the backup just written)");
  const fs::path folder = latest.has_parent_path() ? latest.parent_path() : fs::path(".");
  const std::string series = digits_masked(latest.filename().string());
  std::vector<std::pair<fs::file_time_type, fs::path>> members;
  std::error_code ec;
  for (const fs::directory_entry& e : fs::directory_iterator(folder, ec)) {
    if (!e.is_regular_file(ec) || digits_masked(e.path().filename().string()) != series) continue;
    if (!looks_like_backup(e.path())) continue;
    members.emplace_back(e.last_write_time(ec), e.path());
  }
  if (ec)
    throw BackupError("cannot list " + folder.string() + " to prune old backups: " + ec.message());
  std::sort(members.begin(), members.end(), [](const auto& a, const auto& b) {
    return a.first != b.first ? a.first > b.first : a.second > b.second;
  });
  for (std::size_t i = static_cast<std::size_t>(keep); i < members.size(); ++i) {
    if (fs::equivalent(members[i].second, latest, ec)) continue;  // never the new one
    if (fs::remove(members[i].second, ec)) deleted.push_back(members[i].second);
  }
  return deleted;
}

fs::path readable_backup(const fs::path& file, const fs::path& scratch) {
  char magic[2] = {};
  std::ifstream(file, std::ios::binary).read(magic, 2);
  if (static_cast<unsigned char>(magic[0]) != 0x1f || static_cast<unsigned char>(magic[1]) != 0x8b)
    return file;
  fs::path out = scratch / "backup.sqlite";
  gzFile in = gzopen(file.c_str(), "rb");
  std::ofstream to(out, std::ios::binary | std::ios::trunc);
  if (in == nullptr || !to) throw BackupError("cannot read the compressed backup " + file.string());
  std::vector<char> buffer(1 << 16);
  int n = 0;
  while ((n = gzread(in, buffer.data(), static_cast<unsigned>(buffer.size()))) > 0)
    to.write(buffer.data(), n);
  gzclose(in);
  if (n < 0) throw BackupError("the compressed backup " + file.string() + " is damaged");
  return out;
}

namespace {

// The export's folder, made owner-only when new; one holding an export already only with
// `replace`.
void prepare_export_folder(Mirror& mirror, const fs::path& dir, bool replace) {
  std::error_code ec;
  refuse_mirror_files(mirror, dir, "export");
  if (fs::exists(dir, ec) && !fs::is_directory(dir, ec))
    throw BackupTargetError("cannot export to " + dir.string() +
                            ": it is a file, not a folder; give a folder's name");
  if (fs::exists(dir / "manifest.json", ec) && !replace)
    throw BackupTargetError(dir.string() +
                            " already holds an export; add --force to replace its files, or "
                            "choose another folder");
  if (!fs::exists(dir, ec)) {
    fs::create_directories(dir, ec);
    if (!ec) fs::permissions(dir, fs::perms::owner_all, ec);
  }
  if (ec)
    throw BackupError("cannot create the export folder " + dir.string() + ": " + ec.message());
}

// One file per resource, the elements as the CRM sent them; returns how many of each.
json::object export_elements(SQLite::Database& db, const fs::path& dir, ExportReport& report) {
  json::object counts;
  for (const model::Resource& r : model::all_resources()) {
    std::vector<std::string> elements;
    SQLite::Statement q(db, "SELECT raw FROM " + sql_identifier(r.table) +
                                " WHERE id > 0 AND raw IS NOT NULL ORDER BY id");
    while (q.executeStep()) elements.push_back(q.getColumn(0).getString());
    write_text(dir / (std::string(r.endpoint) + ".json"), array_lines(elements));
    report.counts[std::string(r.endpoint)] = static_cast<std::int64_t>(elements.size());
    counts[r.endpoint] = static_cast<std::int64_t>(elements.size());
  }
  return counts;
}

// history.json: every earlier version of every element; returns how many.
std::int64_t export_history(SQLite::Database& db, const fs::path& dir) {
  std::vector<std::string> versions;
  SQLite::Statement q(db,
                      "SELECT resource, id, seen_at, operation, raw FROM history ORDER BY "
                      "resource, id, seq");
  while (q.executeStep()) {
    json::object v;
    v["resource"] = q.getColumn(0).getString();
    v["id"] = q.getColumn(1).getInt64();
    v["seen_at"] = q.getColumn(2).getString();
    v["operation"] = q.getColumn(3).getString();
    json::error_code parse_error;
    v["element"] = q.getColumn(4).isNull() ? json::value(nullptr)
                                           : json::parse(q.getColumn(4).getString(), parse_error);
    versions.push_back(json::serialize(v));
  }
  write_text(dir / "history.json", array_lines(versions));
  return static_cast<std::int64_t>(versions.size());
}

}  // namespace

ExportReport export_mirror(Mirror& mirror, const fs::path& dir, bool with_history, bool replace) {
  prepare_export_folder(mirror, dir, replace);
  ExportReport report;
  SQLite::Database& db = mirror.db();
  // One read transaction: every file shows the same moment of the mirror.
  db.exec("BEGIN");
  try {
    json::object counts = export_elements(db, dir, report);
    if (with_history) report.history_versions = export_history(db, dir);
    json::object manifest;
    manifest["format"] = "clevertim-sync export";
    manifest["schema_version"] = mirror.schema_version();
    manifest["exported_at"] = utc_now_iso();
    manifest["counts"] = std::move(counts);
    manifest["history"] = with_history;
    if (with_history) manifest["history_versions"] = report.history_versions;
    write_text(dir / "manifest.json", json::serialize(manifest) + "\n");
    db.exec("COMMIT");
  } catch (...) {
    db.tryExec("ROLLBACK");
    throw;
  }
  return report;
}

}  // namespace clevertim::storage
