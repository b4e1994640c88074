// Retrying failed requests: full-jitter exponential backoff that honours Retry-After.
//
//   auto r = co_await with_retry(policy, executor,
//                                [&] { return client.get_one("contact", 42); },
//                                [](const RetryNotice& n) { spdlog::warn(...); });
//
// Only failures whose retryable() is true are retried (see failure.h); the last failure is
// returned when attempts run out.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <random>
#include <string_view>
#include <type_traits>

#include "http/failure.h"

namespace clevertim::sync {

struct RetryPolicy {
  std::chrono::milliseconds base{500};  // first backoff ceiling
  // The longest wait between two tries (sync.retry_cap): the backoff's ceiling, and a
  // Retry-After (seconds or HTTP date) longer than this is cut to it, so that a confused
  // server cannot park the daemon.
  std::chrono::milliseconds cap{30000};
  int attempts{5};  // total tries, the first one included
};

using RetryRng = std::mt19937_64;

// An RNG seeded from std::random_device; tests seed their own instead.
RetryRng make_retry_rng();

// The wait before retry number `retry` (0 for the first retry): uniform in
// [0, min(cap, base * 2^retry)] ("full jitter", so that many clients do not retry in step),
// but never less than `retry_after` (itself cut to the cap).
std::chrono::milliseconds backoff_delay(const RetryPolicy& policy, int retry, RetryRng& rng,
                                        std::optional<std::chrono::milliseconds> retry_after);

// A Retry-After header value: delta seconds ("120") or an HTTP date
// ("Wed, 21 Oct 2015 07:28:00 GMT", relative to `now`; a past date gives 0).
// std::nullopt when the value is neither.
std::optional<std::chrono::milliseconds> parse_retry_after(
    std::string_view value, std::chrono::system_clock::time_point now);

// What with_retry tells its logger before each wait.
struct RetryNotice {
  int attempt;   // the attempt that failed, from 1
  int attempts;  // policy.attempts
  std::chrono::milliseconds delay;
  const Failure& failure;
};
using RetryLog = std::function<void(const RetryNotice&)>;

// Waits on `executor` without blocking it.
boost::asio::awaitable<void> sleep_for(boost::asio::any_io_executor executor,
                                       std::chrono::milliseconds delay);

// Calls `op` (returning awaitable<Result<T>>) until it succeeds, fails in a way that is not
// retryable, or policy.attempts tries have been made; returns the last result. `rng`, when
// given, must outlive the coroutine (tests pass a seeded one).
template <class Op>
auto with_retry(RetryPolicy policy, boost::asio::any_io_executor executor, Op op,
                RetryLog on_retry = {}, RetryRng* rng = nullptr) -> std::invoke_result_t<Op&> {
  std::optional<RetryRng> own;
  if (rng == nullptr) rng = &own.emplace(make_retry_rng());
  for (int attempt = 1;; ++attempt) {
    auto result = co_await op();
    if (result.ok() || !result.failure().retryable() || attempt >= policy.attempts) {
      co_return result;
    }
    auto delay = backoff_delay(policy, attempt - 1, *rng, result.failure().retry_after);
    if (on_retry) on_retry(RetryNotice{attempt, policy.attempts, delay, result.failure()});
    co_await sleep_for(executor, delay);
  }
}

}  // namespace clevertim::sync
