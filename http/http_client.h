// The CRM's REST API over HTTP/1.1, as coroutines that answer with a Result (failure.h)
// instead of throwing.
//
//   boost::asio::io_context io;
//   HttpClient client(io.get_executor(), {.base_url = "https://www.clevertim.com/api",
//                                         .token = token});
//   auto r = co_await client.get_one("contact", 42);     // Result<boost::json::object>
//
// Transport rules it enforces:
//  - https: the certificate chain AND the host name are verified (system store, or only
//    `ca_file`); SNI is sent. Plain http:// is refused at construction unless the host is
//    loopback or `allow_insecure_http` is set: the token would travel in clear text.
//  - Keep-alive connections, at most `max_connections`, shared by all calls. A connection
//    the server closed while idle is noticed before use, or, when the request fails on it
//    before any answer, the request is re-sent once on a fresh connection if that is safe
//    (GET/PUT/DELETE; a POST only when it was certainly not sent).
//  - Every phase has a deadline: connect_timeout (name lookup + TCP + TLS handshake, all
//    together), request_timeout (write + response header; then for each piece of the body,
//    so a long read-all that keeps moving is never cut, but a stalled one is); and all of
//    them end, at the latest, at the deadline set_deadline() gives (a sync cycle's limit).
//  - Basic auth from the token (password "X"), Accept: application/json, Accept-Encoding:
//    gzip (decoded transparently, streaming). The token never appears in logs or failures.
//
// One HttpClient is used from one thread (a single-threaded io_context, or a strand); its
// calls may run concurrently as coroutines. It must outlive the calls in flight.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/json/object.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "http/compact_taker.h"
#include "http/failure.h"
#include "http/url.h"

namespace clevertim::sync {

struct ClientOptions {
  std::string base_url;              // "https://www.clevertim.com/api"
  std::string token;                 // the API token; a secret
  std::string ca_file;               // PEM file of trusted CAs; empty: the system store
  bool allow_insecure_http = false;  // plain http:// to a non-loopback host
  std::chrono::milliseconds connect_timeout{10000};  // lookup + TCP + TLS handshake
  std::chrono::milliseconds request_timeout{60000};
  std::chrono::milliseconds idle_timeout{30000};  // an idle connection older than this is
                                                  // closed instead of reused
  int max_connections = 4;
  std::string user_agent;  // empty: "clevertim-sync"
  // An element of an answer larger than this (its JSON text) is skipped (a stand-in, see
  // json_stream.h), never held whole: one element is what a read-all holds in memory.
  std::uint64_t max_element_size = std::uint64_t{16} << 20;
};

// What a read-all moved.
struct FetchStats {
  std::uint64_t elements = 0;       // objects handed to on_element
  std::uint64_t non_objects = 0;    // elements of `content` that were not objects (skipped)
  std::uint64_t body_bytes = 0;     // body bytes as they came over the wire
  std::uint64_t decoded_bytes = 0;  // after gzip decoding (== body_bytes without gzip)
  std::uint64_t largest_chunk = 0;  // largest piece of JSON held at once (bounded by design)
  std::uint64_t taken_as_text = 0;  // elements `take_compact` took
  std::chrono::milliseconds duration{0};
};

class HttpClient {
 public:
  using ElementFn = std::function<void(boost::json::object&& element)>;
  using ProgressFn = std::function<void(std::uint64_t body_bytes_so_far)>;

  // Throws std::invalid_argument for a bad base URL, an empty token, plain http:// to a
  // non-loopback host (unless allowed), or a CA file that cannot be loaded. Nothing connects
  // before the first call.
  HttpClient(boost::asio::any_io_executor executor, ClientOptions options);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // GET BASE/resource/id: the element (content[0]).
  boost::asio::awaitable<Result<boost::json::object>> get_one(std::string_view resource,
                                                              std::int64_t id);
  // POST BASE/resource: the created element, with its new id. Never re-sent blindly: a
  // failure with maybe_reached_server may have created it.
  boost::asio::awaitable<Result<boost::json::object>> post(std::string_view resource,
                                                           const boost::json::object& body);
  // PUT BASE/resource/id: the stored element after the update.
  boost::asio::awaitable<Result<boost::json::object>> put(std::string_view resource,
                                                          std::int64_t id,
                                                          const boost::json::object& body);
  // DELETE BASE/resource/id (no body). A 404 is a kNotFound failure; the caller decides
  // whether that counts as done.
  boost::asio::awaitable<Result<Empty>> remove(std::string_view resource, std::int64_t id);

  // GET BASE/resource, streamed: each object of `content` goes to `on_element` as soon as it
  // has arrived, one at a time; memory holds one element and four 128 KiB pieces, not the body.
  // The body is parsed, and `on_element`, `take_compact` and `on_progress` are called, on a
  // thread of the client's own (one at a time, in order), while this thread reads the socket:
  // what they touch must not be used meanwhile by this thread.
  // `on_progress` gets the body bytes received so far after each chunk. Each element is first
  // offered as compact text to `take_compact` (when given); only those it declines are built.
  //
  // IMPORTANT: on failure (a body cut short, invalid JSON, status not "OK", no `content`),
  // `on_element` may already have been called for some elements. The caller must treat the
  // whole fetch as failed and apply nothing: stage elements, apply only on success.
  boost::asio::awaitable<Result<FetchStats>> fetch_all(std::string_view resource,
                                                       ElementFn on_element,
                                                       ProgressFn on_progress = {},
                                                       CompactTaker take_compact = {});

  // For a clean stop: closes idle connections, aborts requests in flight and makes every
  // later call fail at once, all with a non-retryable kOtherStatus failure ("cancelled").
  // A host name lookup in progress is not interrupted; it ends within connect_timeout.
  void shutdown();

  // From now on, no request is sent after `deadline`, and requests in flight then are cut
  // short (kTimeout, past_deadline set). std::nullopt: no deadline (the default).
  void set_deadline(std::optional<std::chrono::steady_clock::time_point> deadline);

  const BaseUrl& base_url() const;
  // TCP connections opened so far (keep-alive makes this smaller than the request count).
  std::uint64_t connections_opened() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace clevertim::sync
