// How a request to the CRM went wrong, as a value: every HttpClient call answers with a
// Result<T> that holds either the value or one Failure, never an exception. The kinds follow
// the status codes of API.md, plus the ways a transport can fail.
//
// A Failure never carries the API token: messages name the URL path, the status code and the
// server's own "error" text, nothing from the request headers.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace clevertim::sync {

enum class FailureKind {
  kBadRequest,    // 400: validation failed; the server's `error` says why
  kUnauthorized,  // 401: bad token
  kForbidden,     // 403: e.g. a read-only user writing
  kNotFound,      // 404: no element with that id
  kBadBody,       // 500: the server could not parse the JSON we sent
  kNotSupported,  // 501: operation not supported (PUT on a comment)
  kRateLimited,   // 429
  kServerError,   // any other 5xx (502, 503, 504, ...)
  kOtherStatus,   // any other non-200 code, or a caller mistake caught before sending
  kNetwork,       // resolve / connect / reset / closed mid-body
  kTimeout,       // a phase ran past its deadline
  kTls,           // handshake or certificate verification failed
  kBadJson,       // a 200 whose body is not JSON, or is truncated, or cannot be decoded
  kBadEnvelope,   // JSON, but not {"status":"OK","content":[...]} as the call needs
};

std::string_view to_string(FailureKind kind);
// The same as one word for a metric's label: "server_error", "network", "rate_limited", ...
std::string_view metric_label(FailureKind kind);

// The kind for a non-200 HTTP status code.
FailureKind kind_for_status(int http_status);

struct Failure {
  FailureKind kind = FailureKind::kOtherStatus;
  int http_status = 0;  // 0 when no status line arrived
  // The server's "error" text when it sent one, else a short description naming the method
  // and URL path.
  std::string message;
  // From a Retry-After header (429 / 503); how long the server asked us to wait.
  std::optional<std::chrono::milliseconds> retry_after;
  // True when the request may have had an effect on the server: it was written completely
  // and no definite refusal came back (a timeout or reset while waiting for the answer, a 200
  // whose body was cut short, and any status but a 4xx other than 429, a 501, or a 500 with
  // the API's error envelope: a proxy may answer 502, 503, 504 or 429 after the backend
  // committed). False when the request certainly did not take effect (connect/TLS failures,
  // a failed write, those definite refusals).
  bool maybe_reached_server = false;
  // False for requests that must not be repeated blindly (POST: it would create twice).
  bool idempotent = true;
  // The server could not be reached or did not answer at all: the name lookup, TCP connect
  // or TLS handshake failed or ran past connect_timeout, or not one byte of an answer came
  // within request_timeout. Any other request to it would most likely fare the same.
  bool unreachable = false;
  // Not sent, or cut short, because the deadline given to HttpClient::set_deadline passed.
  bool past_deadline = false;

  // Whether sending the same request again may succeed and is safe: transient kinds
  // (network, timeout, 429, 5xx other than 500/501, bad or truncated JSON) and, for a
  // non-idempotent request, only when it certainly did not reach the server. Never for
  // 400/401/403/404, 500 (our body was not parseable JSON: resending it will not help) or 501.
  bool retryable() const;

  // One line for logs and error reports: kind, status, message, Retry-After.
  std::string describe() const;
};

// Stands in for "no value" in Result<Empty> (DELETE).
struct Empty {};

// Either a T or a Failure. Small on purpose (std::expected is not in g++ 12):
//
//   Result<boost::json::object> r = co_await client.get_one("contact", 42);
//   if (!r) log(r.failure().describe());
//   else use(r.value());
//
// A default-constructed Result is a failure ("no result"), so that nothing can be mistaken
// for success by accident (asio default-constructs results on its exception path).
template <class T>
class Result {
 public:
  Result() : v_(Failure{FailureKind::kOtherStatus, 0, "no result", {}, false, true}) {}
  Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}
  Result(Failure failure) : v_(std::in_place_index<1>, std::move(failure)) {}

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  // Precondition: ok().
  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  // Precondition: !ok().
  Failure& failure() & { return std::get<1>(v_); }
  const Failure& failure() const& { return std::get<1>(v_); }
  Failure&& failure() && { return std::get<1>(std::move(v_)); }

 private:
  std::variant<T, Failure> v_;
};

}  // namespace clevertim::sync
