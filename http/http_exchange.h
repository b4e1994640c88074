// One request on one open connection: write it, read the answer's header, pump the body
// through gzip decoding and the streaming JSON envelope parser, and say what arrived. Every
// read and write is bounded by request_timeout (a body by each of its pieces) and the cycle's
// deadline. Internal to the HTTP client.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include <cstdint>

#include "http/http_connection.h"
#include "http/http_request.h"

namespace clevertim::sync::http_detail {

using OutgoingMessage = boost::beast::http::request<boost::beast::http::string_body>;

// On c.plain's TCP stream, or on c.tls's TLS stream.
boost::asio::awaitable<Attempt> exchange(boost::beast::tcp_stream& stream, Connection& c,
                                         const Request& req, OutgoingMessage& message,
                                         const Deadlines& deadlines,
                                         std::uint64_t max_element_size);
boost::asio::awaitable<Attempt> exchange(boost::beast::ssl_stream<boost::beast::tcp_stream>& stream,
                                         Connection& c, const Request& req,
                                         OutgoingMessage& message, const Deadlines& deadlines,
                                         std::uint64_t max_element_size);

}  // namespace clevertim::sync::http_detail
