// The CRM's base URL, taken apart once so that every request only appends
// "/{resource}[/{id}]" to `base_path`.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace clevertim::sync {

struct BaseUrl {
  std::string scheme;      // "http" or "https", lower case
  std::string host;        // name or address; IPv6 without brackets ("::1")
  std::uint16_t port = 0;  // explicit, or 80 / 443 from the scheme
  std::string base_path;   // "/api"; never ends with '/'; "" for the root

  bool tls() const { return scheme == "https"; }
  // The Host header value: brackets around IPv6, port only when not the default.
  std::string host_header() const;
  // "scheme://host:port/base": for messages (holds nothing secret).
  std::string to_string() const;
};

// Parses "https://www.clevertim.com/api", "http://127.0.0.1:8080/api", "http://[::1]:9/api".
// Throws std::invalid_argument naming what is wrong: an unknown scheme, no host, a bad port,
// user info ("user:pass@" would put a secret in the URL), a query or fragment, whitespace.
BaseUrl parse_base_url(std::string_view text);

// True for "localhost" and loopback addresses (127.0.0.0/8, ::1), with or without brackets.
bool is_loopback(std::string_view host);

}  // namespace clevertim::sync
