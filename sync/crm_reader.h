// The reads a pull makes: every element of one collection, handed over one at a time as the
// answer streams in. The HTTP implementation (with retries) lives in http_crm.h.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/json/fwd.hpp>

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace clevertim::sync {

struct FetchOutcome {
  enum class Status {
    kOk,           // the whole collection arrived intact
    kUnavailable,  // the endpoint does not exist here (404 / 501 on an optional resource)
    kFailed,       // anything else, retries exhausted: nothing may be applied
  };
  Status status = Status::kOk;
  std::string message;      // what went wrong, in words (never the token)
  std::uint64_t bytes = 0;  // body bytes received

  bool ok() const { return status == Status::kOk; }
};

class CrmReader {
 public:
  virtual ~CrmReader() = default;
  // Calls `on_element` for each element of `content`. A retry after a failure half-way calls
  // `on_restart` first: everything handed over before it must be forgotten.
  virtual boost::asio::awaitable<FetchOutcome> fetch_all(
      std::string_view resource, const std::function<void(const boost::json::value&)>& on_element,
      const std::function<void()>& on_restart) = 0;
};

}  // namespace clevertim::sync
