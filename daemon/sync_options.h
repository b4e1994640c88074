// Settings -> the options of the library layers (HTTP client, cycle).
#pragma once

#include "daemon/settings.h"
#include "sync/cycle.h"
#include "sync/http_client.h"

namespace clevertim::daemon {

sync::ClientOptions client_options(const ServiceSettings& settings);
sync::CycleOptions cycle_options(const ServiceSettings& settings);

}  // namespace clevertim::daemon
