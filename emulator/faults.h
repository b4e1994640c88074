// Fault injection: the ways a real server (or the proxies in front of it) misbehave, on
// demand and deterministically (a seeded generator), so a failing test can be replayed.
#pragma once

#include <boost/json/object.hpp>

#include <cstdint>
#include <deque>
#include <random>
#include <string>
#include <string_view>

namespace clevertim::emulator {

enum class Fault {
  kNone,
  kServerError,      // 500/502 with a body that is not JSON
  kRateLimited,      // 429 with Retry-After
  kUnavailable,      // 503 with Retry-After
  kReset,            // headers with the full Content-Length, half the body, then close
  kTruncate,         // a complete 200 whose JSON is cut short
  kEmpty,            // a read-all answers an empty list
  kDropAfterCommit,  // a write is done, then the connection closes before the answer
};

struct FaultRates {
  double server_error = 0, rate_limited = 0, unavailable = 0, reset = 0, truncate = 0, empty = 0,
         drop_after_commit = 0;
  int retry_after_seconds = 1;
  int latency_ms = 0;
  std::uint64_t seed = 1;
};

class Faults {
 public:
  explicit Faults(FaultRates rates = {});

  // The fault for this request, if any: a queued one-shot first, then the rates.
  Fault draw(std::string_view method, std::string_view path, bool read_all, bool write);

  const FaultRates& rates() const { return rates_; }
  boost::json::object to_json() const;
  // Applies {"5xx":0.2,"429":0,...,"next":[{"fault":"reset","method":"GET","path":"/api/x"}]}.
  // Throws std::invalid_argument naming a bad key or value.
  void update(const boost::json::object& settings);

 private:
  struct OneShot {
    Fault fault;
    std::string method, path;
  };
  bool roll(double rate);

  FaultRates rates_;
  std::mt19937_64 rng_;
  std::deque<OneShot> next_;
};

Fault parse_fault(std::string_view name);  // "5xx", "429", "503", "reset", ...; throws

}  // namespace clevertim::emulator
