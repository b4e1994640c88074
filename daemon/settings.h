// Everything the daemon needs to run, resolved from the configuration file, the command line
// and the token's source. Built by settings.cpp from config/, the one place where a
// configuration key is given to the layer that uses it: what the sync layer reads is held in
// its own option structs (`client`, `retry`, `cycle`), filled there directly, never copied
// field by field again. The token is held here (in `client`) and nowhere else, and never
// printed.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>

#include "http/http_client.h"
#include "http/retry.h"
#include "sync/cycle.h"

namespace clevertim::daemon {

struct ServiceSettings {
  // What the daemon itself uses.
  std::filesystem::path config_file;  // empty when none was given
  std::filesystem::path database;
  std::optional<gid_t> report_group;
  std::chrono::milliseconds interval{300000};
  std::string log_level = "info";
  std::filesystem::path metrics_file;  // metrics.textfile; empty: none

  // What the sync layer is given, as it takes it.
  sync::ClientOptions client;  // server.*, the token, sync.max_element_size
  sync::RetryPolicy retry;     // sync.retry_base, retry_cap, retry_attempts
  // sync.resources, conflict_policy, mass_delete_*, cycle_timeout; the account check against
  // server.url; as many pushes at once as server.max_connections. Each run copies it and sets
  // what is its own (a stop flag, progress, --allow-mass-delete).
  sync::CycleOptions cycle;
};

}  // namespace clevertim::daemon
