// Fault injection: the ways a real server (or the proxies in front of it) misbehave, on
// demand and deterministically: every random choice comes from one generator seeded with
// `seed`, so the same requests in the same order meet the same faults, and a failing test can
// be replayed. Faults hit API requests only, never the control API.
#pragma once

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <cstdint>
#include <deque>
#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace clevertim::emulator {

enum class Fault {
  kNone,
  kServerError,      // a status from FaultRates::server_error_statuses, no Retry-After
  kRateLimited,      // 429 with Retry-After, error envelope
  kUnavailable,      // 503 with Retry-After, error envelope
  kReset,            // headers with the full Content-Length, part of the body, then close
  kTruncate,         // a complete HTTP 200 whose JSON body is cut short
  kEmpty,            // a read-all answers {"status":"OK","content":[]}
  kDropAfterCommit,  // a write is done, then the connection closes before any answer
  kShort,            // a read-all leaves out a random non-empty subset of its elements
  kBadId,            // a read-all in which one element's `id` is unusable (see BadId)
  // One-shot only (no rate): a write is done, then answered 503 / 429 with Retry-After and
  // the error envelope, as a proxy in front of a backend that committed may answer.
  kUnavailableAfterCommit,
  kRateLimitedAfterCommit,
};

// The name used by flags, the control API and the request log: "5xx", "429", "503", "reset",
// "truncate", "empty", "drop_after_commit", "short", "bad_id", "503_after_commit",
// "429_after_commit"; "" for kNone.
std::string_view fault_name(Fault f);
Fault parse_fault(std::string_view name);  // throws std::invalid_argument

// Faults that only hit read-alls (GET BASE/{r}); a one-shot of these waits for one.
inline bool hits_read_alls_only(Fault f) {
  return f == Fault::kEmpty || f == Fault::kShort || f == Fault::kBadId;
}

// Faults that answer without touching the account: the request is not carried out.
inline bool answers_before_commit(Fault f) {
  return f == Fault::kServerError || f == Fault::kRateLimited || f == Fault::kUnavailable;
}

struct FaultRates {  // each rate is a probability per request, 0..1
  double server_error = 0, rate_limited = 0, unavailable = 0, reset = 0, truncate = 0, empty = 0,
         drop_after_commit = 0, short_list = 0, bad_id = 0;
  // The statuses an injected 5xx picks from (500 and 502: an HTML page; any other: plain
  // text; never the API's envelope, which API.md gives a 500 one meaning: "your JSON cannot be
  // parsed"). A test that wants only proxy-style failures sets {502, 503}.
  std::vector<int> server_error_statuses = {500, 502, 503};
  int retry_after_seconds = 1;  // of injected 429 and 503
  int latency_ms = 0;           // added before every API answer
  std::uint64_t seed = 1;
};

class Faults {
 public:
  explicit Faults(FaultRates rates = {});

  // The fault for this request: the first queued one-shot that matches it, else one drawn
  // from the rates. `read_all` and `write` say what the request is: `empty` only hits
  // read-alls and `drop_after_commit` only writes (one-shots that cannot apply wait).
  // `path` is the request path in its /api form ("/api/contact/5").
  Fault draw(std::string_view method, std::string_view path, bool read_all, bool write);
  // The status of an injected 5xx, drawn from server_error_statuses.
  int server_error_status();
  // The read-all answer `body` ({"status":"OK","content":[...]}) as `f` spoils it: kShort
  // leaves out k random elements, 1 <= k <= all (the rest in order); kBadId replaces the `id`
  // of one random element by one of the values kBadIds lists (with the element's own id where
  // one is shown). An empty list, another fault, or a body that is not such a list: unchanged.
  std::string spoil_read_all(Fault f, const std::string& body);

  const FaultRates& rates() const { return rates_; }
  // {"5xx":0.2,"5xx_statuses":[500,502,503],"429":0,...,"retry_after":1,"latency_ms":0,
  //  "seed":7,"next":[...]}
  boost::json::object to_json() const;
  // Applies any of the keys to_json shows; "next" appends one-shots
  // [{"fault":"reset","method":"GET","path":"/api/contact"}] (method and path optional; the
  // path matches exactly or as a prefix). Throws std::invalid_argument naming a bad key or
  // value, and then changes nothing.
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

// What a bad_id fault puts in place of an element's id ID, in the order drawn from: "" is no
// `id` at all; "ID.0" and "ID-exp" are the element's own id written as a float ("104.0") and
// in exponent notation ("1.04e2"); the rest are written as shown.
inline constexpr std::string_view kBadIds[] = {
    "", "null", "ID.0", "ID-exp", R"("abc")", "18446744073709551616", "-5", "0"};

// [500, 502] -> {500, 502}; throws std::invalid_argument unless a non-empty list of 5xx.
std::vector<int> parse_server_error_statuses(const boost::json::value& v);

}  // namespace clevertim::emulator
