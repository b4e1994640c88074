#include "daemon/service.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <atomic>
#include <cstdio>
#include <random>

#include "daemon/exit_codes.h"
#include "daemon/failure.h"
#include "daemon/instance_lock.h"
#include "daemon/local_write_watch.h"
#include "daemon/logging.h"
#include "daemon/metrics.h"
#include "daemon/notify.h"
#include "storage/failpoint.h"
#include "storage/mirror.h"
#include "storage/status.h"
#include "sync/account.h"
#include "sync/crm_over_http.h"
#include "sync/cycle.h"

namespace clevertim::daemon {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

std::string clock_time() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  localtime_r(&now, &tm);
  char buf[16];
  std::strftime(buf, sizeof buf, "%H:%M:%S", &tm);
  return buf;
}

std::string human_duration(std::chrono::milliseconds d) {
  const auto s = std::chrono::duration_cast<std::chrono::seconds>(d).count();
  if (s >= 3600) return std::to_string(s / 3600) + "h" + std::to_string((s % 3600) / 60) + "m";
  if (s >= 60) return std::to_string(s / 60) + "m" + std::to_string(s % 60) + "s";
  return std::to_string(s) + "s";
}

// A completion handler for a side task that logs why it stopped instead of hiding it.
std::function<void(std::exception_ptr)> log_failure(std::string what) {
  return [what = std::move(what)](std::exception_ptr e) {
    if (!e) return;
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& ex) {
      spdlog::error("{} stopped: {}", what, ex.what());
    }
  };
}

class Service {
 public:
  Service(asio::io_context& io, storage::Mirror& mirror, SettingsLoader load,
          ServiceSettings settings)
      : io_(io),
        mirror_(mirror),
        load_(std::move(load)),
        settings_(std::move(settings)),
        wake_(io),
        signals_(io, SIGTERM, SIGINT, SIGHUP) {
    connect();
  }

  asio::awaitable<void> run() {
    record_interval();
    listen_for_signals();
    asio::co_spawn(io_, keep_watchdog_fed(), log_failure("watchdog"));
    asio::co_spawn(io_, watch_local_writes(), log_failure("local write watch"));
    bool first = true;
    bool full_due = true;
    int failures = 0;
    Clock::time_point next_full = Clock::now();
    while (!stop_) {
      if (reload_requested_) {
        reload();
        record_interval();
      }
      const bool full = full_due;
      push_requested_ = false;
      if (first) {
        notifier_.status("first sync running");
        notifier_.ready();  // the database is open and the first cycle has started
      }
      ensure_mirror_on_disk();
      sync::CycleReport report;
      try {
        report = co_await run_one_cycle(full, first);
      } catch (const sync::AccountMismatch&) {
        throw;  // a configuration problem: waiting does not fix it (exit 2)
      } catch (const std::exception& e) {
        // The mirror failed (disk full, I/O error): the transaction was rolled back; wait and
        // try again rather than exit, so the service recovers once the cause is gone.
        spdlog::error("cycle failed, nothing lost, retrying later: {}", e.what());
        report.pull_failures.push_back(std::string("mirror: ") + e.what());
      }
      first = false;
      ensure_mirror_on_disk();
      if (report.account_confirmed) account_confirmed_ = true;
      if (full) {
        full_due = false;
        const bool failed = !report.pull_failures.empty();
        failures = failed ? failures + 1 : 0;
        next_full = Clock::now() + (failed ? backoff_after(failures) : settings_.interval);
      }
      report_cycle(report, full, next_full);
      if (stop_) break;
      co_await sleep_until(next_full);
      if (Clock::now() >= next_full) full_due = true;
    }
    if (gone_) throw storage::MirrorError(*gone_);
    notifier_.stopping();
    spdlog::info("stopped");
  }

 private:
  // A mirror deleted or replaced under the daemon ends it (exit 5): syncing on would write to
  // a file nobody can see.
  void ensure_mirror_on_disk() {
    if (!gone_) gone_ = mirror_.replaced_on_disk();
    if (gone_) throw storage::MirrorError(*gone_);
  }

  void connect() {
    // Another URL or token may reach another account: checked again before the next push.
    account_confirmed_ = false;
    if (crm_) crm_->shutdown();
    crm_ =
        std::make_unique<sync::CrmOverHttp>(io_.get_executor(), settings_.client, settings_.retry);
  }

  asio::awaitable<sync::CycleReport> run_one_cycle(bool full, bool first) {
    sync::CycleOptions options = settings_.cycle;
    options.pull_enabled = full;
    // A full cycle always checks the account; a push between them only until one check passed
    // on this connection (a reload may have changed the URL or token).
    if (!full && account_confirmed_) options.account.reset();
    options.stop_requested = &stop_;
    if (first && mirror_.created() && isatty(STDERR_FILENO)) options.progress = show_progress;
    sync::CycleReport report = co_await sync::run_cycle(mirror_, *crm_, *crm_, options);
    if (options.progress) std::fputs("\n", stderr);
    record_cycle_metrics(
        mirror_, crm_->take_traffic(), settings_, /*daemon_running=*/true,
        std::chrono::duration_cast<std::chrono::seconds>(settings_.interval).count());
    co_return report;
  }

  static void show_progress(std::string_view resource, std::int64_t elements, std::uint64_t bytes) {
    std::fprintf(stderr, "\r  %-12.*s %10lld elements %8.1f MB", static_cast<int>(resource.size()),
                 resource.data(), static_cast<long long>(elements),
                 static_cast<double>(bytes) / 1e6);
    if (bytes > 0) std::fputs("\n", stderr);
  }

  // `status` reports the running daemon's interval (it may come from --interval), not the
  // configured one. Best effort: a mirror that cannot be written shows at the first cycle.
  void record_interval() {
    try {
      storage::record_daemon_interval(
          mirror_, std::chrono::duration_cast<std::chrono::seconds>(settings_.interval).count());
    } catch (const std::exception& e) {
      spdlog::warn("could not record the interval for `status`: {}", e.what());
    }
  }

  // Grows with each failed cycle, with jitter, up to the interval (never a busy loop).
  std::chrono::milliseconds backoff_after(int failures) {
    const auto ceiling = std::min<std::chrono::milliseconds>(
        settings_.interval, std::chrono::milliseconds(5000) * (1LL << std::min(failures, 12)));
    std::uniform_int_distribution<std::int64_t> jitter(ceiling.count() / 2, ceiling.count());
    return std::chrono::milliseconds(jitter(rng_));
  }

  void report_cycle(const sync::CycleReport& report, bool full, Clock::time_point next_full) {
    const storage::MirrorStatus status = storage::read_status(mirror_);
    const auto next =
        std::chrono::duration_cast<std::chrono::milliseconds>(next_full - Clock::now());
    const std::string line = std::string(full ? "sync" : "push") + ": " + report.summary() + "; " +
                             std::to_string(status.pending()) + " pending, " +
                             std::to_string(status.errors()) + " errors";
    if (report.ok())
      spdlog::info("{}", line);
    else
      spdlog::warn("{}", line);
    for (const std::string& problem : report.push.problems) spdlog::warn("  {}", problem);
    // Held deletions are the one thing that waits for a person besides conflicts: say so
    // where an administrator looks (systemctl status), not only in the log.
    std::string held;
    for (const storage::HeldDeletions& h : status.held_deletions)
      held += (held.empty() ? "" : ", ") + std::to_string(h.count) + " " + h.resource + " (" +
              h.direction + ")";
    notifier_.status(
        "last " + std::string(full ? "sync" : "push") + " " + clock_time() + ": " +
        std::to_string(status.pending()) + " pending, " + std::to_string(status.errors()) +
        " errors, " + std::to_string(status.open_conflicts) + " conflicts" +
        (held.empty() ? "" : "; deletions held: " + held + " (sync --allow-mass-delete)") +
        "; next sync in " + human_duration(std::max(next, std::chrono::milliseconds(0))));
  }

  // Sleeps until `when`, or until a local write, a signal or a reload wakes us.
  asio::awaitable<void> sleep_until(Clock::time_point when) {
    if (push_requested_ || stop_ || reload_requested_) co_return;
    wake_.expires_at(when);
    boost::system::error_code ignored;
    co_await wake_.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
  }

  void wake() { wake_.cancel(); }

  void listen_for_signals() {
    signals_.async_wait([this](const boost::system::error_code& ec, int signal) {
      if (ec) return;
      if (signal == SIGHUP) {
        spdlog::info("SIGHUP: reloading the configuration");
        notifier_.reloading();
        reload_requested_ = true;
        wake();
        listen_for_signals();
        return;
      }
      spdlog::info("{}: stopping after the current step", signal == SIGTERM ? "SIGTERM" : "SIGINT");
      notifier_.stopping();
      stop_ = true;
      wake();
      if (crm_) crm_->shutdown();  // requests in flight end now; their changes stay pending
      signals_.cancel();
      local_watch_.reset();
    });
  }

  void reload() {
    reload_requested_ = false;
    try {
      ServiceSettings fresh = load_();
      if (fresh.database != settings_.database)
        spdlog::warn("storage.database changed to {}; that takes a restart, still using {}",
                     fresh.database.string(), settings_.database.string());
      fresh.database = settings_.database;
      settings_ = std::move(fresh);
      setup_logging(settings_.log_level);
      connect();
      spdlog::info("configuration reloaded");
    } catch (const std::exception& e) {
      spdlog::error("configuration reload failed, keeping the running one: {}", e.what());
    }
    notifier_.ready();
  }

  asio::awaitable<void> keep_watchdog_fed() {
    const auto period = notifier_.watchdog_period();
    if (!period) co_return;
    asio::steady_timer timer(io_);
    while (!stop_) {
      notifier_.watchdog();
      timer.expires_after(*period);
      co_await timer.async_wait(asio::use_awaitable);
    }
  }

  // A commit by another process (data_version moves) with changes in the outbox asks for an
  // immediate push. Our own writes touch the WAL too but leave data_version alone.
  asio::awaitable<void> watch_local_writes() {
    local_watch_.emplace(io_.get_executor(), settings_.database);
    std::int64_t seen = data_version();
    asio::steady_timer settle(io_);
    while (!stop_ && local_watch_) {
      co_await local_watch_->next_write();
      // Deleted or replaced: stop now, not at the next cycle.
      if (!gone_) gone_ = mirror_.replaced_on_disk();
      if (gone_) {
        stop_ = true;
        wake();
        co_return;
      }
      // Let a burst of writes (a script's many statements) settle into one push.
      settle.expires_after(150ms);
      co_await settle.async_wait(asio::use_awaitable);
      const std::int64_t now = data_version();
      if (now == seen) continue;
      seen = now;
      if (has_waiting_changes()) {
        push_requested_ = true;
        wake();
      }
    }
  }

  std::int64_t data_version() { return mirror_.db().execAndGet("PRAGMA data_version").getInt64(); }
  bool has_waiting_changes() {
    return mirror_.db()
               .execAndGet("SELECT EXISTS (SELECT 1 FROM outbox WHERE error IS NULL)")
               .getInt() != 0;
  }

  asio::io_context& io_;
  storage::Mirror& mirror_;
  SettingsLoader load_;
  ServiceSettings settings_;
  std::unique_ptr<sync::CrmOverHttp> crm_;
  Notifier notifier_;
  asio::steady_timer wake_;
  asio::signal_set signals_;
  std::optional<LocalWriteWatch> local_watch_;
  std::atomic<bool> stop_{false};
  bool push_requested_ = false;
  bool account_confirmed_ = false;
  std::optional<std::string> gone_;  // why the mirror on disk is no longer ours
  bool reload_requested_ = false;
  std::mt19937_64 rng_{std::random_device{}()};
};

}  // namespace

int run_service(const SettingsLoader& load) {
  ServiceSettings settings;
  try {
    settings = load();
  } catch (const std::exception& e) {
    spdlog::error("{}", e.what());
    return kExitConfig;
  }
  setup_logging(settings.log_level);
  try {
    storage::failpoint("command");
    InstanceLock lock(settings.database);
    storage::OpenOptions open_options;
    open_options.report_group = settings.report_group;
    storage::Mirror mirror = storage::Mirror::open(settings.database, open_options);
    spdlog::info("clevertim-sync running: mirror {}, CRM {}, every {}", settings.database.string(),
                 settings.client.base_url, human_duration(settings.interval));
    asio::io_context io;
    Service service(io, mirror, load, settings);
    std::exception_ptr failure;
    asio::co_spawn(io, service.run(), [&](std::exception_ptr e) {
      failure = e;
      io.stop();
    });
    io.run();
    if (failure) std::rethrow_exception(failure);
    return kExitOk;
  } catch (...) {
    return exit_code_for_failure("run the service on the mirror " + settings.database.string());
  }
}

}  // namespace clevertim::daemon
