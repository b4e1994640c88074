// Backoff, Retry-After and the retry loop, without any network.
#include <doctest/doctest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include <algorithm>
#include <set>
#include <vector>

#include "http/retry.h"

using namespace clevertim::sync;
using std::chrono::milliseconds;

namespace {

Failure failure_of(FailureKind kind, int status = 0) {
  Failure f;
  f.kind = kind;
  f.http_status = status;
  f.message = "scripted";
  return f;
}

}  // namespace

TEST_CASE("retry: full-jitter delays stay within min(cap, base * 2^n)") {
  RetryPolicy policy{milliseconds{100}, milliseconds{1000}, 10};
  RetryRng rng(42);
  for (int retry = 0; retry < 12; ++retry) {
    const auto ceiling = std::min<std::int64_t>(1000, 100LL << std::min(retry, 20));
    milliseconds largest{0};
    for (int i = 0; i < 200; ++i) {
      auto d = backoff_delay(policy, retry, rng, std::nullopt);
      CHECK(d >= milliseconds{0});
      CHECK(d.count() <= ceiling);
      largest = std::max(largest, d);
    }
    // Jitter spreads over the range rather than sitting at the bottom.
    CHECK(largest.count() > ceiling / 2);
  }
  // Huge retry numbers saturate at the cap instead of overflowing.
  CHECK(backoff_delay(policy, 1000, rng, std::nullopt) <= milliseconds{1000});
}

TEST_CASE("retry: a seed fixes the delays, each within its bound and spread over it") {
  RetryPolicy policy;  // the defaults: 500 ms doubling up to 30 s
  REQUIRE(policy.base == milliseconds{500});
  REQUIRE(policy.cap == milliseconds{30000});
  std::vector<milliseconds> first, again, other;
  RetryRng a(7), b(7), c(8);
  for (int round = 0; round < 20; ++round)
    for (int retry = 0; retry < 8; ++retry) {
      first.push_back(backoff_delay(policy, retry, a, std::nullopt));
      again.push_back(backoff_delay(policy, retry, b, std::nullopt));
      other.push_back(backoff_delay(policy, retry, c, std::nullopt));
    }
  CHECK(first == again);  // the same seed: the same delays
  CHECK(first != other);  // another seed: other delays
  // Each within [0, min(cap, base * 2^retry)]: 500, 1000, 2000, ... 16000, then 30000.
  const std::int64_t bounds[] = {500, 1000, 2000, 4000, 8000, 16000, 30000, 30000};
  std::set<std::int64_t> distinct;
  for (size_t i = 0; i < first.size(); ++i) {
    CAPTURE(i);
    CHECK(first[i] >= milliseconds{0});
    CHECK(first[i].count() <= bounds[i % 8]);
    distinct.insert(first[i].count());
  }
  // Jitter: not one value, and the later retries reach past the first ones' bound.
  CHECK(distinct.size() > 100);
  CHECK(std::any_of(first.begin(), first.end(),
                    [](milliseconds d) { return d > milliseconds{16000}; }));
}

TEST_CASE("retry: Retry-After is a floor, cut to the cap") {
  RetryPolicy policy{milliseconds{10}, milliseconds{60000}, 5};
  RetryRng rng(1);
  CHECK(backoff_delay(policy, 0, rng, milliseconds{3000}) == milliseconds{3000});
  CHECK(backoff_delay(policy, 0, rng, milliseconds{3600000}) == milliseconds{60000});
  CHECK(backoff_delay(policy, 0, rng, milliseconds{0}) <= milliseconds{10});
  // sync.retry_cap bounds every wait: a server asking for an hour gets retry_cap.
  RetryPolicy tight{milliseconds{10}, milliseconds{50}, 5};
  CHECK(backoff_delay(tight, 0, rng, milliseconds{3600000}) == milliseconds{50});
}

TEST_CASE("retry: parsing Retry-After") {
  const auto now = std::chrono::system_clock::from_time_t(1445412480);  // 2015-10-21 07:28:00
  CHECK(parse_retry_after("120", now) == milliseconds{120000});
  CHECK(parse_retry_after(" 0 ", now) == milliseconds{0});
  CHECK(parse_retry_after("99999999999", now) == milliseconds{86400000});
  CHECK(parse_retry_after("Wed, 21 Oct 2015 07:28:30 GMT", now) == milliseconds{30000});
  CHECK(parse_retry_after("Wed, 21 Oct 2015 07:00:00 GMT", now) == milliseconds{0});
  CHECK_FALSE(parse_retry_after("", now));
  CHECK_FALSE(parse_retry_after("-5", now));
  CHECK_FALSE(parse_retry_after("soon", now));
  CHECK_FALSE(parse_retry_after("1.5", now));
}

namespace {

// Runs with_retry over a scripted list of outcomes; returns the final result and how many
// times the operation ran.
struct Scripted {
  explicit Scripted(std::vector<Result<int>> o) : outcomes(std::move(o)) {}

  std::vector<Result<int>> outcomes;
  int calls = 0;
  std::vector<milliseconds> waits;

  Result<int> run(RetryPolicy policy) {
    boost::asio::io_context io;
    RetryRng rng(3);
    auto op = [this]() -> boost::asio::awaitable<Result<int>> {
      co_return outcomes.at(std::min<std::size_t>(calls++, outcomes.size() - 1));
    };
    auto log = [this](const RetryNotice& n) { waits.push_back(n.delay); };
    auto future = boost::asio::co_spawn(io, with_retry(policy, io.get_executor(), op, log, &rng),
                                        boost::asio::use_future);
    io.run();
    return future.get();
  }
};

const RetryPolicy kFast{milliseconds{1}, milliseconds{5}, 4};

}  // namespace

TEST_CASE("retry: with_retry retries transient failures until success") {
  Scripted s{{failure_of(FailureKind::kServerError, 503), failure_of(FailureKind::kNetwork),
              failure_of(FailureKind::kRateLimited, 429), Result<int>(7)}};
  auto r = s.run(kFast);
  REQUIRE(r);
  CHECK(r.value() == 7);
  CHECK(s.calls == 4);
  CHECK(s.waits.size() == 3);
}

TEST_CASE("retry: with_retry gives up after policy.attempts and returns the last failure") {
  Scripted s{{failure_of(FailureKind::kTimeout), failure_of(FailureKind::kServerError, 502)}};
  auto r = s.run(kFast);
  REQUIRE_FALSE(r);
  CHECK(r.failure().kind == FailureKind::kServerError);
  CHECK(s.calls == kFast.attempts);
}

TEST_CASE("retry: with_retry does not retry permanent failures") {
  for (auto k : {FailureKind::kBadRequest, FailureKind::kUnauthorized, FailureKind::kForbidden,
                 FailureKind::kNotFound, FailureKind::kBadBody, FailureKind::kNotSupported}) {
    Scripted s{{failure_of(k), Result<int>(1)}};
    auto r = s.run(kFast);
    CHECK_FALSE(r);
    CHECK(s.calls == 1);
  }
}

TEST_CASE("retry: with_retry waits at least Retry-After") {
  Failure busy = failure_of(FailureKind::kRateLimited, 429);
  busy.retry_after = milliseconds{4};  // under kFast's cap, which would cut it
  Scripted s{{busy, Result<int>(1)}};
  const auto start = std::chrono::steady_clock::now();
  auto r = s.run(kFast);
  CHECK(r);
  REQUIRE(s.waits.size() == 1);
  CHECK(s.waits[0] >= milliseconds{4});
  CHECK(std::chrono::steady_clock::now() - start >= milliseconds{4});
}

TEST_CASE("retry: a POST that may have reached the server is not retried") {
  Failure lost = failure_of(FailureKind::kTimeout);
  lost.idempotent = false;
  lost.maybe_reached_server = true;
  Scripted s{{lost, Result<int>(1)}};
  CHECK_FALSE(s.run(kFast));
  CHECK(s.calls == 1);
}
