#include "daemon/notify.h"

#include <systemd/sd-daemon.h>
#include <time.h>

#include <cstdint>

namespace clevertim::daemon {
namespace {

void send(const std::string& state) {
  sd_notify(0, state.c_str());
}

std::uint64_t monotonic_usec() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::uint64_t>(ts.tv_sec) * 1000000u +
         static_cast<std::uint64_t>(ts.tv_nsec) / 1000u;
}

}  // namespace

void Notifier::ready() const {
  send("READY=1");
}
void Notifier::status(const std::string& text) const {
  send("STATUS=" + text);
}
void Notifier::watchdog() const {
  send("WATCHDOG=1");
}
// systemd 253+ wants MONOTONIC_USEC with RELOADING=1; older ones ignore it.
void Notifier::reloading() const {
  send("RELOADING=1\nMONOTONIC_USEC=" + std::to_string(monotonic_usec()));
}
void Notifier::stopping() const {
  send("STOPPING=1");
}

std::optional<std::chrono::microseconds> Notifier::watchdog_period() const {
  std::uint64_t usec = 0;
  if (sd_watchdog_enabled(0, &usec) <= 0 || usec == 0) return std::nullopt;
  return std::chrono::microseconds(usec / 2);
}

}  // namespace clevertim::daemon
