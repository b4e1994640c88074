// The CRM reached over HTTP: CrmReader and CrmWriter on top of HttpClient, with retries.
//
// Reads and idempotent writes (PUT, DELETE) are retried with backoff on network errors, 429
// and 5xx; a POST is retried only when it certainly never reached the server (it could not
// connect): any answer but a definite refusal (400, 401, 403, 404, 501, ...; see failure.h),
// a 503 or 429 included, may come after the element was created, so the create ends as
// kUnknown and the push looks for it in the next pull instead of making a duplicate.
#pragma once

#include <boost/asio/any_io_executor.hpp>

#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <type_traits>
#include <utility>

#include "http/retry.h"
#include "storage/traffic.h"
#include "sync/crm_reader.h"
#include "sync/crm_writer.h"

namespace clevertim::sync {

class HttpClient;
struct ClientOptions;

class CrmOverHttp : public CrmReader, public CrmWriter {
 public:
  // Throws std::invalid_argument for a URL that cannot be used (see HttpClient).
  CrmOverHttp(const boost::asio::any_io_executor& executor, const ClientOptions& options,
              RetryPolicy retry);
  ~CrmOverHttp() override;

  boost::asio::awaitable<FetchOutcome> fetch_all(
      std::string_view resource, const std::function<void(const boost::json::value&)>& on_element,
      const std::function<void()>& on_restart) override;
  boost::asio::awaitable<FetchOutcome> fetch_all_compact_first(
      std::string_view resource, const std::function<void(const boost::json::value&)>& on_element,
      const std::function<void()>& on_restart, const CompactTaker& take_compact) override;
  boost::asio::awaitable<WriteResult> create(std::string_view resource,
                                             boost::json::object element) override;
  boost::asio::awaitable<WriteResult> update(std::string_view resource, std::int64_t id,
                                             boost::json::object changes) override;
  boost::asio::awaitable<WriteResult> remove(std::string_view resource, std::int64_t id) override;
  boost::asio::awaitable<WriteResult> read_one(std::string_view resource, std::int64_t id) override;

  // Forgets that the CRM did not answer, and bounds every request by `deadline`.
  void begin_cycle(std::optional<std::chrono::steady_clock::time_point> deadline) override;

  // Called as each read-all's body arrives: its resource and the body bytes so far.
  void on_download_progress(std::function<void(std::string_view, std::uint64_t)> progress) {
    download_progress_ = std::move(progress);
  }

  // Closes idle connections and makes requests in flight fail soon (on shutdown).
  void shutdown();

  // What was sent and received since the last call (for storage::add_traffic).
  storage::Traffic take_traffic() { return std::exchange(traffic_, {}); }

 private:
  template <class Op>
  auto retrying(std::string_view what, Op op) -> std::invoke_result_t<Op&>;
  // A request not sent at all, because of what an earlier one found: the CRM does not answer,
  // or the cycle's deadline passed. std::nullopt: send it.
  std::optional<Failure> not_sent(std::string_view what);
  // Remembers a final failure that says the CRM does not answer, and says so once.
  void note(const Failure& f, std::string_view what);

  boost::asio::any_io_executor executor_;
  storage::Traffic traffic_;
  std::unique_ptr<HttpClient> client_;
  RetryPolicy retry_;
  std::function<void(std::string_view, std::uint64_t)> download_progress_;
  RetryRng rng_;
  bool stopping_ = false;
  std::set<boost::asio::steady_timer*> waits_;  // backoff waits that shutdown() cuts short
  std::optional<std::chrono::steady_clock::time_point> deadline_;  // of the current cycle
  // Set when a request found the CRM unreachable (after its retries): the cycle's other
  // requests fail at once with it instead of each waiting through its own retries.
  std::optional<Failure> unreachable_;
  bool deadline_said_ = false;  // "the cycle's time ran out" was logged
};

}  // namespace clevertim::sync
