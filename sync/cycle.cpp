#include "sync/cycle.h"

#include <SQLiteCpp/Statement.h>
#include <spdlog/spdlog.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/value.hpp>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <exception>
#include <memory>
#include <mutex>
#include <optional>

#include "model/resources.h"
#include "storage/clock.h"
#include "storage/push_ledger.h"
#include "storage/statement_cache.h"
#include "storage/status.h"

namespace clevertim::sync {
namespace {

namespace asio = boost::asio;
using ProgressFn = std::function<void(std::string_view, std::int64_t, std::uint64_t)>;

bool wanted(const CycleOptions& options, std::string_view endpoint) {
  return options.resources.empty() || std::find(options.resources.begin(), options.resources.end(),
                                                endpoint) != options.resources.end();
}

bool stop_requested(const CycleOptions& options) {
  return options.stop_requested != nullptr && options.stop_requested->load();
}

std::int64_t start_run(SQLite::Database& db) {
  SQLite::Statement q(db, "INSERT INTO sync_runs (started_at) VALUES (?)");
  q.bind(1, storage::utc_now_iso());
  q.exec();
  return db.getLastInsertRowid();
}

void finish_run(SQLite::Database& db, const CycleReport& report) {
  std::string error;
  for (const std::string& f : report.pull_failures) error += (error.empty() ? "" : "; ") + f;
  for (const std::string& k : report.skipped_elements) error += (error.empty() ? "" : "; ") + k;
  for (const std::string& p : report.push.problems) error += (error.empty() ? "" : "; ") + p;
  SQLite::Statement q(db,
                      "UPDATE sync_runs SET ended_at = ?, pulled = ?, pushed = ?, failed = ?, "
                      "error = ? WHERE id = ?");
  q.bind(1, storage::utc_now_iso());
  q.bind(2, report.pulled());
  q.bind(3, report.push.pushed());
  q.bind(4,
         static_cast<std::int64_t>(report.pull_failures.size() + report.skipped_elements.size()) +
             report.push.rejected + report.push.waiting + report.push.held);
  error.empty() ? q.bind(5) : q.bind(5, error);
  q.bind(6, report.run_id);
  q.exec();
}

// One collection's read-all, started ahead of its turn. It runs as its own coroutine so the
// next collection can stream in while the previous one is applied.
struct InFlight {
  InFlight(const asio::any_io_executor& executor, storage::Mirror& mirror, const model::Resource& r,
           std::size_t rows_per_page)
      : resource(r),
        rows_per_page(rows_per_page),
        pull(std::in_place, mirror, r, rows_per_page),
        finished(executor) {
    finished.expires_at(asio::steady_timer::time_point::max());
  }
  const model::Resource& resource;
  const std::size_t rows_per_page;
  std::optional<ResourcePull> pull;
  std::int64_t seen = 0;
  FetchOutcome outcome;
  std::exception_ptr failure;  // thrown while fetching (say the staging file filled the disk)
  // Some rows the list lacked could not be looked up: the push must read each element before
  // it PUTs or DELETEs it, as if this resource had not been pulled.
  bool unconfirmed = false;
  bool done = false;
  asio::steady_timer finished;  // cancelled when done: wakes wait_for()

  // Between the reading thread and a first fill written while it arrives (apply_early), on the
  // mirror's thread. `pull` is replaced (a list starting over) only under `lock`, and only while
  // no early apply uses it.
  std::mutex lock;
  std::condition_variable changed;
  bool ended = false;          // `done`, as the mirror's thread sees it
  bool early_running = false;  // the mirror's thread is writing from `pull`
  bool stop_early = false;     // asked to roll back and let go of `pull`

  void end() {
    {
      std::lock_guard<std::mutex> hold(lock);
      ended = true;
    }
    changed.notify_all();
    done = true;
    finished.cancel();
  }
  // The list starts over: an early apply rolls back first (the reading thread waits for it; a
  // few milliseconds), then the pull begins afresh.
  void restart(storage::Mirror& mirror) {
    std::unique_lock<std::mutex> hold(lock);
    stop_early = true;
    changed.notify_all();
    changed.wait(hold, [&] { return !early_running; });
    stop_early = false;
    pull.emplace(mirror, resource, rows_per_page);
    seen = 0;
  }
};

// Parameters by value: the coroutine outlives the call that spawned it.
asio::awaitable<void> fetch(std::shared_ptr<InFlight> f, storage::Mirror& mirror, CrmReader& reader,
                            ProgressFn progress) {
  auto count_one = [&] {
    if (progress && (++f->seen % 1000) == 0) progress(f->resource.endpoint, f->seen, 0);
  };
  auto on_element = [&](const boost::json::value& element) {
    f->pull->accept(element);
    count_one();
  };
  auto on_restart = [&] { f->restart(mirror); };  // forget a half-received list
  try {
    // Elements are taken as text where possible: never built as trees of values.
    CompactTaker take_compact([&](const boost::json::value& id, std::string_view compact) {
      if (!f->pull->accept_compact(id, compact)) return false;
      count_one();
      return true;
    });
    // A first fill has nothing stored to match: asking would only cost a scan per element.
    if (!f->pull->first_fill())
      take_compact.same_as_stored = [&](std::int64_t id, std::string_view bytes) {
        if (!f->pull->accept_if_stored(id, bytes)) return false;
        count_one();
        return true;
      };
    f->outcome = co_await reader.fetch_all_compact_first(f->resource.endpoint, on_element,
                                                         on_restart, take_compact);
    if (progress) progress(f->resource.endpoint, f->seen, f->outcome.bytes);
    f->pull->end_of_list();
  } catch (...) {
    f->failure = std::current_exception();  // handed to whoever waits for this fetch
  }
  f->end();
}

std::shared_ptr<InFlight> start_fetch(const asio::any_io_executor& executor,
                                      storage::Mirror& mirror, CrmReader& reader,
                                      const model::Resource& r, const CycleOptions& options) {
  auto f = std::make_shared<InFlight>(executor, mirror, r, options.pull.rows_per_page);
  asio::co_spawn(executor, fetch(f, mirror, reader, options.progress), asio::detached);
  return f;
}

asio::awaitable<void> wait_for(InFlight& f, bool rethrow = true) {
  while (!f.done) {
    boost::system::error_code cancelled;  // the expected wake-up
    co_await f.finished.async_wait(asio::redirect_error(asio::use_awaitable, cancelled));
  }
  if (f.failure && rethrow) std::rethrow_exception(f.failure);
}

// How many rows a list may lack before its deletions are confirmed by a sample only.
constexpr std::size_t kConfirmEach = 50;

// A read-all that lacks rows is not proof that they were deleted: a proxy, a replica behind
// or a paging bug answers short lists, and a resource with fewer rows than
// `mass_delete_min` had no protection at all. Each missing row is looked up (GET) before it
// is deleted; when many are missing, a sample is, and one that exists proves the list short:
// nothing is deleted then. A lookup that fails proves nothing either: the row stays.
asio::awaitable<void> confirm_deletions(InFlight& f, CrmWriter& writer) {
  if (!f.outcome.ok() || f.failure) co_return;
  const std::vector<std::int64_t> missing = f.pull->missing_ids();
  if (missing.empty()) co_return;
  const std::size_t step = std::max<std::size_t>(1, missing.size() / kConfirmEach);
  bool short_list = false;
  for (std::size_t i = 0; i < missing.size(); i += step) {
    const WriteResult found = co_await writer.read_one(f.resource.endpoint, missing[i]);
    if (found.status == WriteResult::Status::kNotFound) continue;
    short_list = true;
    if (found.ok()) {
      spdlog::warn("{} {} is missing from the CRM's list but exists: taken as the CRM has it",
                   f.resource.endpoint, missing[i]);
      f.pull->accept(boost::json::value(found.element));  // as if the list had held it
      continue;
    }
    spdlog::warn(
        "{} {} is missing from the CRM's list and could not be looked up ({}): its row "
        "is kept",
        f.resource.endpoint, missing[i], found.message);
    f.pull->keep(missing[i]);
    f.unconfirmed = true;
  }
  if (step > 1 && short_list) {
    spdlog::warn("{}: the CRM's list lacks {} rows, and some of them exist: none is deleted",
                 f.resource.endpoint, missing.size());
    for (std::int64_t id : missing) f.pull->keep(id);
    f.unconfirmed = true;
  }
}

// The ids a pull found new, for the push to look among for a lost create (only noted where
// there is one: see expect_lost_creates).
void keep_created_ids(PullReport& pulled, PushOptions& push) {
  if (pulled.created_ids.empty()) return;
  auto& created = push.freshly_created[pulled.resource];
  created.insert(created.end(), pulled.created_ids.begin(), pulled.created_ids.end());
  std::vector<std::int64_t>().swap(pulled.created_ids);
}

PullOptions pull_options_for(const model::Resource& r, const CycleOptions& options) {
  PullOptions pull = options.pull;
  pull.note_created_ids = options.push.freshly_created.contains(std::string(r.endpoint));
  return pull;
}

// How often a first fill written as it arrives looks for more: elements are published 64 KiB
// at a time, a few hundred.
constexpr std::chrono::milliseconds kEarlyPoll{2};

// A first fill of a large list is written while the rest of the list still arrives: the
// mirror's thread otherwise waits for the whole list (half a second of a 250k-element first
// sync, for the contacts). Runs on the mirror's thread, and blocks it: true when it wrote, the
// transaction left open for apply_fetched(), which commits it if the list arrived whole.
bool apply_early(InFlight& f, const PullOptions& options, std::int64_t from) {
  std::unique_lock<std::mutex> hold(f.lock);
  // Small lists are written once whole: the write lock is held through a download only when
  // there is much to write.
  while (!f.ended && !f.stop_early && f.pull->arrived() < from)
    f.changed.wait_for(hold, kEarlyPoll);
  if (f.ended || f.stop_early) return false;
  f.early_running = true;
  spdlog::debug("{}: a first fill, written as its list arrives ({} elements so far)",
                f.resource.endpoint, f.pull->arrived());
  hold.unlock();
  auto let_go = [&] {
    f.pull->abandon_early_apply();
    if (!hold.owns_lock()) hold.lock();
    f.early_running = false;
    hold.unlock();
    f.changed.notify_all();
  };
  try {
    if (!f.pull->begin_early_apply(options)) {
      let_go();
      return false;
    }
    for (;;) {
      const bool caught_up = f.pull->store_arrived() == 0;
      hold.lock();
      if (caught_up && !f.ended && !f.stop_early) f.changed.wait_for(hold, kEarlyPoll);
      if (f.stop_early) {
        hold.unlock();
        let_go();
        return false;
      }
      const bool ended = f.ended;
      hold.unlock();
      if (ended) break;
    }
    f.pull->store_arrived();  // what was published just before the end
  } catch (...) {
    let_go();
    throw;
  }
  hold.lock();
  f.early_running = false;
  return true;
}

// A fetched collection: applied when it arrived whole, reported either way.
void apply_fetched(storage::Mirror& mirror, InFlight& f, CycleOptions& options,
                   CycleReport& report) {
  const model::Resource& r = f.resource;
  if (!f.outcome.ok()) f.pull->abandon_early_apply();  // written early, but the list broke off
  if (f.outcome.status == FetchOutcome::Status::kUnavailable && r.optional) {
    report.skipped.push_back(std::string(r.endpoint));
    return;
  }
  if (!f.outcome.ok()) {
    if (f.outcome.token_refused) report.token_refused = true;
    report.pull_failures.push_back(std::string(r.endpoint) + ": " + f.outcome.message);
    // A host that does not answer makes every resource fail alike: said once, not per resource.
    spdlog::log(f.outcome.already_reported ? spdlog::level::debug : spdlog::level::err,
                "pull of {} failed, nothing of it applied: {}", r.endpoint, f.outcome.message);
    return;
  }
  PullReport pulled = f.pull->apply(pull_options_for(r, options));
  storage::record_pull_hold(mirror, r.endpoint, pulled.held, pulled.held_reason);
  if (pulled.skipped > 0)
    report.skipped_elements.push_back(
        std::string(r.endpoint) + ": " + std::to_string(pulled.skipped) +
        " elements of the CRM's list skipped (see the log for why); rows they may be are kept");
  if (pulled.mass_delete_held) spdlog::error("{}", pulled.held_reason);
  if (!f.unconfirmed) options.push.freshly_pulled.insert(std::string(r.endpoint));
  keep_created_ids(pulled, options.push);
  report.pulls.push_back(std::move(pulled));
}

// The resources where this cycle's push will look for creates whose answer was lost (an intent
// left by an earlier push: this cycle's own are recorded after its pull). Only their pulls note
// the ids they found new: a first sync finds every element new, and a million ids held to the
// end of the cycle were 16 MiB of its memory.
void expect_lost_creates(storage::Mirror& mirror, PushOptions& push) {
  storage::StatementCache statements(mirror.db());
  storage::PushLedger ledger(mirror.db(), statements);
  for (const storage::UnansweredCreate& create : ledger.unanswered_creates())
    push.freshly_created[create.endpoint];
}

// Nothing is read nor sent to an account not known to be the mirror's own.
void refuse_unconfirmed_account(storage::Mirror& mirror, const AccountUnconfirmed& unconfirmed,
                                const std::vector<const model::Resource*>& order,
                                CycleReport& report) {
  spdlog::error("{}", unconfirmed.message);
  report.token_refused = unconfirmed.token_refused;
  report.run_id = start_run(mirror.db());
  for (const model::Resource* r : order)
    report.pull_failures.push_back(std::string(r->endpoint) +
                                   ": not read, as the account could not be confirmed");
  report.pull_failures.push_back(unconfirmed.message);
  finish_run(mirror.db(), report);
}

// Reads every collection of `order` and applies each, in order, on the mirror's own thread.
asio::awaitable<void> pull_in_order(storage::Mirror& mirror, CrmReader& reader, CrmWriter& writer,
                                    const std::vector<const model::Resource*>& order,
                                    CycleOptions& options, CycleReport& report) {
  const auto executor = co_await asio::this_coro::executor;
  asio::thread_pool mirror_writer(1);
  std::shared_ptr<InFlight> current, next;
  std::exception_ptr error;
  try {
    for (std::size_t i = 0; i < order.size(); ++i) {
      if (stop_requested(options)) {
        report.stopped = true;
        break;
      }
      current = next ? std::move(next) : start_fetch(executor, mirror, reader, *order[i], options);
      next.reset();
      // The next collection is requested at once: the CRM prepares and sends it while this one
      // is still read and then written to the mirror. Collections are applied in order.
      if (i + 1 < order.size())
        next = start_fetch(executor, mirror, reader, *order[i + 1], options);
      if (current->pull->first_fill())
        co_await asio::co_spawn(
            mirror_writer.get_executor(),
            [&]() -> asio::awaitable<void> {
              apply_early(*current, pull_options_for(current->resource, options),
                          options.early_apply_from);
              co_return;
            },
            asio::use_awaitable);
      co_await wait_for(*current);
      co_await confirm_deletions(*current, writer);
      // Written on the mirror's own thread, while this one goes on reading the next collection
      // (on 2 cores a first pull takes about a third less). The connection is opened with
      // SQLite's full mutex; what this thread does with it meanwhile is reading.
      co_await asio::co_spawn(
          mirror_writer.get_executor(),
          [&]() -> asio::awaitable<void> {
            apply_fetched(mirror, *current, options, report);
            co_return;
          },
          asio::use_awaitable);
    }
  } catch (...) {
    error = std::current_exception();  // rethrown below, once nothing runs in the background
  }
  // Stopped or failed: not applied (a first fill begun early is rolled back with its pull).
  if (current) co_await wait_for(*current, /*rethrow=*/false);
  current.reset();
  if (next) co_await wait_for(*next, /*rethrow=*/false);
  if (error) std::rethrow_exception(error);
}

}  // namespace

std::int64_t CycleReport::pulled() const {
  std::int64_t n = 0;
  for (const PullReport& p : pulls) n += p.rows_written();
  return n;
}

bool CycleReport::mass_delete_held() const {
  return push.held > 0 || std::any_of(pulls.begin(), pulls.end(),
                                      [](const PullReport& p) { return p.mass_delete_held; });
}

bool CycleReport::ok() const {
  return !stopped && pull_failures.empty() && skipped_elements.empty() && !mass_delete_held() &&
         push.complete();
}

std::string CycleReport::summary() const {
  std::int64_t created = 0, updated = 0, deleted = 0, unchanged = 0;
  for (const PullReport& p : pulls) {
    created += p.created;
    updated += p.updated;
    deleted += p.deleted;
    unchanged += p.unchanged;
  }
  std::string line = "pulled " + std::to_string(created) + " new, " + std::to_string(updated) +
                     " changed, " + std::to_string(deleted) + " deleted, " +
                     std::to_string(unchanged) + " unchanged; pushed " +
                     std::to_string(push.created) + " created, " + std::to_string(push.updated) +
                     " updated, " + std::to_string(push.deleted) + " deleted";
  if (push.conflicts) line += "; " + std::to_string(push.conflicts) + " conflicts";
  if (push.rejected) line += "; " + std::to_string(push.rejected) + " refused";
  if (push.waiting) line += "; " + std::to_string(push.waiting) + " waiting";
  if (mass_delete_held()) line += "; mass deletion held";
  if (!pull_failures.empty())
    line += "; " + std::to_string(pull_failures.size()) + " resources not pulled";
  if (!skipped_elements.empty())
    line += "; elements skipped in " + std::to_string(skipped_elements.size()) + " resources";
  return line;
}

boost::asio::awaitable<CycleReport> run_cycle(storage::Mirror& mirror, CrmReader& reader,
                                              CrmWriter& writer, CycleOptions options) {
  CycleReport report;
  std::optional<std::chrono::steady_clock::time_point> deadline;
  if (options.timeout.count() > 0) deadline = std::chrono::steady_clock::now() + options.timeout;
  reader.begin_cycle(deadline);
  writer.begin_cycle(deadline);
  std::vector<const model::Resource*> order;
  for (const model::Resource* r : model::resources_in_pull_order())
    if (options.pull_enabled && wanted(options, r->endpoint)) order.push_back(r);
  if (options.account) {
    // Before any write in either direction: an AccountMismatch leaves both sides untouched.
    if (const auto unconfirmed = co_await confirm_account(mirror, reader, *options.account)) {
      refuse_unconfirmed_account(mirror, *unconfirmed, order, report);
      co_return report;
    }
    report.account_confirmed = true;
  }
  report.run_id = start_run(mirror.db());
  expect_lost_creates(mirror, options.push);
  co_await pull_in_order(mirror, reader, writer, order, options, report);
  if (!report.stopped && options.push_enabled) {
    options.push.stop_requested = options.stop_requested;
    report.push = co_await push_changes(mirror, writer, options.push);
  }
  finish_run(mirror.db(), report);
  co_return report;
}

}  // namespace clevertim::sync
