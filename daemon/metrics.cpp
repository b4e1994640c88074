#include "daemon/metrics.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cstdio>
#include <ctime>
#include <fstream>
#include <optional>
#include <sstream>

#include "model/resources.h"

namespace clevertim::daemon {
namespace {

namespace fs = std::filesystem;

// Seconds since the epoch of an ISO UTC time as the mirror records it ("2026-12-01T10:40:21Z",
// with or without a fraction); nullopt when it cannot be read.
std::optional<double> epoch_seconds(const std::string& iso) {
  std::tm tm{};
  if (iso.size() < 19 || strptime(iso.substr(0, 19).c_str(), "%Y-%m-%dT%H:%M:%S", &tm) == nullptr)
    return std::nullopt;
  double seconds = static_cast<double>(timegm(&tm));
  if (iso.size() > 20 && iso[19] == '.') {
    double fraction = 0;
    double scale = 0.1;
    for (std::size_t i = 20; i < iso.size() && iso[i] >= '0' && iso[i] <= '9'; ++i, scale /= 10)
      fraction += (iso[i] - '0') * scale;
    seconds += fraction;
  }
  return seconds;
}

class Exposition {
 public:
  void family(const char* name, const char* type, const char* help) {
    out_ << "# HELP " << name << " " << help << "\n# TYPE " << name << " " << type << "\n";
  }
  void sample(const char* name, double value, const std::string& labels = "") {
    out_ << name;
    if (!labels.empty()) out_ << "{" << labels << "}";
    char number[64];
    std::snprintf(number, sizeof number, "%.15g", value);
    out_ << " " << number << "\n";
  }
  std::string text() const { return out_.str(); }

 private:
  std::ostringstream out_;
};

// Label values here are resource names and outcome words: no character needs escaping.
std::string label(const char* name, const std::string& value) {
  return std::string(name) + "=\"" + value + "\"";
}

void write_atomically(const fs::path& file, const std::string& text) {
  const fs::path temporary = file.string() + ".tmp." + std::to_string(::getpid());
  {
    std::ofstream out(temporary, std::ios::trunc);
    out << text;
    if (!out.flush()) throw std::runtime_error("cannot write " + temporary.string());
  }
  std::error_code ec;
  fs::permissions(temporary,
                  fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read |
                      fs::perms::others_read,
                  ec);
  fs::rename(temporary, file, ec);
  if (ec) {
    fs::remove(temporary, ec);
    throw std::runtime_error("cannot replace " + file.string());
  }
}

}  // namespace

std::string prometheus_text(const storage::MirrorStatus& status, const storage::Traffic& traffic,
                            bool daemon_running, std::int64_t interval_seconds) {
  Exposition e;
  e.family("clevertim_sync_daemon_running", "gauge",
           "1 when a clevertim-sync run holds the mirror's lock");
  e.sample("clevertim_sync_daemon_running", daemon_running ? 1 : 0);
  e.family("clevertim_sync_interval_seconds", "gauge", "Time between full cycles");
  e.sample("clevertim_sync_interval_seconds", static_cast<double>(interval_seconds));
  if (status.last_run) {
    e.family("clevertim_sync_last_run_timestamp_seconds", "gauge",
             "When the last cycle started (Unix time)");
    if (auto t = epoch_seconds(status.last_run->started_at))
      e.sample("clevertim_sync_last_run_timestamp_seconds", *t);
    const auto start = epoch_seconds(status.last_run->started_at);
    const auto end = epoch_seconds(status.last_run->ended_at);
    if (start && end) {
      e.family("clevertim_sync_last_run_duration_seconds", "gauge",
               "How long the last finished cycle took");
      e.sample("clevertim_sync_last_run_duration_seconds", *end - *start);
    }
    e.family("clevertim_sync_last_run_failures", "gauge",
             "Resources or changes the last cycle could not pull or push");
    e.sample("clevertim_sync_last_run_failures", static_cast<double>(status.last_run->failed));
  }
  e.family("clevertim_sync_last_success_timestamp_seconds", "gauge",
           "When the last cycle with nothing failed started (Unix time; 0: never)");
  e.sample("clevertim_sync_last_success_timestamp_seconds",
           status.last_success ? epoch_seconds(status.last_success->started_at).value_or(0) : 0);

  e.family("clevertim_sync_rows", "gauge", "Rows of the mirror, per resource");
  for (const auto& [ep, r] : status.resources)
    e.sample("clevertim_sync_rows", static_cast<double>(r.rows), label("resource", ep));
  e.family("clevertim_sync_pending_rows", "gauge", "Rows with local changes not pushed yet");
  for (const auto& [ep, r] : status.resources)
    e.sample("clevertim_sync_pending_rows", static_cast<double>(r.pending), label("resource", ep));
  e.family("clevertim_sync_error_rows", "gauge",
           "Rows whose change the CRM refused (see sync_error; `clevertim-sync retry`)");
  for (const auto& [ep, r] : status.resources)
    e.sample("clevertim_sync_error_rows", static_cast<double>(r.errors), label("resource", ep));
  e.family("clevertim_sync_conflict_rows", "gauge", "Rows waiting in a manual conflict");
  for (const auto& [ep, r] : status.resources)
    e.sample("clevertim_sync_conflict_rows", static_cast<double>(r.conflicts),
             label("resource", ep));
  e.family("clevertim_sync_open_conflicts", "gauge",
           "Conflicts waiting for a person (`clevertim-sync conflicts`)");
  e.sample("clevertim_sync_open_conflicts", static_cast<double>(status.open_conflicts));
  e.family("clevertim_sync_held_deletions", "gauge",
           "Deletions held by the mass-deletion guard (`sync --allow-mass-delete`)");
  for (const model::Resource& r : model::all_resources()) {
    if (r.read_only) continue;
    for (const char* direction : {"pull", "push"}) {
      std::int64_t n = 0;
      for (const auto& h : status.held_deletions)
        if (h.resource == r.endpoint && h.direction == direction) n += h.count;
      e.sample("clevertim_sync_held_deletions", static_cast<double>(n),
               label("resource", std::string(r.endpoint)) + "," + label("direction", direction));
    }
  }
  e.family("clevertim_sync_outbox_changes", "gauge", "Captured local changes waiting to be sent");
  e.sample("clevertim_sync_outbox_changes", static_cast<double>(status.outbox));

  e.family("clevertim_sync_requests_total", "counter",
           "Requests sent to the CRM (each attempt), by outcome");
  e.sample("clevertim_sync_requests_total",
           static_cast<double>(traffic.attempts.contains("ok") ? traffic.attempts.at("ok") : 0),
           label("outcome", "ok"));
  for (const auto& [outcome, n] : traffic.attempts)
    if (outcome != "ok")
      e.sample("clevertim_sync_requests_total", static_cast<double>(n), label("outcome", outcome));
  e.family("clevertim_sync_retries_total", "counter", "Attempts that retried a failed request");
  e.sample("clevertim_sync_retries_total", static_cast<double>(traffic.retries));
  e.family("clevertim_sync_pulled_bytes_total", "counter",
           "Body bytes of the CRM's lists that arrived whole");
  e.sample("clevertim_sync_pulled_bytes_total", static_cast<double>(traffic.pulled_bytes));
  return e.text();
}

void record_cycle_metrics(storage::Mirror& mirror, const storage::Traffic& traffic,
                          const ServiceSettings& settings, bool daemon_running,
                          std::int64_t interval_seconds) {
  try {
    storage::add_traffic(mirror, traffic);
    if (settings.metrics_file.empty()) return;
    write_atomically(settings.metrics_file,
                     prometheus_text(storage::read_status(mirror), storage::read_traffic(mirror),
                                     daemon_running, interval_seconds));
  } catch (const std::exception& e) {
    spdlog::warn(
        "could not record the metrics ({}): {}; check that metrics.textfile's folder exists "
        "and is writable; the sync itself is not affected",
        settings.metrics_file.string(), e.what());
  }
}

}  // namespace clevertim::daemon
