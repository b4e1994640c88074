// `clevertim-sync report` and `clevertim-sync describe`: reading the mirror for people.
// In files of their own, apart from commands.cpp.
#pragma once

#include <string>

#include "daemon/settings.h"

namespace clevertim::daemon {

// Writes the HTML report (report/report.h) to `out` ("" or "-": standard output). `since` is
// "" or a date YYYY-MM-DD / a month YYYY-MM where time series start. Reads only; a missing
// mirror is exit 5 and no file is made.
int write_report(const ServiceSettings& settings, const std::string& out, const std::string& since);

}  // namespace clevertim::daemon
