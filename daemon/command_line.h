// What the command line says about the configuration: the file, and the keys it overrides.
#pragma once

#include <optional>
#include <string>

#include "daemon/settings.h"

namespace clevertim::daemon {

struct CommandLine {
  std::string config_file = "/etc/clevertim-sync/clevertim-sync.toml";
  bool config_given = false;  // --config named it: a missing file is then an error
  std::optional<std::string> database;
  std::optional<std::string> url;
  std::optional<std::string> interval;
  std::optional<std::string> log_level;
};

// Reads the configuration (file, then command line overrides) and, when `need_token`, the
// token. Throws std::runtime_error with a message that names the file, line and key at fault
// and says what to do.
ServiceSettings load_settings(const CommandLine& command_line, bool need_token);

}  // namespace clevertim::daemon
