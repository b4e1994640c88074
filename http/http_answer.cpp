// What a request came to, in words and kinds: pure functions of what was seen on the wire.
#include <boost/beast/core/error.hpp>
#include <boost/beast/http/verb.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include "http/http_request.h"

namespace clevertim::sync::http_detail {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace json = boost::json;
using boost::system::error_code;

// The "error" text of an error envelope, if the body is one.
std::optional<std::string> error_text(std::string_view body) {
  error_code ec;
  json::value v = json::parse(body, ec);
  if (ec || !v.is_object()) return std::nullopt;
  const json::value* e = v.get_object().if_contains("error");
  if (e == nullptr || !e->is_string()) return std::nullopt;
  return std::string(std::string_view(e->get_string()).substr(0, 2000));
}

}  // namespace

std::string Request::what() const {
  return std::string(http::to_string(verb)) + " " + target;
}

Clock::time_point Deadlines::bound(Clock::duration phase) const {
  const auto until = Clock::now() + phase;
  return overall && *overall < until ? *overall : until;
}

Failure failure(const Request& req, FailureKind kind, int status, std::string message,
                bool maybe_reached) {
  Failure f;
  f.kind = kind;
  f.http_status = status;
  f.message = std::move(message);
  f.maybe_reached_server = maybe_reached;
  f.idempotent = req.idempotent();
  return f;
}

Failure transport_failure(const Request& req, std::string_view phase, const error_code& ec,
                          bool maybe_reached) {
  FailureKind kind = FailureKind::kNetwork;
  if (ec == beast::error::timeout) kind = FailureKind::kTimeout;
  return failure(req, kind, 0, req.what() + ": " + std::string(phase) + ": " + ec.message(),
                 maybe_reached);
}

Failure connect_failure(const Request& req, const std::string& phase, const error_code& ec,
                        std::chrono::milliseconds connect_timeout) {
  Failure f = transport_failure(req, phase, ec, false);
  if (ec == beast::error::timeout)
    f.message = req.what() + ": " + phase + ": no answer within connect_timeout (" +
                std::to_string(connect_timeout.count()) +
                " ms, for name lookup, TCP connect and TLS handshake together)";
  f.unreachable = true;
  return f;
}

// Only a definite refusal rules out that the request took effect: a 4xx other than 429 (the
// request was refused as it is), a 501, or API.md's 500 with its error envelope (our body was
// not JSON). Anything else may come from a proxy in front of a backend that did the work: a 502
// or 504, a crash page, a 2xx or 3xx we do not expect, and also 503 and 429, which proxies and
// load balancers send after the backend committed (on their own timeout, say). A POST answered
// so must be reconciled, never sent again blindly.
bool definite_refusal(int status, bool api_error_envelope) {
  if (status == 429) return false;
  if (status >= 400 && status <= 499) return true;
  return status == 501 || (status == 500 && api_error_envelope);
}

Failure status_failure(const Request& req, int status, std::string_view reason,
                       std::string_view body, std::optional<std::chrono::milliseconds> retry) {
  auto text = error_text(body);
  std::string message;
  if (text) {
    message = std::move(*text);
  } else {
    message = req.what() + ": HTTP " + std::to_string(status) + " " + std::string(reason);
    if (!body.empty())
      message += " (" + std::to_string(body.size()) + " byte body, not an error envelope)";
  }
  // API.md's 500 ("your JSON could not be parsed") comes with an error envelope. A 500
  // without one is a crash page from the server or a proxy: transient, like a 502.
  const bool crash_page = status == 500 && !text;
  Failure f = failure(req, crash_page ? FailureKind::kServerError : kind_for_status(status), status,
                      std::move(message), !definite_refusal(status, text.has_value()));
  f.retry_after = retry;
  return f;
}

Failure cancelled(const Request& req, bool maybe_reached) {
  return failure(req, FailureKind::kOtherStatus, 0,
                 req.what() + ": cancelled, the client is shutting down", maybe_reached);
}

Failure past_deadline(const Request& req, bool maybe_reached) {
  Failure f = failure(req, FailureKind::kTimeout, 0,
                      req.what() + (maybe_reached ? ": cut short" : ": not sent") +
                          ", the time limit of this sync cycle ran out (sync.cycle_timeout)",
                      maybe_reached);
  f.past_deadline = true;
  return f;
}

}  // namespace clevertim::sync::http_detail
