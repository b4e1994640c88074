#include "http/retry.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <ctime>
#include <iomanip>
#include <locale>
#include <sstream>

namespace clevertim::sync {

using std::chrono::milliseconds;

RetryRng make_retry_rng() {
  std::random_device device;
  std::seed_seq seed{device(), device(), device(), device()};
  return RetryRng(seed);
}

milliseconds backoff_delay(const RetryPolicy& policy, int retry, RetryRng& rng,
                           std::optional<milliseconds> retry_after) {
  // base * 2^retry, saturating at cap (the shift is bounded so it cannot overflow).
  const std::int64_t base = std::max<std::int64_t>(0, policy.base.count());
  const std::int64_t cap = std::max<std::int64_t>(0, policy.cap.count());
  std::int64_t ceiling = base;
  for (int i = 0; i < retry && ceiling < cap; ++i) ceiling *= 2;
  ceiling = std::min(ceiling, cap);
  std::uniform_int_distribution<std::int64_t> pick(0, ceiling);
  milliseconds delay{pick(rng)};
  if (retry_after) {
    delay = std::max(delay, std::clamp(*retry_after, milliseconds{0}, milliseconds{cap}));
  }
  return delay;
}

std::optional<milliseconds> parse_retry_after(std::string_view value,
                                              std::chrono::system_clock::time_point now) {
  while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  while (!value.empty() && value.back() == ' ') value.remove_suffix(1);
  if (value.empty()) return std::nullopt;
  if (std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    // More than a day is nonsense for our purposes; saturate rather than overflow.
    if (value.size() > 6) return milliseconds{86400LL * 1000};
    return milliseconds{std::stoll(std::string(value)) * 1000};
  }
  // IMF-fixdate, the only date form RFC 9110 requires senders to use.
  std::tm tm{};
  std::istringstream in{std::string(value)};
  in.imbue(std::locale::classic());
  in >> std::get_time(&tm, "%a, %d %b %Y %H:%M:%S GMT");
  if (in.fail()) return std::nullopt;
  const std::time_t when = timegm(&tm);
  if (when == static_cast<std::time_t>(-1)) return std::nullopt;
  auto diff = std::chrono::system_clock::from_time_t(when) - now;
  return std::max(milliseconds{0}, std::chrono::duration_cast<milliseconds>(diff));
}

boost::asio::awaitable<void> sleep_for(boost::asio::any_io_executor executor, milliseconds delay) {
  boost::asio::steady_timer timer(executor, delay);
  co_await timer.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
}

}  // namespace clevertim::sync
