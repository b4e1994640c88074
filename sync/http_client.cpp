#include "sync/http_client.h"

#include <spdlog/spdlog.h>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/detail/base64.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <sys/socket.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <deque>
#include <optional>
#include <set>
#include <stdexcept>
#include <vector>

#include "sync/gzip_inflate.h"
#include "sync/json_stream.h"
#include "sync/retry.h"

namespace clevertim::sync {
namespace {

namespace net = boost::asio;
namespace ssl = net::ssl;
namespace beast = boost::beast;
namespace http = beast::http;
namespace json = boost::json;
using boost::system::error_code;
using net::awaitable;
using net::ip::tcp;
using Clock = std::chrono::steady_clock;

constexpr auto kTuple = net::as_tuple(net::use_awaitable);
constexpr std::size_t kChunk = std::size_t{64} * 1024;           // one body read
constexpr std::size_t kErrorBodyLimit = std::size_t{64} * 1024;  // what we keep of a non-200 body

bool is_ip_literal(const std::string& host) {
  error_code ec;
  net::ip::make_address(host, ec);
  return !ec;
}

// Errors that mean "the peer closed or reset the connection".
bool is_closed_error(const error_code& ec) {
  return ec == http::error::end_of_stream || ec == http::error::partial_message ||
         ec == net::error::eof || ec == net::error::connection_reset ||
         ec == net::error::broken_pipe || ec == net::error::connection_aborted ||
         ec == ssl::error::stream_truncated;
}

// One connection: a TCP stream, or a TLS stream over one (a fresh ssl_stream per connection,
// since an SSL stream cannot be reused after it was shut down), and its read buffer.
struct Connection {
  std::optional<beast::tcp_stream> plain;
  std::optional<beast::ssl_stream<beast::tcp_stream>> tls;
  beast::flat_buffer buffer;
  Clock::time_point idle_since{};

  // Beast reads at most the buffer's free capacity (512 bytes at least): an empty buffer
  // would fetch a 90 MB body 512 bytes per system call.
  Connection() { buffer.reserve(kChunk); }

  bool is_open() { return (plain || tls) && tcp().socket().is_open(); }
  beast::tcp_stream& tcp() { return tls ? beast::get_lowest_layer(*tls) : *plain; }
  void close() {
    if (plain || tls) {
      error_code ignored;
      tcp().socket().shutdown(tcp::socket::shutdown_both, ignored);
      tcp().socket().close(ignored);
    }
    tls.reset();
    plain.reset();
    buffer.clear();
  }
};

// A connection that sat idle may have been closed by the server: look without blocking.
// Zero bytes readable means the server sent FIN; any bytes at all (an unexpected response,
// a TLS close_notify) mean the connection is not in a state to carry a new request.
bool looks_alive(Connection& c) {
  if (!c.is_open() || c.buffer.size() > 0) return false;
  char byte;
  const auto r = ::recv(c.tcp().socket().native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  return r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}

// What one request needs, independent of the connection it goes out on.
struct Request {
  http::verb verb;
  std::string target;  // "/api/contact/42"
  std::optional<std::string> body;
  bool need_content;
  EnvelopeStream::ElementSink sink;
  CompactTaker take_compact{};  // set: offered each element as text first (json_stream.h)
  const HttpClient::ProgressFn* progress = nullptr;

  bool idempotent() const { return verb != http::verb::post; }
  std::string what() const { return std::string(http::to_string(verb)) + " " + target; }
};

// The outcome of one try on one connection.
struct Attempt {
  Result<FetchStats> result;
  bool reusable = false;  // the connection can carry another request
  // The connection was found closed before any answer arrived: worth one more try on a fresh
  // connection if that is safe; `sent_nothing` says the request certainly never left.
  bool closed_before_answer = false;
  bool sent_nothing = false;
};

Failure failure(const Request& req, FailureKind kind, int status, std::string message,
                bool maybe_reached) {
  Failure f;
  f.kind = kind;
  f.http_status = status;
  f.message = std::move(message);
  f.maybe_reached_server = maybe_reached;
  f.idempotent = req.idempotent();
  return f;
}

// A transport error, named by phase, never containing request headers.
Failure transport_failure(const Request& req, std::string_view phase, const error_code& ec,
                          bool maybe_reached) {
  FailureKind kind = FailureKind::kNetwork;
  if (ec == beast::error::timeout) kind = FailureKind::kTimeout;
  return failure(req, kind, 0, req.what() + ": " + std::string(phase) + ": " + ec.message(),
                 maybe_reached);
}

// Whether a non-200 answer rules out that the request took effect. Only a definite refusal
// does: a 4xx other than 429 (the request was refused as it is), a 501, or API.md's 500 with
// its error envelope (our body was not JSON). Anything else may come from a proxy in front of
// a backend that did the work: a 502 or 504, a crash page, a 2xx or 3xx we do not expect, and
// also 503 and 429, which proxies and load balancers send after the backend committed (on
// their own timeout, say). A POST answered so must be reconciled, never sent again blindly.
bool definite_refusal(int status, bool api_error_envelope) {
  if (status == 429) return false;
  if (status >= 400 && status <= 499) return true;
  return status == 501 || (status == 500 && api_error_envelope);
}

// The "error" text of an error envelope, if the body is one.
std::optional<std::string> error_text(std::string_view body) {
  error_code ec;
  json::value v = json::parse(body, ec);
  if (ec || !v.is_object()) return std::nullopt;
  const json::value* e = v.get_object().if_contains("error");
  if (e == nullptr || !e->is_string()) return std::nullopt;
  return std::string(std::string_view(e->get_string()).substr(0, 2000));
}

}  // namespace

struct HttpClient::Impl {
  Impl(net::any_io_executor ex, ClientOptions opts)
      : executor(std::move(ex)), options(std::move(opts)), url(parse_base_url(options.base_url)) {
    if (options.token.empty()) throw std::invalid_argument("the API token is empty");
    if (!url.tls() && !is_loopback(url.host) && !options.allow_insecure_http) {
      throw std::invalid_argument(
          "refusing plain http:// to " + url.host +
          ": the API token would travel in clear text; use https:// (or set "
          "allow_insecure_http for a trusted network)");
    }
    if (options.max_connections < 1) options.max_connections = 1;
    if (options.user_agent.empty()) options.user_agent = "clevertim-sync";
    const std::string credentials = options.token + ":X";  // the server ignores the password
    std::string encoded(beast::detail::base64::encoded_size(credentials.size()), '\0');
    encoded.resize(
        beast::detail::base64::encode(encoded.data(), credentials.data(), credentials.size()));
    authorization = "Basic " + encoded;
    if (url.tls()) setup_tls();
  }

  void setup_tls() {
    tls_context.emplace(ssl::context::tls_client);
    SSL_CTX_set_min_proto_version(tls_context->native_handle(), TLS1_2_VERSION);
    tls_context->set_verify_mode(ssl::verify_peer);
    error_code ec;
    if (options.ca_file.empty()) {
      tls_context->set_default_verify_paths(ec);
      if (ec) throw std::invalid_argument("cannot load the system CA store: " + ec.message());
    } else {
      tls_context->load_verify_file(options.ca_file, ec);
      if (ec) {
        throw std::invalid_argument("cannot load CA file '" + options.ca_file +
                                    "': " + ec.message());
      }
    }
  }

  // ---- the pool ----------------------------------------------------------------------

  // A connection to use, or nullptr once shutdown() was called.
  awaitable<std::unique_ptr<Connection>> acquire() {
    for (;;) {
      if (stopped) co_return nullptr;
      while (!idle.empty()) {
        auto c = std::move(idle.back());  // most recently used: least likely to be stale
        idle.pop_back();
        if (Clock::now() - c->idle_since < options.idle_timeout && looks_alive(*c)) co_return c;
        c->close();
        --live;
      }
      if (live < options.max_connections) {
        ++live;
        co_return std::make_unique<Connection>();
      }
      // All connections busy: wait until release() wakes us (cancels the timer).
      net::steady_timer wake(executor, Clock::time_point::max());
      waiters.push_back(&wake);
      co_await wake.async_wait(kTuple);
      std::erase(waiters, &wake);
    }
  }

  void release(std::unique_ptr<Connection> c, bool reusable) {
    busy.erase(c.get());
    if (reusable && !stopped && c->is_open()) {
      c->idle_since = Clock::now();
      idle.push_back(std::move(c));
    } else {
      c->close();
      --live;
    }
    if (!waiters.empty()) {
      waiters.front()->cancel();
      waiters.pop_front();
    }
  }

  // ---- connecting --------------------------------------------------------------------

  // Resolution with a real deadline: asio cannot interrupt getaddrinfo, so the lookup runs
  // on its own and we stop waiting for it when the deadline passes.
  awaitable<std::variant<tcp::resolver::results_type, error_code>> resolve(
      Clock::time_point until) {
    struct State {
      explicit State(const net::any_io_executor& ex) : resolver(ex), timer(ex) {}
      tcp::resolver resolver;
      net::steady_timer timer;
      tcp::resolver::results_type results;
      error_code ec;
      bool done = false;
    };
    if (is_ip_literal(url.host)) {
      co_return tcp::resolver::results_type::create(
          tcp::endpoint(net::ip::make_address(url.host), url.port), url.host,
          std::to_string(url.port));
    }
    auto state = std::make_shared<State>(executor);
    state->timer.expires_at(until);
    state->resolver.async_resolve(url.host, std::to_string(url.port),
                                  [state](error_code ec, tcp::resolver::results_type r) {
                                    state->ec = ec;
                                    state->results = std::move(r);
                                    state->done = true;
                                    state->timer.cancel();
                                  });
    co_await state->timer.async_wait(kTuple);
    if (!state->done) {
      state->resolver.cancel();
      co_return error_code(beast::error::timeout);
    }
    if (state->ec) co_return state->ec;
    co_return state->results;
  }

  // The earlier of now + `phase` and the deadline set_deadline() gave.
  Clock::time_point bound(Clock::duration phase) const {
    const auto until = Clock::now() + phase;
    return deadline && *deadline < until ? *deadline : until;
  }

  // A failure to connect: the host cannot be reached (or does not answer) now; a timeout is
  // named by the setting that bounds it, so that the reader knows what to change.
  Failure connect_failure(const Request& req, const std::string& phase, const error_code& ec) {
    Failure f = transport_failure(req, phase, ec, false);
    if (ec == beast::error::timeout)
      f.message = req.what() + ": " + phase + ": no answer within connect_timeout (" +
                  std::to_string(options.connect_timeout.count()) +
                  " ms, for name lookup, TCP connect and TLS handshake together)";
    f.unreachable = true;
    return f;
  }

  // Name lookup, TCP connect and TLS handshake share one deadline, connect_timeout: it is
  // what the configuration documents, and a server that accepts connections but never speaks
  // TLS must not hold a request for request_timeout.
  awaitable<std::optional<Failure>> connect(Connection& c, const Request& req) {
    c.close();
    const Clock::time_point until = bound(options.connect_timeout);
    auto resolved = co_await resolve(until);
    if (auto* ec = std::get_if<error_code>(&resolved)) {
      co_return connect_failure(req, "resolving " + url.host, *ec);
    }
    if (stopped) co_return cancelled(req, false);
    auto& results = std::get<tcp::resolver::results_type>(resolved);
    if (url.tls()) {
      c.tls.emplace(executor, *tls_context);
      // SNI carries names only, never addresses (RFC 6066).
      if (!is_ip_literal(url.host) &&
          !SSL_set_tlsext_host_name(c.tls->native_handle(), url.host.c_str())) {
        co_return failure(req, FailureKind::kTls, 0, req.what() + ": cannot set SNI", false);
      }
      // The stock examples check the chain only; the name must match too.
      c.tls->set_verify_callback(ssl::host_name_verification(url.host));
    } else {
      c.plain.emplace(executor);
    }
    ++opened;
    c.tcp().expires_at(until);
    auto [ec, endpoint] = co_await c.tcp().async_connect(results, kTuple);
    if (ec) {
      co_return connect_failure(req, "connecting to " + url.host_header(), ec);
    }
    if (c.tls) {
      c.tcp().expires_at(until);
      auto [hec] = co_await c.tls->async_handshake(ssl::stream_base::client, kTuple);
      if (hec) {
        auto f = connect_failure(req, "TLS handshake with " + url.host, hec);
        if (hec != beast::error::timeout) f.kind = FailureKind::kTls;
        co_return f;
      }
    }
    c.tcp().expires_never();
    co_return std::nullopt;
  }

  // ---- one request -------------------------------------------------------------------

  http::request<http::string_body> make_request(const Request& req) const {
    http::request<http::string_body> r{req.verb, req.target, 11};
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

  template <class Stream>
  awaitable<Attempt> exchange(Stream& stream, Connection& c, const Request& req) {
    Attempt out;
    auto& tcp_layer = c.tcp();

    // Write.
    auto message = make_request(req);
    tcp_layer.expires_at(bound(options.request_timeout));
    auto [wec, written] = co_await http::async_write(stream, message, kTuple);
    if (wec) {
      // The whole request did not leave: the server cannot have acted on it.
      out.result = transport_failure(req, "sending the request", wec, false);
      out.closed_before_answer = is_closed_error(wec);
      out.sent_nothing = written == 0;
      co_return out;
    }

    // Response header.
    http::response_parser<http::buffer_body> parser;
    parser.body_limit(boost::none);  // a read-all may be far beyond Beast's 8 MB default
    tcp_layer.expires_at(bound(options.request_timeout));
    auto [hec, hn] = co_await http::async_read_header(stream, c.buffer, parser, kTuple);
    if (hec) {
      Failure f = transport_failure(req, "waiting for the answer", hec, true);
      // Not one byte within request_timeout: the server does not answer at all.
      f.unreachable = hec == beast::error::timeout && !parser.got_some();
      out.result = std::move(f);
      out.closed_before_answer = is_closed_error(hec) && !parser.got_some();
      co_return out;
    }
    const int status = static_cast<int>(parser.get().result_int());
    const std::string encoding = std::string(parser.get()[http::field::content_encoding]);
    const bool gzip = beast::iequals(encoding, "gzip") || beast::iequals(encoding, "x-gzip");
    if (!gzip && !encoding.empty() && !beast::iequals(encoding, "identity")) {
      out.result = failure(req, status == 200 ? FailureKind::kBadJson : kind_for_status(status),
                           status, req.what() + ": unsupported Content-Encoding '" + encoding + "'",
                           status == 200 || !definite_refusal(status, false));
      co_return out;
    }
    std::optional<std::chrono::milliseconds> retry_after;
    if (auto it = parser.get().find(http::field::retry_after); it != parser.get().end()) {
      retry_after = parse_retry_after(it->value(), std::chrono::system_clock::now());
    }

    // Body: decoded bytes go to the envelope parser (200) or into a bounded buffer (others).
    FetchStats stats;
    std::string error_body;
    EnvelopeStream envelope(req.sink);
    if (req.take_compact) envelope.offer_compact_first(req.take_compact);
    envelope.limit_element_size(options.max_element_size);
    std::optional<StreamError> json_error;
    auto on_decoded = [&](std::string_view bytes) {
      stats.decoded_bytes += bytes.size();
      if (status != 200) {
        const auto room = kErrorBodyLimit - std::min(kErrorBodyLimit, error_body.size());
        error_body.append(bytes.substr(0, room));
      } else if (!json_error) {
        json_error = envelope.write(bytes);
      }
    };
    std::optional<GzipInflater> inflater;
    if (gzip) inflater.emplace(on_decoded, kChunk);
    std::optional<std::string> gzip_error;

    std::vector<char> chunk(kChunk);
    error_code bec;
    while (!parser.is_done()) {
      parser.get().body().data = chunk.data();
      parser.get().body().size = chunk.size();
      tcp_layer.expires_at(bound(options.request_timeout));
      auto [ec, n] = co_await http::async_read(stream, c.buffer, parser, kTuple);
      if (ec == http::error::need_buffer) ec = {};
      const std::size_t got = chunk.size() - parser.get().body().size;
      if (got > 0) {
        stats.body_bytes += got;
        std::string_view piece(chunk.data(), got);
        if (inflater) {
          if (!gzip_error) gzip_error = inflater->write(piece);
        } else {
          on_decoded(piece);
        }
        if (status == 200 && req.progress && *req.progress) (*req.progress)(stats.body_bytes);
      }
      if (ec) {
        bec = ec;
        break;
      }
      // Stop early when the rest cannot change the outcome: bad JSON / gzip on a 200, or an
      // error body beyond what we keep (the connection is then closed, not drained).
      if (status == 200 && (json_error || gzip_error)) break;
      if (status != 200 && stats.body_bytes >= kErrorBodyLimit && !parser.is_done()) break;
    }
    stats.largest_chunk = envelope.largest_write();
    stats.taken_as_text = envelope.taken_as_text();
    out.reusable = !bec && parser.is_done() && parser.keep_alive();

    if (status != 200) {
      out.result = status_failure(req, status, parser.get().reason(), error_body, retry_after);
      co_return out;
    }
    if (bec) {
      out.result = transport_failure(
          req, "reading the body (after " + std::to_string(stats.body_bytes) + " bytes)", bec,
          true);
      co_return out;
    }
    if (!gzip_error && !json_error && inflater) gzip_error = inflater->finish();
    if (gzip_error) {
      out.result = failure(req, FailureKind::kBadJson, 200, req.what() + ": " + *gzip_error, true);
      co_return out;
    }
    if (!json_error) json_error = envelope.finish();
    if (!json_error) json_error = envelope.check_ok(req.need_content);
    if (json_error) {
      const auto kind = json_error->kind == StreamError::Kind::kNotEnvelope
                            ? FailureKind::kBadEnvelope
                            : FailureKind::kBadJson;
      // The server's own "error" text is passed through as is; our descriptions name the path.
      std::string message = json_error->kind == StreamError::Kind::kNotEnvelope && envelope.error()
                                ? json_error->message
                                : req.what() + ": " + json_error->message;
      out.result = failure(req, kind, 200, std::move(message), true);
      co_return out;
    }
    stats.elements = envelope.elements();
    out.result = stats;
    co_return out;
  }

  Failure status_failure(const Request& req, int status, std::string_view reason,
                         std::string_view body, std::optional<std::chrono::milliseconds> retry) {
    auto text = error_text(body);
    std::string message;
    if (text) {
      message = std::move(*text);
    } else {
      message = req.what() + ": HTTP " + std::to_string(status) + " " + std::string(reason);
      if (!body.empty())
        message += " (" + std::to_string(body.size()) + " byte body, not an error envelope)";
    }
    // API.md's 500 ("your JSON could not be parsed") comes with an error envelope. A 500
    // without one is a crash page from the server or a proxy: transient, like a 502.
    const bool crash_page = status == 500 && !text;
    Failure f = failure(req, crash_page ? FailureKind::kServerError : kind_for_status(status),
                        status, std::move(message), !definite_refusal(status, text.has_value()));
    f.retry_after = retry;
    return f;
  }

  // One request, with the one re-send a stale keep-alive connection allows.
  awaitable<Result<FetchStats>> perform(const Request& req) {
    for (int round = 0;; ++round) {
      auto conn = co_await acquire();
      if (!conn) co_return cancelled(req, false);
      if (deadline && Clock::now() >= *deadline) {
        release(std::move(conn), true);
        co_return past_deadline(req, false);
      }
      busy.insert(conn.get());
      const bool reused = conn->is_open();
      if (!reused) {
        if (auto f = co_await connect(*conn, req)) {
          release(std::move(conn), false);
          if (stopped) co_return cancelled(req, false);
          if (deadline && Clock::now() >= *deadline) co_return past_deadline(req, false);
          spdlog::debug("{}: {}", req.what(), f->describe());
          co_return std::move(*f);
        }
      }
      // Not a ?: with a co_await in each branch: g++ 12 miscompiles that (the result is
      // relocated bitwise and its strings then point into a freed frame).
      Attempt a;
      if (conn->tls) {
        a = co_await exchange(*conn->tls, *conn, req);
      } else {
        a = co_await exchange(*conn->plain, *conn, req);
      }
      release(std::move(conn), a.reusable);
      if (!a.result && stopped) {
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

  Failure cancelled(const Request& req, bool maybe_reached) const {
    // kOtherStatus: not retryable, so that no retry loop keeps a stopping daemon busy.
    return failure(req, FailureKind::kOtherStatus, 0,
                   req.what() + ": cancelled, the client is shutting down", maybe_reached);
  }

  Failure past_deadline(const Request& req, bool maybe_reached) const {
    // kTimeout but not to be retried: the retry loop sees past_deadline and stops.
    Failure f = failure(req, FailureKind::kTimeout, 0,
                        req.what() + (maybe_reached ? ": cut short" : ": not sent") +
                            ", the time limit of this sync cycle ran out (sync.cycle_timeout)",
                        maybe_reached);
    f.past_deadline = true;
    return f;
  }

  // Closes idle connections, aborts the ones in use (their requests fail with `cancelled`)
  // and wakes requests waiting for a connection (they fail the same way).
  void shutdown() {
    stopped = true;
    for (auto& c : idle) c->close();
    live -= static_cast<int>(idle.size());
    idle.clear();
    for (Connection* c : busy) {
      // Only the socket: the streams must outlive the operations now completing with
      // operation_aborted.
      if (c->plain || c->tls) {
        error_code ignored;
        c->tcp().socket().close(ignored);
      }
    }
    for (net::steady_timer* t : waiters) t->cancel();
    waiters.clear();
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
  std::vector<std::unique_ptr<Connection>> idle;
  int live = 0;  // connections idle or in use
  std::deque<net::steady_timer*> waiters;
  std::uint64_t opened = 0;
  std::set<Connection*> busy;  // connections lent out, for shutdown()
  bool stopped = false;
  std::optional<Clock::time_point> deadline;  // set_deadline()
};

HttpClient::HttpClient(boost::asio::any_io_executor executor, ClientOptions options)
    : impl_(std::make_unique<Impl>(std::move(executor), std::move(options))) {}

HttpClient::~HttpClient() {
  for (auto& c : impl_->idle) c->close();
}

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

void HttpClient::shutdown() {
  impl_->shutdown();
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
