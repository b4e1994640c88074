// Time stamps written into the mirror: ISO-8601 UTC with milliseconds, sortable as text.
#pragma once

#include <string>

namespace clevertim::storage {

std::string utc_now_iso();

}  // namespace clevertim::storage
