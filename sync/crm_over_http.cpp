#include "sync/crm_over_http.h"

#include <spdlog/spdlog.h>

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>

#include "http/http_client.h"

namespace clevertim::sync {
namespace {

namespace asio = boost::asio;
namespace json = boost::json;
using Status = WriteResult::Status;

// A write's failure, as the push sees it.
WriteResult write_failure(const Failure& f, bool is_create, bool shutting_down) {
  // Cut short by our own shutdown: nothing was refused; the change waits for the next run.
  if (shutting_down) {
    if (is_create && f.maybe_reached_server) return {Status::kUnknown, {}, f.describe()};
    return {Status::kRetryLater, {}, f.describe()};
  }
  // Any answer to a POST but a definite refusal (failure.h) may hide a created element: the
  // push looks for it in the next pull before sending anything again.
  if (is_create && f.maybe_reached_server) return {Status::kUnknown, {}, f.describe()};
  switch (f.kind) {
    case FailureKind::kNotFound:
      return {Status::kNotFound, {}, f.describe()};
    case FailureKind::kUnauthorized:
    case FailureKind::kForbidden:
      return {Status::kUnauthorized, {}, f.describe()};
    case FailureKind::kBadRequest:
    case FailureKind::kBadBody:
    case FailureKind::kNotSupported:
    case FailureKind::kOtherStatus:
      return {Status::kRejected, {}, f.describe()};
    default:
      // Transient, and certainly not carried out (see above): sent again next cycle.
      return {Status::kRetryLater, {}, f.describe()};
  }
}

}  // namespace

CrmOverHttp::CrmOverHttp(const asio::any_io_executor& executor, const ClientOptions& options,
                         RetryPolicy retry)
    : executor_(executor),
      client_(std::make_unique<HttpClient>(executor, options)),
      retry_(retry),
      rng_(make_retry_rng()) {}

CrmOverHttp::~CrmOverHttp() = default;

void CrmOverHttp::shutdown() {
  stopping_ = true;
  for (asio::steady_timer* t : waits_) t->cancel();
  client_->shutdown();
}

void CrmOverHttp::begin_cycle(std::optional<std::chrono::steady_clock::time_point> deadline) {
  deadline_ = deadline;
  deadline_said_ = false;
  unreachable_.reset();  // the CRM may be back: the new cycle tries again
  client_->set_deadline(deadline);
}

std::optional<Failure> CrmOverHttp::not_sent(std::string_view what) {
  if (deadline_ && std::chrono::steady_clock::now() >= *deadline_) {
    Failure f;
    f.kind = FailureKind::kTimeout;
    f.message = std::string(what) +
                ": not sent, the time limit of this sync cycle ran out (sync.cycle_timeout)";
    f.past_deadline = true;
    note(f, what);
    return f;
  }
  if (unreachable_) {
    Failure f = *unreachable_;
    f.message = std::string(what) + ": not sent, the CRM did not answer an earlier request " +
                "of this cycle (" + unreachable_->message + ")";
    f.maybe_reached_server = false;
    f.retry_after.reset();
    return f;
  }
  return std::nullopt;
}

void CrmOverHttp::note(const Failure& f, std::string_view what) {
  if (stopping_) return;
  if (f.past_deadline && !deadline_said_) {
    deadline_said_ = true;
    spdlog::error(
        "this sync cycle ran out of time (sync.cycle_timeout) at {}: the rest of this cycle's "
        "requests are not sent; nothing is lost, the next cycle goes on from there",
        what);
  }
  if (!f.unreachable || unreachable_) return;
  unreachable_ = f;
  spdlog::error(
      "the CRM does not answer ({}: {}): the rest of this cycle's requests are not sent; "
      "nothing is lost, the next cycle tries again. Check server.url, the network and the "
      "CRM's status",
      what, f.describe());
}

// Runs `op` until it succeeds, fails for good, attempts run out, the CRM proved unreachable,
// the cycle's deadline passes or shutdown() is called.
template <class Op>
auto CrmOverHttp::retrying(std::string_view what, Op op) -> std::invoke_result_t<Op&> {
  for (int attempt = 1;; ++attempt) {
    if (auto f = not_sent(what)) co_return std::move(*f);
    auto result = co_await op();
    ++traffic_.attempts[std::string(result.ok() ? "ok" : metric_label(result.failure().kind))];
    if (attempt > 1) ++traffic_.retries;
    if (result.ok()) co_return result;
    const Failure& f = result.failure();
    // Another request found the CRM unreachable meanwhile: waiting through this one's
    // retries would only repeat that.
    if (!f.retryable() || attempt >= retry_.attempts || stopping_ || unreachable_) {
      note(f, what);
      co_return result;
    }
    const auto delay = backoff_delay(retry_, attempt - 1, rng_, f.retry_after);
    if (deadline_ && std::chrono::steady_clock::now() + delay >= *deadline_) {
      note(f, what);  // no time left to wait for another try
      co_return result;
    }
    spdlog::warn("{} failed ({}); attempt {} of {} in {} ms", what, f.describe(), attempt + 1,
                 retry_.attempts, delay.count());
    asio::steady_timer timer(executor_, delay);
    waits_.insert(&timer);
    boost::system::error_code ignored;
    co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
    waits_.erase(&timer);
    if (stopping_) co_return result;
  }
}

asio::awaitable<FetchOutcome> CrmOverHttp::fetch_all(
    std::string_view resource, const std::function<void(const json::value&)>& on_element,
    const std::function<void()>& on_restart) {
  co_return co_await fetch_all_compact_first(resource, on_element, on_restart, {});
}

asio::awaitable<FetchOutcome> CrmOverHttp::fetch_all_compact_first(
    std::string_view resource, const std::function<void(const json::value&)>& on_element,
    const std::function<void()>& on_restart, const CompactTaker& take_compact) {
  bool first = true;
  const std::string what = "GET " + std::string(resource);
  // Failing at once for a reason the log already gave: not worth a line per resource.
  if (auto f = not_sent(what))
    co_return FetchOutcome{FetchOutcome::Status::kFailed, f->describe(), 0, true};
  auto result = co_await retrying(what, [&]() {
    if (!first) on_restart();  // forget what a broken attempt handed over
    first = false;
    HttpClient::ProgressFn progress;
    if (download_progress_)
      progress = [&](std::uint64_t bytes) { download_progress_(resource, bytes); };
    return client_->fetch_all(
        resource, [&](json::object&& element) { on_element(json::value(std::move(element))); },
        progress, take_compact);
  });
  if (result.ok()) {
    traffic_.pulled_bytes += static_cast<std::int64_t>(result->body_bytes);
    if (result->non_objects > 0)
      spdlog::warn("{}: {} elements of the list were not objects and were skipped", resource,
                   result->non_objects);
    co_return FetchOutcome{FetchOutcome::Status::kOk, "", result->body_bytes};
  }
  const Failure& f = result.failure();
  if (f.kind == FailureKind::kNotFound || f.kind == FailureKind::kNotSupported)
    co_return FetchOutcome{FetchOutcome::Status::kUnavailable, f.describe(), 0};
  FetchOutcome failed{FetchOutcome::Status::kFailed, f.describe(), 0, f.past_deadline};
  failed.token_refused = f.kind == FailureKind::kUnauthorized || f.kind == FailureKind::kForbidden;
  co_return failed;
}

asio::awaitable<WriteResult> CrmOverHttp::create(std::string_view resource, json::object element) {
  auto result = co_await retrying("POST " + std::string(resource),
                                  [&] { return client_->post(resource, element); });
  if (result.ok()) co_return WriteResult{Status::kOk, std::move(result.value()), ""};
  co_return write_failure(result.failure(), /*is_create=*/true, stopping_);
}

asio::awaitable<WriteResult> CrmOverHttp::update(std::string_view resource, std::int64_t id,
                                                 json::object changes) {
  auto result = co_await retrying("PUT " + std::string(resource) + "/" + std::to_string(id),
                                  [&] { return client_->put(resource, id, changes); });
  if (result.ok()) co_return WriteResult{Status::kOk, std::move(result.value()), ""};
  co_return write_failure(result.failure(), /*is_create=*/false, stopping_);
}

asio::awaitable<WriteResult> CrmOverHttp::remove(std::string_view resource, std::int64_t id) {
  auto result = co_await retrying("DELETE " + std::string(resource) + "/" + std::to_string(id),
                                  [&] { return client_->remove(resource, id); });
  if (result.ok()) co_return WriteResult{};
  co_return write_failure(result.failure(), /*is_create=*/false, stopping_);
}

asio::awaitable<WriteResult> CrmOverHttp::read_one(std::string_view resource, std::int64_t id) {
  auto result = co_await retrying("GET " + std::string(resource) + "/" + std::to_string(id),
                                  [&] { return client_->get_one(resource, id); });
  if (result.ok()) co_return WriteResult{Status::kOk, std::move(result.value()), ""};
  co_return write_failure(result.failure(), /*is_create=*/false, stopping_);
}

}  // namespace clevertim::sync
