#include "http/http_connect.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/error.hpp>

#include <memory>
#include <stdexcept>
#include <variant>

namespace clevertim::sync::http_detail {
namespace {

namespace net = boost::asio;
namespace ssl = net::ssl;
namespace beast = boost::beast;
using boost::system::error_code;
using net::ip::tcp;

constexpr auto kTuple = net::as_tuple(net::use_awaitable);

bool is_ip_literal(const std::string& host) {
  error_code ec;
  net::ip::make_address(host, ec);
  return !ec;
}

// Resolution with a real deadline: asio cannot interrupt getaddrinfo, so the lookup runs on
// its own and we stop waiting for it when the deadline passes.
net::awaitable<std::variant<tcp::resolver::results_type, error_code>> resolve(
    const net::any_io_executor& executor, const BaseUrl& url, Clock::time_point until) {
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

}  // namespace

ssl::context make_tls_context(const std::string& ca_file) {
  ssl::context context(ssl::context::tls_client);
  SSL_CTX_set_min_proto_version(context.native_handle(), TLS1_2_VERSION);
  context.set_verify_mode(ssl::verify_peer);
  error_code ec;
  if (ca_file.empty()) {
    context.set_default_verify_paths(ec);
    if (ec) throw std::invalid_argument("cannot load the system CA store: " + ec.message());
  } else {
    context.load_verify_file(ca_file, ec);
    if (ec) throw std::invalid_argument("cannot load CA file '" + ca_file + "': " + ec.message());
  }
  return context;
}

// Name lookup, TCP connect and TLS handshake share one deadline, connect_timeout: it is what
// the configuration documents, and a server that accepts connections but never speaks TLS
// must not hold a request for request_timeout.
net::awaitable<std::optional<Failure>> connect(Connection& c, const Request& req,
                                               const Endpoint& to, const Deadlines& deadlines,
                                               const ConnectionPool& pool, std::uint64_t& opened) {
  c.close();
  const BaseUrl& url = to.url;
  const Clock::time_point until = deadlines.bound(deadlines.connect_timeout);
  auto resolved = co_await resolve(to.executor, url, until);
  if (auto* ec = std::get_if<error_code>(&resolved))
    co_return connect_failure(req, "resolving " + url.host, *ec, deadlines.connect_timeout);
  if (pool.stopped()) co_return cancelled(req, false);
  auto& results = std::get<tcp::resolver::results_type>(resolved);
  if (url.tls()) {
    c.tls.emplace(to.executor, *to.tls_context);
    // SNI carries names only, never addresses (RFC 6066).
    if (!is_ip_literal(url.host) &&
        !SSL_set_tlsext_host_name(c.tls->native_handle(), url.host.c_str()))
      co_return failure(req, FailureKind::kTls, 0, req.what() + ": cannot set SNI", false);
    // The stock examples check the chain only; the name must match too.
    c.tls->set_verify_callback(ssl::host_name_verification(url.host));
  } else {
    c.plain.emplace(to.executor);
  }
  ++opened;
  c.tcp().expires_at(until);
  auto [ec, endpoint] = co_await c.tcp().async_connect(results, kTuple);
  if (ec)
    co_return connect_failure(req, "connecting to " + url.host_header(), ec,
                              deadlines.connect_timeout);
  if (c.tls) {
    c.tcp().expires_at(until);
    auto [hec] = co_await c.tls->async_handshake(ssl::stream_base::client, kTuple);
    if (hec) {
      auto f =
          connect_failure(req, "TLS handshake with " + url.host, hec, deadlines.connect_timeout);
      if (hec != beast::error::timeout) f.kind = FailureKind::kTls;
      co_return f;
    }
  }
  c.tcp().expires_never();
  co_return std::nullopt;
}

}  // namespace clevertim::sync::http_detail
