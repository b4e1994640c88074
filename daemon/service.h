// `clevertim-sync run`: the long-lived service.
//
// One io_context runs everything: a cycle every `sync.interval`; an immediate push when a
// local write lands (inotify + PRAGMA data_version, no polling of the CRM); a backoff that
// grows after failed cycles and resets on success; SIGTERM/SIGINT stop at the next safe point;
// SIGHUP reloads the configuration (a bad one is reported and the old one kept); systemd
// hears READY, STATUS after every cycle, and the watchdog.
#pragma once

#include <functional>

#include "daemon/settings.h"

namespace clevertim::daemon {

// Loads (or reloads) the settings; throws with a message naming what is wrong.
using SettingsLoader = std::function<ServiceSettings()>;

// Runs until stopped; returns the process exit code.
int run_service(const SettingsLoader& load);

}  // namespace clevertim::daemon
