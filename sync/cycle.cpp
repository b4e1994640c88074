#include "sync/cycle.h"

#include <SQLiteCpp/Statement.h>
#include <spdlog/spdlog.h>

#include <boost/json/value.hpp>

#include <algorithm>
#include <optional>

#include "model/resources.h"
#include "storage/clock.h"

namespace clevertim::sync {
namespace {

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
  for (const std::string& p : report.push.problems) error += (error.empty() ? "" : "; ") + p;
  SQLite::Statement q(db,
                      "UPDATE sync_runs SET ended_at = ?, pulled = ?, pushed = ?, failed = ?, "
                      "error = ? WHERE id = ?");
  q.bind(1, storage::utc_now_iso());
  q.bind(2, report.pulled());
  q.bind(3, report.push.pushed());
  q.bind(4, static_cast<std::int64_t>(report.pull_failures.size()) + report.push.rejected +
                report.push.waiting + report.push.held);
  error.empty() ? q.bind(5) : q.bind(5, error);
  q.bind(6, report.run_id);
  q.exec();
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
  return !stopped && pull_failures.empty() && !mass_delete_held() && push.complete();
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
  return line;
}

boost::asio::awaitable<CycleReport> run_cycle(storage::Mirror& mirror, CrmReader& reader,
                                              CrmWriter& writer, CycleOptions options) {
  CycleReport report;
  report.run_id = start_run(mirror.db());
  for (const model::Resource& r : model::all_resources()) {
    if (!options.pull_enabled || !wanted(options, r.endpoint)) continue;
    if (stop_requested(options)) {
      report.stopped = true;
      break;
    }
    std::optional<ResourcePull> pull;
    pull.emplace(mirror, r);
    std::int64_t seen = 0;
    auto on_element = [&](const boost::json::value& element) {
      pull->accept(element);
      if (options.progress && (++seen % 1000) == 0) options.progress(r.endpoint, seen, 0);
    };
    auto on_restart = [&] {
      pull.emplace(mirror, r);  // forget a half-received list
      seen = 0;
    };
    const FetchOutcome outcome = co_await reader.fetch_all(r.endpoint, on_element, on_restart);
    if (options.progress) options.progress(r.endpoint, seen, outcome.bytes);
    if (outcome.status == FetchOutcome::Status::kUnavailable && r.optional) {
      report.skipped.push_back(std::string(r.endpoint));
      continue;
    }
    if (!outcome.ok()) {
      report.pull_failures.push_back(std::string(r.endpoint) + ": " + outcome.message);
      spdlog::error("pull of {} failed, nothing of it applied: {}", r.endpoint, outcome.message);
      continue;
    }
    PullReport pulled = pull->apply(options.pull);
    if (pulled.mass_delete_held) spdlog::error("{}", pulled.held_reason);
    options.push.freshly_pulled.insert(std::string(r.endpoint));
    report.pulls.push_back(std::move(pulled));
  }
  if (!report.stopped) {
    options.push.stop_requested = options.stop_requested;
    report.push = co_await push_changes(mirror, writer, options.push);
  }
  finish_run(mirror.db(), report);
  co_return report;
}

}  // namespace clevertim::sync
