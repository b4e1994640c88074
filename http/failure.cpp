#include "http/failure.h"

namespace clevertim::sync {

std::string_view to_string(FailureKind kind) {
  switch (kind) {
    case FailureKind::kBadRequest:
      return "bad request";
    case FailureKind::kUnauthorized:
      return "unauthorized";
    case FailureKind::kForbidden:
      return "forbidden";
    case FailureKind::kNotFound:
      return "not found";
    case FailureKind::kBadBody:
      return "server could not parse the request body";
    case FailureKind::kNotSupported:
      return "not supported";
    case FailureKind::kRateLimited:
      return "rate limited";
    case FailureKind::kServerError:
      return "server error";
    case FailureKind::kOtherStatus:
      return "unexpected status";
    case FailureKind::kNetwork:
      return "network error";
    case FailureKind::kTimeout:
      return "timeout";
    case FailureKind::kTls:
      return "TLS error";
    case FailureKind::kBadJson:
      return "invalid JSON";
    case FailureKind::kBadEnvelope:
      return "unexpected response envelope";
  }
  return "unknown";
}

std::string_view metric_label(FailureKind kind) {
  switch (kind) {
    case FailureKind::kBadRequest:
      return "bad_request";
    case FailureKind::kUnauthorized:
      return "unauthorized";
    case FailureKind::kForbidden:
      return "forbidden";
    case FailureKind::kNotFound:
      return "not_found";
    case FailureKind::kBadBody:
      return "bad_body";
    case FailureKind::kNotSupported:
      return "not_supported";
    case FailureKind::kRateLimited:
      return "rate_limited";
    case FailureKind::kServerError:
      return "server_error";
    case FailureKind::kOtherStatus:
      return "other_status";
    case FailureKind::kNetwork:
      return "network";
    case FailureKind::kTimeout:
      return "timeout";
    case FailureKind::kTls:
      return "tls";
    case FailureKind::kBadJson:
      return "bad_json";
    case FailureKind::kBadEnvelope:
      return "bad_envelope";
  }
  return "unknown";
}

FailureKind kind_for_status(int http_status) {
  switch (http_status) {
    case 400:
      return FailureKind::kBadRequest;
    case 401:
      return FailureKind::kUnauthorized;
    case 403:
      return FailureKind::kForbidden;
    case 404:
      return FailureKind::kNotFound;
    case 429:
      return FailureKind::kRateLimited;
    case 500:
      return FailureKind::kBadBody;
    case 501:
      return FailureKind::kNotSupported;
    default:
      break;
  }
  if (http_status >= 500 && http_status <= 599) return FailureKind::kServerError;
  return FailureKind::kOtherStatus;
}

bool Failure::retryable() const {
  if (past_deadline) return false;  // the time this request had is over
  bool transient = false;
  switch (kind) {
    case FailureKind::kNetwork:
    case FailureKind::kTimeout:
    case FailureKind::kRateLimited:
    case FailureKind::kServerError:
    case FailureKind::kBadJson:
      transient = true;
      break;
    default:
      break;
  }
  // Repeating a POST that may already have created the element would create it twice;
  // the caller has to look before it sends again.
  return transient && (idempotent || !maybe_reached_server);
}

std::string Failure::describe() const {
  std::string out(to_string(kind));
  if (http_status != 0) out += " (HTTP " + std::to_string(http_status) + ")";
  if (!message.empty()) out += ": " + message;
  if (retry_after) out += " [retry after " + std::to_string(retry_after->count()) + " ms]";
  return out;
}

}  // namespace clevertim::sync
