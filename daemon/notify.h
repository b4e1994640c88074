// Talking to systemd (Type=notify): readiness, status lines, the watchdog, reload and stop.
// Every call is a no-op when not started by systemd (no NOTIFY_SOCKET).
#pragma once

#include <chrono>
#include <optional>
#include <string>

namespace clevertim::daemon {

class Notifier {
 public:
  void ready() const;
  void status(const std::string& text) const;
  void watchdog() const;
  void reloading() const;
  void stopping() const;

  // How often WATCHDOG=1 must be sent: half the unit's WatchdogSec=, or nothing when the
  // watchdog is off.
  std::optional<std::chrono::microseconds> watchdog_period() const;
};

}  // namespace clevertim::daemon
