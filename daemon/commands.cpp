#include "daemon/commands.h"

#include <SQLiteCpp/Statement.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/json.hpp>

#include <cstdio>
#include <ctime>
#include <iostream>
#include <sstream>

#include "daemon/exit_codes.h"
#include "daemon/failure.h"
#include "daemon/instance_lock.h"
#include "daemon/metrics.h"
#include "daemon/progress_line.h"
#include "model/resources.h"
#include "storage/backup.h"
#include "storage/mirror.h"
#include "storage/status.h"
#include "sync/account.h"
#include "sync/crm_over_http.h"
#include "sync/cycle.h"
#include "sync/restore.h"
#include "sync/verify.h"

namespace clevertim::daemon {

// A mistyped --database must not leave a new empty mirror (and a lock file) behind, nor back
// up an empty one as if it were the account.
bool mirror_exists(const ServiceSettings& s) {
  std::error_code ec;
  if (std::filesystem::is_regular_file(s.database, ec)) return true;
  spdlog::error(
      "there is no mirror at {}; check storage.database or --database (`clevertim-sync sync` "
      "creates it with a first full pull)",
      s.database.string());
  return false;
}

namespace {

namespace asio = boost::asio;
namespace json = boost::json;
namespace fs = std::filesystem;

// Commands that only read may read a mirror others can write (with a warning); every command
// that writes, or sends to the CRM, refuses it.
enum class Use { kRead, kWrite };

storage::Mirror open_mirror(const ServiceSettings& s, Use use = Use::kWrite) {
  storage::OpenOptions options;
  options.report_group = s.report_group;
  options.too_open = use == Use::kRead ? storage::TooOpen::kWarn : storage::TooOpen::kRefuse;
  return storage::Mirror::open(s.database, options);
}

// While it lives, log messages are printed above `line` (the default logger's sink is wrapped).
class ShowProgress {
 public:
  explicit ShowProgress(ProgressLine& line) {
    auto& sinks = spdlog::default_logger()->sinks();
    if (sinks.empty()) return;
    inner_ = sinks.front();
    sinks.front() = std::make_shared<ProgressAwareSink>(inner_, line);
  }
  ~ShowProgress() {
    if (inner_) spdlog::default_logger()->sinks().front() = inner_;
  }
  ShowProgress(const ShowProgress&) = delete;
  ShowProgress& operator=(const ShowProgress&) = delete;

 private:
  spdlog::sink_ptr inner_;
};

// Runs a coroutine to completion on a fresh io_context.
template <class T>
T run_to_completion(asio::io_context& io, asio::awaitable<T> work) {
  auto future = asio::co_spawn(io, std::move(work), asio::use_future);
  io.run();
  return future.get();
}

// Runs `body` with the mirror open and no daemon on it (commands that write). `doing` names
// the work for the message of a failure ("sync the mirror /var/lib/x.db").
template <class Body>
int with_exclusive_mirror(const ServiceSettings& s, const std::string& doing, Body body) {
  try {
    InstanceLock lock(s.database);
    storage::Mirror mirror = open_mirror(s);
    return body(mirror);
  } catch (...) {
    return exit_code_for_failure(doing);
  }
}

std::string on_mirror(const ServiceSettings& s) {
  return "the mirror " + s.database.string();
}

// A token the CRM refuses is a configuration problem (exit 2), whatever the command.
int token_refused() {
  spdlog::error(
      "the CRM refused the API token (401/403): check server.token_file, "
      "$CREDENTIALS_DIRECTORY/token or $CLEVERTIM_TOKEN, and that the token may read and "
      "write this account; nothing was lost, changes stay pending");
  return kExitConfig;
}

// Pulls every resource, pushes nothing: what restore and undelete need to know about the
// account. The cycle's own pull: the account check, short lists looked up, mass deletions held.
sync::CycleReport pull_only(storage::Mirror& mirror, sync::CrmOverHttp& crm,
                            const ServiceSettings& s, asio::io_context& io) {
  sync::CycleOptions options = s.cycle;
  options.resources.clear();     // every resource, whatever sync.resources says
  options.push_enabled = false;  // the outbox is left for the next real cycle
  return run_to_completion(io, sync::run_cycle(mirror, crm, crm, options));
}

void print_restore_report(const sync::RestoreReport& report, bool dry_run) {
  for (const std::string& line : report.plan) std::cout << line << "\n";
  std::cout << (dry_run ? "would create:\n" : "restored:\n");
  for (const auto& [ep, c] : report.per_resource)
    std::cout << "  " << ep << ": " << c.total << " in the source, " << c.created
              << (dry_run ? " to create, " : " created, ") << c.present
              << " already in the account, " << c.already << " already restored, " << c.failed
              << " refused\n";
  if (!dry_run && !report.mapping.empty()) {
    std::cout << "id mapping (resource old -> new):\n";
    for (const auto& [ep, old_id, new_id] : report.mapping)
      std::cout << "  " << ep << " " << old_id << " -> " << new_id << "\n";
  }
  for (const std::string& p : report.problems) std::cout << "note: " << p << "\n";
}

int run_restore(const ServiceSettings& s, const sync::RestoreSet& set, const std::string& key,
                bool dry_run, bool same_account) {
  const std::string doing = std::string(same_account ? "undelete into" : "restore into") +
                            " the account of " + on_mirror(s);
  return with_exclusive_mirror(s, doing, [&](storage::Mirror& mirror) {
    asio::io_context io;
    sync::CrmOverHttp crm(io.get_executor(), s.client, s.retry);
    // Knowing the account first: its users, and what an interrupted run already created.
    const sync::CycleReport pulled = pull_only(mirror, crm, s, io);
    if (!pulled.pull_failures.empty()) {
      for (const auto& f : pulled.pull_failures) spdlog::error("cannot read the account: {}", f);
      return pulled.token_refused ? token_refused() : kExitIncomplete;
    }
    sync::RestoreOptions options;
    options.dry_run = dry_run;
    options.same_account = same_account;
    options.source_key = key;
    io.restart();
    const sync::RestoreReport report =
        run_to_completion(io, sync::restore_elements(mirror, crm, set, options));
    print_restore_report(report, dry_run);
    if (report.interrupted) spdlog::error("the restore stopped early; run it again to resume");
    return report.ok() ? kExitOk : kExitIncomplete;
  });
}

}  // namespace

int sync_once(const ServiceSettings& s, bool allow_mass_delete, bool adopt_account) {
  return with_exclusive_mirror(s, "sync " + on_mirror(s), [&](storage::Mirror& mirror) {
    asio::io_context io;
    sync::CrmOverHttp crm(io.get_executor(), s.client, s.retry);
    sync::CycleOptions options = s.cycle;
    options.pull.allow_mass_delete = allow_mass_delete;
    options.push.allow_mass_delete = allow_mass_delete;
    if (options.account) options.account->adopt = adopt_account;
    // A first sync on a terminal shows its progress; log messages go above the line.
    ProgressLine line(stderr);
    std::optional<ShowProgress> showing;
    if (mirror.created() && isatty(STDERR_FILENO)) {
      showing.emplace(line);
      options.progress = [&](std::string_view r, std::int64_t n, std::uint64_t bytes) {
        bytes > 0 ? line.finished(r, n, bytes) : line.elements(r, n);
      };
      crm.on_download_progress([&](std::string_view r, std::uint64_t b) { line.bytes(r, b); });
    }
    const sync::CycleReport report =
        run_to_completion(io, sync::run_cycle(mirror, crm, crm, options));
    showing.reset();
    record_cycle_metrics(mirror, crm.take_traffic(), s, /*daemon_running=*/false,
                         std::chrono::duration_cast<std::chrono::seconds>(s.interval).count());
    std::cout << report.summary() << "\n";
    for (const auto& f : report.pull_failures) std::cout << "not pulled: " << f << "\n";
    for (const auto& k : report.skipped_elements) std::cout << "not pulled: " << k << "\n";
    for (const auto& p : report.push.problems) std::cout << "not pushed: " << p << "\n";
    // Changes refused earlier, or waiting for a person, are not pushed either.
    const storage::MirrorStatus status = storage::read_status(mirror);
    if (status.errors() > 0)
      std::cout << status.errors()
                << " rows wait in sync_state = 'error' (see sync_error): edit them, or run "
                   "`clevertim-sync retry`, to send them again\n";
    if (status.open_conflicts > 0)
      std::cout << status.open_conflicts << " conflicts wait: see `clevertim-sync conflicts`\n";
    if (report.token_problem()) return token_refused();
    if (report.mass_delete_held()) return kExitMassDelete;
    if (report.ok() && status.errors() == 0 && status.open_conflicts == 0) return kExitOk;
    return kExitIncomplete;
  });
}

namespace {

// "3 min ago" from an ISO UTC time as the mirror records it; "" when it cannot be read.
std::string age_of(const std::string& iso) {
  std::tm tm{};
  if (iso.size() < 19 || strptime(iso.substr(0, 19).c_str(), "%Y-%m-%dT%H:%M:%S", &tm) == nullptr)
    return "";
  const auto seconds = static_cast<long long>(std::time(nullptr) - timegm(&tm));
  if (seconds < 0) return "";
  if (seconds < 120) return std::to_string(seconds) + " s ago";
  if (seconds < 7200) return std::to_string(seconds / 60) + " min ago";
  if (seconds < 172800) return std::to_string(seconds / 3600) + " h ago";
  return std::to_string(seconds / 86400) + " days ago";
}

}  // namespace

int show_status(const ServiceSettings& s, StatusFormat format) {
  if (!mirror_exists(s)) return kExitDatabase;
  try {
    storage::Mirror mirror = open_mirror(s, Use::kRead);
    const storage::MirrorStatus status = storage::read_status(mirror);
    bool running = false;
    try {
      InstanceLock probe(s.database);
    } catch (const AlreadyRunning& e) {
      running = true;
    }
    // A running daemon's own interval (it may have been started with --interval); else the
    // configured one, which the next `run` will use.
    const std::int64_t interval =
        running && status.daemon_interval_seconds
            ? *status.daemon_interval_seconds
            : std::chrono::duration_cast<std::chrono::seconds>(s.interval).count();
    std::int64_t held = 0;
    for (const auto& h : status.held_deletions) held += h.count;
    if (format == StatusFormat::kPrometheus) {
      std::cout << prometheus_text(status, storage::read_traffic(mirror), running, interval);
      return kExitOk;
    }
    if (format == StatusFormat::kJson) {
      json::object out, resources;
      for (const auto& [ep, r] : status.resources)
        resources[ep] = {{"rows", r.rows},
                         {"pending", r.pending},
                         {"errors", r.errors},
                         {"conflicts", r.conflicts}};
      out["database"] = s.database.string();
      out["daemon"] = running ? "running" : "not running";
      out["resources"] = std::move(resources);
      out["pending"] = status.pending();
      out["errors"] = status.errors();
      out["open_conflicts"] = status.open_conflicts;
      out["outbox"] = status.outbox;
      out["held"] = held;
      json::array holds;
      for (const auto& h : status.held_deletions)
        holds.push_back({{"resource", h.resource},
                         {"direction", h.direction},
                         {"count", h.count},
                         {"reason", h.reason}});
      out["held_deletions"] = std::move(holds);
      out["interval_seconds"] = interval;
      auto run = [](const std::optional<storage::LastRun>& r) -> json::value {
        if (!r) return nullptr;
        return {{"started_at", r->started_at}, {"ended_at", r->ended_at}, {"pulled", r->pulled},
                {"pushed", r->pushed},         {"failed", r->failed},     {"error", r->error}};
      };
      out["last_run"] = run(status.last_run);
      out["last_success"] = run(status.last_success);
      std::cout << json::serialize(out) << "\n";
      return kExitOk;
    }
    std::cout << "mirror:       " << s.database.string() << "\n"
              << "daemon:       " << (running ? "running" : "not running") << "\n";
    if (status.last_run)
      std::cout << "last sync:    " << status.last_run->started_at << " ("
                << age_of(status.last_run->started_at) << "; pulled " << status.last_run->pulled
                << ", pushed " << status.last_run->pushed << ", failed " << status.last_run->failed
                << ")\n";
    else
      std::cout << "last sync:    never\n";
    if (status.last_success)
      std::cout << "last success: " << status.last_success->started_at << " ("
                << age_of(status.last_success->started_at) << ")\n";
    else if (status.last_run)
      std::cout << "last success: never\n";
    if (status.last_run && !status.last_run->ended_at.empty())
      std::cout << "next sync:    " << interval << " s after the last one"
                << (running ? " (the running daemon's interval)\n" : ", when the daemon runs\n");
    if (status.last_run && !status.last_run->error.empty())
      std::cout << "problems:     " << status.last_run->error << "\n";
    std::printf("%-13s %9s %8s %7s %9s\n", "resource", "rows", "pending", "errors", "conflicts");
    for (const auto& [ep, r] : status.resources)
      std::printf("%-13s %9lld %8lld %7lld %9lld\n", ep.c_str(), static_cast<long long>(r.rows),
                  static_cast<long long>(r.pending), static_cast<long long>(r.errors),
                  static_cast<long long>(r.conflicts));
    for (const auto& h : status.held_deletions)
      std::cout << "held: " << h.count << " " << h.resource << " deletions ("
                << (h.direction == "pull" ? "missing from the CRM's list" : "deleted here")
                << ") are held by the mass-deletion guard: " << h.reason << "\n";
    if (status.open_conflicts > 0)
      std::cout << status.open_conflicts << " conflicts wait: see `clevertim-sync conflicts`\n";
    return kExitOk;
  } catch (...) {
    return exit_code_for_failure("read the status of " + on_mirror(s));
  }
}

namespace {

// A field's value in one of a conflict's versions (JSON text of an element), for people.
std::string value_in(const std::string& element_json, const std::string& field) {
  if (element_json.empty()) return "(none)";
  json::error_code ec;
  const json::value v = json::parse(element_json, ec);
  if (ec || !v.is_object()) return "(unreadable)";
  if (element_json == "null") return "(deleted)";
  const json::value* f = v.as_object().if_contains(field);
  if (f == nullptr || f->is_null()) return "(empty)";
  std::string text = f->is_string() ? "'" + std::string(f->as_string()) + "'" : json::serialize(*f);
  if (text.size() > 60) text = text.substr(0, 57) + "...";
  return text;
}

}  // namespace

int list_conflicts(const ServiceSettings& s, bool all) {
  if (!mirror_exists(s)) return kExitDatabase;
  try {
    storage::Mirror mirror = open_mirror(s, Use::kRead);
    SQLite::Statement q(mirror.db(),
                        std::string("SELECT id, resource, record_id, coalesce(fields, ''), "
                                    "outcome, resolution, detected_at, coalesce(base, ''), "
                                    "coalesce(local, ''), coalesce(remote, ''), resolved_at "
                                    "FROM conflicts ") +
                            (all ? "" : "WHERE resolved_at IS NULL ") + "ORDER BY id");
    int n = 0;
    while (q.executeStep()) {
      ++n;
      const std::string fields = q.getColumn(3).getString();
      std::cout << "#" << q.getColumn(0).getInt64() << " " << q.getColumn(1).getString() << " "
                << q.getColumn(2).getInt64() << (fields.empty() ? "" : " [" + fields + "]")
                << ", detected " << q.getColumn(6).getString() << "\n";
      std::stringstream list(fields);
      for (std::string field; std::getline(list, field, ',');)
        std::cout << "    " << field << ": base " << value_in(q.getColumn(7).getString(), field)
                  << ", here " << value_in(q.getColumn(8).getString(), field) << ", CRM "
                  << value_in(q.getColumn(9).getString(), field) << "\n";
      if (q.getColumn(10).isNull())
        std::cout << "    " << q.getColumn(4).getString() << "\n";
      else if (q.getColumn(5).isNull())
        std::cout << "    settled " << q.getColumn(10).getString() << "\n";
      else
        std::cout << "    settled " << q.getColumn(10).getString() << ": "
                  << (q.getColumn(5).getString() == "local" ? "the local version kept"
                                                            : "the CRM's version kept")
                  << "\n";
    }
    if (n == 0)
      std::cout << (all ? "no conflicts recorded\n" : "no open conflicts\n");
    else if (!all)
      std::cout << "settle one with: clevertim-sync resolve ID local|remote (or UPDATE conflicts "
                   "SET resolution = 'local' WHERE id = ID)\n";
    return kExitOk;
  } catch (...) {
    return exit_code_for_failure("read the conflicts of " + on_mirror(s));
  }
}

int resolve(const ServiceSettings& s, std::int64_t conflict_id, const std::string& side) {
  if (!mirror_exists(s)) return kExitDatabase;
  if (side != "local" && side != "remote") {
    spdlog::error("resolve takes `local` or `remote`, not `{}`", side);
    return kExitConfig;
  }
  try {
    storage::Mirror mirror = open_mirror(s);
    if (!sync::resolve_conflict(mirror, conflict_id, side)) {
      spdlog::error("there is no open conflict #{}; see `clevertim-sync conflicts`", conflict_id);
      return kExitIncomplete;
    }
    std::cout << "conflict #" << conflict_id << " settled (" << side
              << "); the next cycle sends what remains\n";
    return kExitOk;
  } catch (...) {
    return exit_code_for_failure("settle conflict #" + std::to_string(conflict_id) + " in " +
                                 on_mirror(s));
  }
}

int retry_failed(const ServiceSettings& s) {
  if (!mirror_exists(s)) return kExitDatabase;
  try {
    storage::Mirror mirror = open_mirror(s);
    const std::int64_t n = sync::retry_failed_changes(mirror);
    if (n == 0)
      std::cout << "no row is in error: nothing to retry\n";
    else
      std::cout << n << (n == 1 ? " row in error is" : " rows in error are")
                << " pending again; the next cycle sends " << (n == 1 ? "it" : "them") << "\n";
    return kExitOk;
  } catch (...) {
    return exit_code_for_failure("mark the refused changes of " + on_mirror(s) + " pending again");
  }
}

int check_config(const ServiceSettings& s) {
  std::cout << "configuration: " << (s.config_file.empty() ? "(defaults)" : s.config_file.string())
            << " ok\n"
            << "token:         found (" << s.client.token.size() << " characters)\n";
  int code = kExitOk;
  try {
    storage::Mirror mirror = open_mirror(s);
    std::cout << "mirror:        " << s.database.string() << " ok (schema version "
              << mirror.schema_version() << (mirror.created() ? ", created now" : "") << ")\n";
  } catch (...) {
    code = exit_code_for_failure("open " + on_mirror(s));
    std::cout << "mirror:        FAILED (the error above says why)\n";
  }
  try {
    asio::io_context io;
    sync::CrmOverHttp crm(io.get_executor(), s.client, sync::RetryPolicy{{}, {}, 1});
    std::int64_t elements = 0;
    const auto outcome =
        run_to_completion(io, crm.fetch_all(
                                  "customfield", [&](const json::value&) { ++elements; }, [] {}));
    if (outcome.ok())
      std::cout << "CRM:           " << s.client.base_url << " ok (" << elements
                << " custom fields read)\n";
    else {
      std::cout << "CRM:           " << s.client.base_url << " FAILED: " << outcome.message << "\n";
      const int crm_code = outcome.token_refused ? token_refused() : kExitIncomplete;
      if (code == kExitOk) code = crm_code;  // the first failure names the exit code
    }
  } catch (...) {
    const int crm_code = exit_code_for_failure("reach the CRM at " + s.client.base_url);
    std::cout << "CRM:           " << s.client.base_url << " FAILED (the error above says why)\n";
    if (code == kExitOk) code = crm_code;
  }
  std::cout << "would:         sync ";
  if (s.cycle.resources.empty())
    std::cout << "every resource";
  else
    for (const auto& r : s.cycle.resources) std::cout << r << " ";
  std::cout << " every " << std::chrono::duration_cast<std::chrono::seconds>(s.interval).count()
            << " s, conflicts: " << sync::to_string(s.cycle.push.policy) << "\n";
  return code;
}

namespace {

// What a push changes in the CRM goes further than the rows it sent: a deleted customer's
// notes and their comments are deleted with it, references to it cleared, link lists grow. The
// mirror learns that with the next pull, so differences found right after a sync that pushed
// may be those: said, so that they are not taken for a broken backup.
void explain_last_push(SQLite::Database& db) {
  const std::optional<storage::LastRun> last = storage::read_last_run(db);
  if (!last || last->pushed == 0) return;
  std::cout << "note: the last sync pushed " << last->pushed
            << (last->pushed == 1 ? " change" : " changes")
            << " after it pulled; what the CRM did because of them (a deleted customer's notes "
               "and their comments deleted with it, references cleared, link lists grown) "
               "reaches the mirror with the next pull: run `clevertim-sync sync` again (or wait "
               "for the daemon's next cycle), then verify\n";
}

}  // namespace

// Read-only by construction: the mirror is opened SQLITE_OPEN_READONLY (never created nor
// migrated), and only read-alls are sent. No instance lock: it may run beside the daemon, and
// then a cycle in progress can show as a difference; run it again once the cycle ended.
int verify(const ServiceSettings& s) {
  std::error_code ec;
  if (!fs::is_regular_file(s.database, ec)) {
    spdlog::error(
        "there is no mirror at {} to verify; check storage.database or --database, or "
        "run `clevertim-sync sync` first",
        s.database.string());
    return kExitDatabase;
  }
  try {
    storage::OpenOptions modes;
    modes.report_group = s.report_group;
    modes.too_open = storage::TooOpen::kWarn;
    storage::check_file_modes(s.database, modes);  // read anyway, with a warning
    SQLite::Database db(s.database, SQLite::OPEN_READONLY, 5000);
    if (db.execAndGet("PRAGMA user_version").getInt() < 1) {
      spdlog::error("{} is not a clevertim-sync mirror (no schema version); check the path",
                    s.database.string());
      return kExitDatabase;
    }
    asio::io_context io;
    sync::CrmOverHttp crm(io.get_executor(), s.client, s.retry);
    const sync::VerifyReport report = run_to_completion(
        io, sync::verify_mirror(db, crm, s.cycle.resources, s.cycle.pull.rows_per_page));
    for (const sync::Difference& d : report.differences)
      std::cout << d.resource << " " << d.id << ": " << d.what << "\n";
    for (const std::string& u : report.unreadable) std::cout << "not verified: " << u << "\n";
    for (const std::string& n : report.notes) std::cout << "note: " << n << "\n";
    if (!report.differences.empty()) explain_last_push(db);
    std::cout << report.compared << " synced rows compared, " << report.differences.size()
              << " differences; " << report.unsynced
              << " rows with local changes not pushed yet were not compared\n";
    if (report.token_refused) return token_refused();
    return report.ok() ? kExitOk : kExitIncomplete;
  } catch (...) {
    return exit_code_for_failure("verify " + on_mirror(s) + " (is it a clevertim-sync mirror?)");
  }
}

int backup(const ServiceSettings& s, const fs::path& file, bool compress, bool force, int keep) {
  if (!mirror_exists(s)) return kExitDatabase;
  try {
    storage::Mirror mirror = open_mirror(s, Use::kRead);
    storage::BackupOptions options;
    options.compress = compress;
    options.replace = force;
    const auto report = storage::backup_mirror(mirror, file, options);
    std::cout << "backup written: " << report.file.string() << " (" << report.bytes << " bytes"
              << (report.compressed ? ", gzip" : "") << ", integrity ok)\n";
    if (keep > 0)
      for (const fs::path& old : storage::prune_backups(report.file, keep))
        std::cout << "old backup deleted (--keep " << keep << "): " << old.string() << "\n";
    return kExitOk;
  } catch (...) {
    return exit_code_for_failure("back " + on_mirror(s) + " up to " + file.string() +
                                 " (nothing was replaced)");
  }
}

int export_json(const ServiceSettings& s, const fs::path& dir, bool history, bool force) {
  if (!mirror_exists(s)) return kExitDatabase;
  try {
    storage::Mirror mirror = open_mirror(s, Use::kRead);
    const auto report = storage::export_mirror(mirror, dir, history, force);
    std::cout << "exported to " << dir.string() << ":";
    for (const auto& [ep, n] : report.counts) std::cout << " " << ep << " " << n;
    if (history) std::cout << ", history " << report.history_versions;
    std::cout << "\n";
    return kExitOk;
  } catch (...) {
    return exit_code_for_failure("export " + on_mirror(s) + " to " + dir.string());
  }
}

int restore(const ServiceSettings& s, const fs::path& source, bool dry_run) {
  sync::RestoreSet set;
  const fs::path scratch = fs::temp_directory_path();
  try {
    set = sync::load_restore_source(source, scratch);
  } catch (const std::exception& e) {
    // Whatever makes the source unreadable, the fault is the argument's: exit 2.
    spdlog::error("cannot read the restore source {}: {}; give a backup file or an export folder",
                  source.string(), e.what());
    return kExitConfig;
  }
  std::error_code ec;
  const std::string key = "restore:" + fs::weakly_canonical(source, ec).string();
  return run_restore(s, set, key, dry_run, /*same_account=*/false);
}

int undelete(const ServiceSettings& s, const std::string& resource, std::int64_t id,
             bool with_children) {
  if (!mirror_exists(s)) return kExitDatabase;  // history lives in the mirror; none, nothing
  sync::RestoreSet set;
  try {
    storage::Mirror mirror = open_mirror(s);
    set = sync::deleted_element_from_history(mirror, resource, id, with_children);
  } catch (const sync::NotInHistory& e) {
    spdlog::error("{}", e.what());
    return kExitIncomplete;
  } catch (...) {
    return exit_code_for_failure("read the history of " + on_mirror(s));
  }
  return run_restore(s, set, "undelete:" + resource + ":" + std::to_string(id), false,
                     /*same_account=*/true);
}

}  // namespace clevertim::daemon
