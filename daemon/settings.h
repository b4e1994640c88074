// Everything the daemon needs to run, resolved from the configuration file, the command line
// and the token's source. Built by settings.cpp from config/; the token is held here and
// nowhere else, and never printed.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "sync/merge.h"
#include "sync/retry.h"

namespace clevertim::daemon {

struct ServiceSettings {
  std::filesystem::path config_file;  // empty when none was given
  std::filesystem::path database;
  std::optional<gid_t> report_group;

  std::string url;
  std::string token;
  std::string ca_file;
  bool allow_insecure_http = false;
  std::chrono::milliseconds connect_timeout{10000};
  std::chrono::milliseconds request_timeout{60000};
  int max_connections = 4;

  std::chrono::milliseconds interval{300000};
  std::vector<std::string> resources;  // empty: all
  sync::ConflictPolicy conflict_policy = sync::ConflictPolicy::kNewest;
  double mass_delete_share = 0.5;
  std::int64_t mass_delete_min = 5;
  sync::RetryPolicy retry;
  std::chrono::milliseconds cycle_timeout{600000};
  std::uint64_t max_element_size = std::uint64_t{16} << 20;

  std::string log_level = "info";
  std::filesystem::path metrics_file;  // metrics.textfile; empty: none
};

}  // namespace clevertim::daemon
