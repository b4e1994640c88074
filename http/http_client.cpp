#include "http/http_client.h"

#include <spdlog/spdlog.h>
#include <boost/asio/thread_pool.hpp>
#include <boost/beast/core/detail/base64.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <algorithm>
#include <cctype>
#include <optional>
#include <stdexcept>

#include "http/http_connect.h"
#include "http/http_connection.h"
#include "http/http_exchange.h"
#include "http/http_request.h"

// The client in four parts: the connection pool (http_connection), connecting (http_connect),
// one exchange on a connection (http_exchange), and failures as values (http_request.h,
// http_answer.cpp). This file holds what ties them: one request with its one re-send, and the
// calls of the API.
namespace clevertim::sync {

using namespace http_detail;
namespace net = boost::asio;
namespace ssl = net::ssl;
namespace beast = boost::beast;
namespace http = beast::http;
namespace json = boost::json;
using net::awaitable;

struct HttpClient::Impl {
  Impl(net::any_io_executor ex, ClientOptions opts)
      : executor(std::move(ex)),
        options(std::move(opts)),
        url(parse_base_url(options.base_url)),
        pool(executor, options.max_connections, options.idle_timeout) {
    if (options.token.empty()) throw std::invalid_argument("the API token is empty");
    if (!url.tls() && !is_loopback(url.host) && !options.allow_insecure_http) {
      throw std::invalid_argument(
          "refusing plain http:// to " + url.host +
          ": the API token would travel in clear text; use https:// (or set "
          "allow_insecure_http for a trusted network)");
    }
    if (options.user_agent.empty()) options.user_agent = "clevertim-sync";
    const std::string credentials = options.token + ":X";  // the server ignores the password
    std::string encoded(beast::detail::base64::encoded_size(credentials.size()), '\0');
    encoded.resize(
        beast::detail::base64::encode(encoded.data(), credentials.data(), credentials.size()));
    authorization = "Basic " + encoded;
    if (url.tls()) tls_context.emplace(make_tls_context(options.ca_file));
  }

  Deadlines deadlines() const {
    return {options.connect_timeout, options.request_timeout, deadline};
  }

  OutgoingMessage make_request(const Request& req) const {
    OutgoingMessage r{req.verb, req.target, 11};
    r.set(http::field::host, url.host_header());
    r.set(http::field::authorization, authorization);
    r.set(http::field::user_agent, options.user_agent);
    r.set(http::field::accept, "application/json");
    r.set(http::field::accept_encoding, "gzip");
    r.keep_alive(true);
    if (req.body) {
      r.set(http::field::content_type, "application/json");
      r.body() = *req.body;
    }
    r.prepare_payload();
    return r;
  }

  // One try on a connection that is open.
  awaitable<Attempt> try_on(Connection& conn, const Request& req) {
    OutgoingMessage message = make_request(req);
    const Deadlines limits = deadlines();
    // Not a ?: with a co_await in each branch: g++ 12 miscompiles that (the result is
    // relocated bitwise and its strings then point into a freed frame).
    Attempt a;
    if (conn.tls) {
      a = co_await exchange(*conn.tls, conn, req, message, limits, options.max_element_size);
    } else {
      a = co_await exchange(*conn.plain, conn, req, message, limits, options.max_element_size);
    }
    co_return a;
  }

  // One request, with the one re-send a stale keep-alive connection allows.
  awaitable<Result<FetchStats>> perform(const Request& req) {
    for (int round = 0;; ++round) {
      auto conn = co_await pool.acquire();
      if (!conn) co_return cancelled(req, false);
      if (deadline && Clock::now() >= *deadline) {
        pool.release(std::move(conn), true);
        co_return past_deadline(req, false);
      }
      const bool reused = conn->is_open();
      if (!reused) {
        const Endpoint to{executor, url, tls_context ? &*tls_context : nullptr};
        if (auto f = co_await connect(*conn, req, to, deadlines(), pool, opened)) {
          pool.release(std::move(conn), false);
          if (pool.stopped()) co_return cancelled(req, false);
          if (deadline && Clock::now() >= *deadline) co_return past_deadline(req, false);
          spdlog::debug("{}: {}", req.what(), f->describe());
          co_return std::move(*f);
        }
      }
      Attempt a = co_await try_on(*conn, req);
      pool.release(std::move(conn), a.reusable);
      if (!a.result && pool.stopped()) {
        co_return cancelled(req, a.result.failure().maybe_reached_server);
      }
      if (!a.result && a.result.failure().kind == FailureKind::kTimeout && deadline &&
          Clock::now() >= *deadline) {
        co_return past_deadline(req, a.result.failure().maybe_reached_server);
      }
      if (!a.result && reused && round == 0 && a.closed_before_answer &&
          (req.idempotent() || a.sent_nothing)) {
        spdlog::debug("{}: kept-alive connection was closed by the server; sending again",
                      req.what());
        continue;
      }
      if (a.result) {
        spdlog::debug("{}: OK, {} bytes", req.what(), a.result->body_bytes);
      } else {
        spdlog::debug("{}: {}", req.what(), a.result.failure().describe());
      }
      co_return std::move(a.result);
    }
  }

  // ---- targets -----------------------------------------------------------------------

  std::optional<std::string> target(std::string_view resource, std::optional<std::int64_t> id) {
    if (resource.empty() || resource.size() > 64 ||
        !std::all_of(resource.begin(), resource.end(), [](char ch) {
          return std::isalnum(static_cast<unsigned char>(ch)) || ch == '_' || ch == '-';
        })) {
      return std::nullopt;
    }
    std::string t = url.base_path + "/" + std::string(resource);
    if (id) t += "/" + std::to_string(*id);
    return t;
  }

  Failure bad_resource(http::verb verb, std::string_view resource) const {
    Failure f;
    f.kind = FailureKind::kOtherStatus;
    f.message = std::string(http::to_string(verb)) + ": invalid resource name '" +
                std::string(resource.substr(0, 64)) + "'";
    f.idempotent = verb != http::verb::post;
    return f;
  }

  // A call whose answer is one element (read one, create, update).
  awaitable<Result<json::object>> one_element(http::verb verb, std::string_view resource,
                                              std::optional<std::int64_t> id,
                                              const json::object* body) {
    auto t = target(resource, id);
    if (!t) co_return bad_resource(verb, resource);
    std::optional<json::value> first;
    Request req{verb, *t, body ? std::optional<std::string>(json::serialize(*body)) : std::nullopt,
                true, [&first](json::value&& v) {
                  if (!first) first = std::move(v);
                }};
    auto r = co_await perform(req);
    if (!r) co_return std::move(r).failure();
    if (!first || !first->is_object()) {
      co_return failure(
          req, FailureKind::kBadEnvelope, 200,
          req.what() + (first ? ": content[0] is not an object" : ": content is empty"), true);
    }
    // The one element cannot be kept (nested too deeply, text not UTF-8): a bad answer.
    if (const auto skipped = as_skipped(*first)) {
      co_return failure(req, FailureKind::kBadJson, 200,
                        req.what() + ": the element in the answer " + skipped->why, true);
    }
    co_return std::move(first->get_object());
  }

  net::any_io_executor executor;
  ClientOptions options;
  BaseUrl url;
  std::string authorization;
  std::optional<ssl::context> tls_context;  // one per client, shared by its connections
  ConnectionPool pool;
  std::uint64_t opened = 0;
  std::optional<Clock::time_point> deadline;  // set_deadline()
  // Where read-alls parse their bodies (Request::parse_on): started at the first read-all, so
  // a client that only pushes has no threads of its own. Last: joined before the rest goes.
  std::optional<net::thread_pool> parsers;
};

HttpClient::HttpClient(boost::asio::any_io_executor executor, ClientOptions options)
    : impl_(std::make_unique<Impl>(std::move(executor), std::move(options))) {}

HttpClient::~HttpClient() = default;

awaitable<Result<json::object>> HttpClient::get_one(std::string_view resource, std::int64_t id) {
  return impl_->one_element(http::verb::get, resource, id, nullptr);
}

awaitable<Result<json::object>> HttpClient::post(std::string_view resource,
                                                 const json::object& body) {
  return impl_->one_element(http::verb::post, resource, std::nullopt, &body);
}

awaitable<Result<json::object>> HttpClient::put(std::string_view resource, std::int64_t id,
                                                const json::object& body) {
  return impl_->one_element(http::verb::put, resource, id, &body);
}

awaitable<Result<Empty>> HttpClient::remove(std::string_view resource, std::int64_t id) {
  auto t = impl_->target(resource, id);
  if (!t) co_return impl_->bad_resource(http::verb::delete_, resource);
  Request req{http::verb::delete_, *t, std::nullopt, false, [](json::value&&) {}};
  auto r = co_await impl_->perform(req);
  if (!r) co_return std::move(r).failure();
  co_return Empty{};
}

awaitable<Result<FetchStats>> HttpClient::fetch_all(std::string_view resource, ElementFn on_element,
                                                    ProgressFn on_progress,
                                                    CompactTaker take_compact) {
  auto t = impl_->target(resource, std::nullopt);
  if (!t) co_return impl_->bad_resource(http::verb::get, resource);
  const auto start = Clock::now();
  std::uint64_t objects = 0, others = 0;
  Request req{http::verb::get, *t, std::nullopt, true, [&](json::value&& v) {
                if (v.is_object()) {
                  ++objects;
                  on_element(std::move(v.get_object()));
                } else {
                  ++others;
                }
              }};
  req.progress = &on_progress;
  req.take_compact = std::move(take_compact);
  // Two threads: the list being read and the next one (sync/cycle.cpp) each parse on one.
  if (!impl_->parsers) impl_->parsers.emplace(2);
  req.parse_on = impl_->parsers->get_executor();
  auto r = co_await impl_->perform(req);
  if (!r) co_return r;
  r->elements = objects;
  r->non_objects = others;
  r->duration = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
  if (others > 0) {
    spdlog::warn("GET {}: skipped {} element(s) of content that were not objects", *t, others);
  }
  co_return r;
}

// Closes idle connections, aborts the ones in use (their requests fail with `cancelled`)
// and wakes requests waiting for a connection (they fail the same way).
void HttpClient::shutdown() {
  impl_->pool.stop();
}

void HttpClient::set_deadline(std::optional<std::chrono::steady_clock::time_point> deadline) {
  impl_->deadline = deadline;
}

const BaseUrl& HttpClient::base_url() const {
  return impl_->url;
}
std::uint64_t HttpClient::connections_opened() const {
  return impl_->opened;
}

}  // namespace clevertim::sync
