// One request as the HTTP client sends it, independent of the connection it goes out on; what
// one try of it on one connection came to; and the failures it can end in. Internal to the
// HTTP client (http_client.cpp, http_connect.cpp, http_exchange.cpp); callers see only
// http_client.h.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/beast/http/verb.hpp>
#include <boost/system/error_code.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "http/compact_taker.h"
#include "http/failure.h"
#include "http/http_client.h"
#include "http/json_stream.h"

namespace clevertim::sync::http_detail {

using Clock = std::chrono::steady_clock;

struct Request {
  boost::beast::http::verb verb;
  std::string target;  // "/api/contact/42"
  std::optional<std::string> body;
  bool need_content;
  EnvelopeStream::ElementSink sink;
  CompactTaker take_compact{};  // set: offered each element as text first (json_stream.h)
  const HttpClient::ProgressFn* progress = nullptr;
  // Set for a read-all: each piece of its body is parsed, and its elements handed over, on this
  // executor (one strand per answer) while the next piece is read from the socket. Two lists
  // streaming at once are then parsed on two cores, not taking turns on the reading thread.
  std::optional<boost::asio::any_io_executor> parse_on = std::nullopt;

  bool idempotent() const { return verb != boost::beast::http::verb::post; }
  std::string what() const;  // "GET /api/contact"
};

// The outcome of one try on one connection.
struct Attempt {
  Result<FetchStats> result;
  bool reusable = false;  // the connection can carry another request
  // The connection was found closed before any answer arrived: worth one more try on a fresh
  // connection if that is safe; `sent_nothing` says the request certainly never left.
  bool closed_before_answer = false;
  bool sent_nothing = false;
};

// When each phase must end: now + the phase's timeout, but never after the deadline a sync
// cycle set (HttpClient::set_deadline).
struct Deadlines {
  std::chrono::milliseconds connect_timeout;
  std::chrono::milliseconds request_timeout;
  std::optional<Clock::time_point> overall;

  Clock::time_point bound(Clock::duration phase) const;
  bool passed() const { return overall && Clock::now() >= *overall; }
};

// ---- failures: pure functions of what was seen (http_answer.cpp) --------------------------

Failure failure(const Request& req, FailureKind kind, int status, std::string message,
                bool maybe_reached);

// A transport error, named by phase, never containing request headers.
Failure transport_failure(const Request& req, std::string_view phase,
                          const boost::system::error_code& ec, bool maybe_reached);

// A failure to connect: the host cannot be reached (or does not answer) now; a timeout is
// named by the setting that bounds it, so that the reader knows what to change.
Failure connect_failure(const Request& req, const std::string& phase,
                        const boost::system::error_code& ec,
                        std::chrono::milliseconds connect_timeout);

// A non-200 answer: the server's error text when it sent an error envelope, else the status.
Failure status_failure(const Request& req, int status, std::string_view reason,
                       std::string_view body, std::optional<std::chrono::milliseconds> retry);

// Whether a non-200 answer rules out that the request took effect (see http_answer.cpp).
bool definite_refusal(int status, bool api_error_envelope);

// The client is shutting down: not retryable, so no retry loop keeps a stopping daemon busy.
Failure cancelled(const Request& req, bool maybe_reached);

// The cycle's deadline passed: kTimeout, marked so that the retry loop stops.
Failure past_deadline(const Request& req, bool maybe_reached);

}  // namespace clevertim::sync::http_detail
