// The reads a pull makes: every element of one collection, handed over one at a time as the
// answer streams in. The HTTP implementation (with retries) lives in crm_over_http.h.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/json/fwd.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "http/compact_taker.h"

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
  // Not tried: the same failure as an earlier request of this cycle (the CRM does not
  // answer, the cycle's time ran out), which the log already explained once.
  bool already_reported = false;
  // The CRM refused the API token (401/403): a configuration problem, not the resource's.
  bool token_refused = false;

  bool ok() const { return status == Status::kOk; }
};

class CrmReader {
 public:
  virtual ~CrmReader() = default;
  // A sync cycle starts; it should be over by `deadline` (none: no limit). An implementation
  // that learned during the previous cycle that the CRM does not answer tries again now.
  virtual void begin_cycle(std::optional<std::chrono::steady_clock::time_point> deadline) {
    (void)deadline;
  }
  // Calls `on_element` for each element of `content`. A retry after a failure half-way calls
  // `on_restart` first: everything handed over before it must be forgotten. The callbacks may
  // run on a thread other than the caller's (the HTTP client parses on threads of its own),
  // one at a time and in order, all of them before the call returns.
  virtual boost::asio::awaitable<FetchOutcome> fetch_all(
      std::string_view resource, const std::function<void(const boost::json::value&)>& on_element,
      const std::function<void()>& on_restart) = 0;

  // The same, except that each element may first be offered to `take_compact` as its id and
  // compact text (what boost::json::serialize makes of it); one it takes (returns true) is
  // never built nor handed to `on_element`. A pull needs only the text: building every element
  // was most of a re-sync's work. This default offers nothing and hands over every element.
  virtual boost::asio::awaitable<FetchOutcome> fetch_all_compact_first(
      std::string_view resource, const std::function<void(const boost::json::value&)>& on_element,
      const std::function<void()>& on_restart, const CompactTaker& take_compact) {
    (void)take_compact;
    co_return co_await fetch_all(resource, on_element, on_restart);
  }
};

}  // namespace clevertim::sync
