// Logging: to the journal with proper priorities when systemd runs us (it adds the time
// stamps), to the terminal otherwise. Never the token.
#pragma once

#include <string>

namespace clevertim::daemon {

// True when stderr is connected to the journal (JOURNAL_STREAM names it).
bool stderr_is_journal();

// Sets up the default logger; `level` is trace, debug, info, warn or error.
void setup_logging(const std::string& level);

}  // namespace clevertim::daemon
