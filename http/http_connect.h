// Opening a connection to the CRM: name lookup with a real deadline, TCP connect, and for
// https the TLS handshake with the certificate chain and the host name verified, all within
// one connect_timeout. Internal to the HTTP client.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ssl/context.hpp>

#include <cstdint>
#include <optional>

#include "http/http_connection.h"
#include "http/http_request.h"
#include "http/url.h"

namespace clevertim::sync::http_detail {

// A TLS client context that verifies peers against the system store or only `ca_file`, TLS 1.2
// at least. Throws std::invalid_argument when the CA store or file cannot be loaded.
boost::asio::ssl::context make_tls_context(const std::string& ca_file);

struct Endpoint {
  boost::asio::any_io_executor executor;
  const BaseUrl& url;
  boost::asio::ssl::context* tls_context;  // set for https
};

// Connects `c` (closing what it held) for `req`; std::nullopt when connected. Counts each
// TCP connection it opens in `opened`. A failure is `unreachable` (the host does not answer).
boost::asio::awaitable<std::optional<Failure>> connect(Connection& c, const Request& req,
                                                       const Endpoint& to,
                                                       const Deadlines& deadlines,
                                                       const ConnectionPool& pool,
                                                       std::uint64_t& opened);

}  // namespace clevertim::sync::http_detail
