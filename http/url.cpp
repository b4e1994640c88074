#include "http/url.h"

#include <boost/asio/ip/address.hpp>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <stdexcept>

namespace clevertim::sync {
namespace {

[[noreturn]] void bad(std::string_view text, std::string_view why) {
  throw std::invalid_argument("invalid base URL '" + std::string(text) + "': " + std::string(why));
}

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

}  // namespace

std::string BaseUrl::host_header() const {
  std::string h = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  if (port != (tls() ? 443 : 80)) h += ":" + std::to_string(port);
  return h;
}

std::string BaseUrl::to_string() const {
  std::string h = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  return scheme + "://" + h + ":" + std::to_string(port) + base_path;
}

namespace {

// The host of `authority` into url.host (an IPv6 address in brackets, or a name); returns the
// port's text, "" when none is given.
std::string_view read_host(std::string_view text, std::string_view authority, BaseUrl& url) {
  std::string_view port_text;
  if (!authority.empty() && authority.front() == '[') {
    auto close = authority.find(']');
    if (close == std::string_view::npos) bad(text, "unclosed '[' in IPv6 host");
    url.host = std::string(authority.substr(1, close - 1));
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') bad(text, "unexpected text after IPv6 host");
      port_text = after.substr(1);
      if (port_text.empty()) bad(text, "empty port");
    }
    boost::system::error_code ec;
    auto addr = boost::asio::ip::make_address(url.host, ec);
    if (ec || !addr.is_v6()) bad(text, "not an IPv6 address inside '[...]'");
  } else {
    auto colon = authority.find(':');
    url.host = lower(authority.substr(0, colon));
    if (colon != std::string_view::npos) {
      port_text = authority.substr(colon + 1);
      if (port_text.empty()) bad(text, "empty port");
    }
    for (char c : url.host) {
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '-' && c != '_') {
        bad(text, "host contains an invalid character");
      }
    }
  }
  if (url.host.empty()) bad(text, "no host");
  return port_text;
}

// The port given, or the scheme's own.
std::uint16_t read_port(std::string_view text, std::string_view port_text, bool tls) {
  if (port_text.empty()) return tls ? 443 : 80;
  unsigned value = 0;
  auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), value);
  if (ec != std::errc() || end != port_text.data() + port_text.size() || value == 0 ||
      value > 65535) {
    bad(text, "port must be a number from 1 to 65535");
  }
  return static_cast<std::uint16_t>(value);
}

}  // namespace

BaseUrl parse_base_url(std::string_view text) {
  for (unsigned char c : text) {
    if (c <= 0x20 || c == 0x7f) bad(text, "contains whitespace or control characters");
  }
  BaseUrl url;
  auto sep = text.find("://");
  if (sep == std::string_view::npos) bad(text, "expected scheme://host[:port][/path]");
  url.scheme = lower(text.substr(0, sep));
  if (url.scheme != "http" && url.scheme != "https") bad(text, "scheme must be http or https");
  std::string_view rest = text.substr(sep + 3);
  if (rest.find_first_of("?#") != std::string_view::npos) {
    bad(text, "a query or fragment is not allowed");
  }
  auto slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  std::string_view path = slash == std::string_view::npos ? "" : rest.substr(slash);
  if (authority.find('@') != std::string_view::npos) {
    bad(text, "user info is not allowed (put the token in the configuration, not the URL)");
  }
  url.port = read_port(text, read_host(text, authority, url), url.tls());
  while (!path.empty() && path.back() == '/') path.remove_suffix(1);
  url.base_path = std::string(path);
  return url;
}

bool is_loopback(std::string_view host) {
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  if (lower(host) == "localhost") return true;
  boost::system::error_code ec;
  auto addr = boost::asio::ip::make_address(std::string(host), ec);
  return !ec && addr.is_loopback();
}

}  // namespace clevertim::sync
