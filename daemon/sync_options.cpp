#include "daemon/sync_options.h"

namespace clevertim::daemon {

sync::ClientOptions client_options(const ServiceSettings& s) {
  sync::ClientOptions o;
  o.base_url = s.url;
  o.token = s.token;
  o.ca_file = s.ca_file;
  o.allow_insecure_http = s.allow_insecure_http;
  o.connect_timeout = s.connect_timeout;
  o.request_timeout = s.request_timeout;
  o.max_connections = s.max_connections;
  o.max_element_size = s.max_element_size;
  return o;
}

sync::CycleOptions cycle_options(const ServiceSettings& s) {
  sync::CycleOptions o;
  o.resources = s.resources;
  o.account = sync::AccountCheck{s.url, false};
  o.pull.mass_delete_share = s.mass_delete_share;
  o.pull.mass_delete_min = s.mass_delete_min;
  o.push.policy = s.conflict_policy;
  o.push.mass_delete_share = s.mass_delete_share;
  o.push.mass_delete_min = s.mass_delete_min;
  o.push.concurrency = s.max_connections;
  o.timeout = s.cycle_timeout;
  return o;
}

}  // namespace clevertim::daemon
