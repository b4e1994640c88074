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

// Prints every table and column of the mirror with its meaning (report/describe.h), as
// Markdown, or as Datasette's metadata.json (for the database named after the configured
// mirror's file) with `datasette`. Reads no mirror.
int describe(const ServiceSettings& settings, bool datasette);

}  // namespace clevertim::daemon
