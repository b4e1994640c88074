#include <grp.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>

#include "config/config.h"
#include "daemon/command_line.h"
#include "http/url.h"
#include "sync/account.h"
#include "sync/merge.h"

namespace clevertim::daemon {

ServiceSettings load_settings(const CommandLine& cl, bool need_token) {
  config::Config c;
  std::error_code ec;
  if (cl.config_given || std::filesystem::exists(cl.config_file, ec))
    c = config::load_config(cl.config_file);
  config::apply_overrides(c, {cl.database, cl.url, cl.interval, cl.log_level});

  ServiceSettings s;
  s.config_file = c.file;
  s.database = c.storage.database;
  if (!c.storage.report_group.empty()) {
    const group* g = getgrnam(c.storage.report_group.c_str());
    if (g == nullptr)
      throw config::ConfigError("storage.report_group names '" + c.storage.report_group +
                                "', which is not a group on this machine");
    s.report_group = g->gr_gid;
  }
  // A URL that cannot be used is a configuration error (exit 2), said as such; it used to
  // surface as "the mirror could not be written".
  try {
    sync::parse_base_url(c.server.url);
  } catch (const std::invalid_argument& e) {
    throw config::ConfigError("server.url (or --url) cannot be used: " + std::string(e.what()) +
                              "; give the API's base URL, such as https://www.clevertim.com/api");
  }
  s.interval = c.sync.interval;
  s.log_level = c.log_level;
  s.metrics_file = c.metrics.textfile;

  s.client.base_url = c.server.url;
  if (need_token) s.client.token = config::load_token(c);
  s.client.ca_file = c.server.ca_file;
  s.client.allow_insecure_http = c.server.allow_insecure_http;
  s.client.connect_timeout = c.server.connect_timeout;
  s.client.request_timeout = c.server.request_timeout;
  s.client.max_connections = c.server.max_connections;
  s.client.max_element_size = c.sync.max_element_size;

  s.retry.base = c.sync.retry_base;
  s.retry.cap = c.sync.retry_cap;
  s.retry.attempts = c.sync.retry_attempts;

  s.cycle.resources = c.sync.resources;
  s.cycle.account = sync::AccountCheck{c.server.url, false};
  s.cycle.pull.mass_delete_share = c.sync.mass_delete_share;
  s.cycle.pull.mass_delete_min = c.sync.mass_delete_min;
  s.cycle.push.policy = *sync::parse_conflict_policy(c.sync.conflict_policy);
  s.cycle.push.mass_delete_share = c.sync.mass_delete_share;
  s.cycle.push.mass_delete_min = c.sync.mass_delete_min;
  s.cycle.push.concurrency = c.server.max_connections;
  s.cycle.timeout = c.sync.cycle_timeout;
  // The project's tests write every first fill as it arrives (its accounts are small).
  if (const char* from = std::getenv("CLEVERTIM_EARLY_APPLY_FROM"); from != nullptr && *from)
    s.cycle.early_apply_from = std::max<long long>(1, std::atoll(from));
  if (const char* rows = std::getenv("CLEVERTIM_ROWS_PER_PAGE"); rows != nullptr && *rows)
    s.cycle.pull.rows_per_page = static_cast<std::size_t>(std::max<long long>(1, std::atoll(rows)));
  return s;
}

}  // namespace clevertim::daemon
