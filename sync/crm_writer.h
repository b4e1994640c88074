// The writes a push makes to the CRM, as the push sees them: create, update, delete, each
// answered with one of a few outcomes. The HTTP implementation (with retries) lives in
// crm_over_http.h; tests may substitute their own.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/json/object.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace clevertim::sync {

struct WriteResult {
  enum class Status {
    kOk,            // done; `element` is the CRM's stored element (create / update)
    kNotFound,      // 404: no such element (a DELETE counts this as done)
    kRejected,      // 400 / 500 / 501: this change will fail again until it changes
    kUnauthorized,  // 401 / 403: the API token was refused. Not a property of the change:
                    // nothing changed remotely, and no other write fares better until the
                    // token is fixed
    kRetryLater,    // 5xx / 429 / network, retries exhausted: nothing changed remotely
    kUnknown,       // the request may have reached the CRM and no definite answer came (a
                    // POST that timed out, or answered 502/503/504/429: a proxy may say so
                    // after the backend created it): it must be checked before being sent
                    // again
  };
  Status status = Status::kOk;
  boost::json::object element;
  std::string message;  // the server's error text, or what went wrong, in words

  bool ok() const { return status == Status::kOk; }
};

class CrmWriter {
 public:
  virtual ~CrmWriter() = default;
  // As CrmReader::begin_cycle (an object that is both gets one call for both).
  virtual void begin_cycle(std::optional<std::chrono::steady_clock::time_point> deadline) {
    (void)deadline;
  }
  virtual boost::asio::awaitable<WriteResult> create(std::string_view resource,
                                                     boost::json::object element) = 0;
  virtual boost::asio::awaitable<WriteResult> update(std::string_view resource, std::int64_t id,
                                                     boost::json::object changes) = 0;
  virtual boost::asio::awaitable<WriteResult> remove(std::string_view resource,
                                                     std::int64_t id) = 0;
  // GET one element: kOk with it, kNotFound (404: it is really gone), or a failure. How a
  // deletion seen in a read-all is confirmed before anything is re-created because of it: a
  // list that is transiently short must not make a duplicate.
  virtual boost::asio::awaitable<WriteResult> read_one(std::string_view resource,
                                                       std::int64_t id) = 0;
};

}  // namespace clevertim::sync
