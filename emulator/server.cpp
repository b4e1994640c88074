#include "emulator/server.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/core/detail/base64.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <cstdio>
#include <fstream>
#include <stdexcept>

#include "emulator/api.h"
#include "emulator/control.h"

namespace clevertim::emulator {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;

using Request = http::request<http::string_body>;
using Response = http::response<http::span_body<const char>>;

constexpr std::uint64_t kBodyLimit = std::uint64_t{256} * 1024 * 1024;
constexpr std::string_view kControlPrefix = "/_emulator/";

// The user part of "Authorization: Basic base64(user:password)"; the password is ignored.
std::string basic_user(std::string_view header) {
  if (!header.starts_with("Basic ")) return "";
  const std::string_view encoded = header.substr(6);
  std::string decoded(beast::detail::base64::decoded_size(encoded.size()), '\0');
  const auto [written, read] =
      beast::detail::base64::decode(decoded.data(), encoded.data(), encoded.size());
  (void)read;
  decoded.resize(written);
  return decoded.substr(0, decoded.find(':'));
}

std::shared_ptr<const std::string> shared(std::string text) {
  return std::make_shared<const std::string>(std::move(text));
}

// What the server sends back for one request, and how (a fault may cut it short).
struct Outgoing {
  int status = 200;
  std::shared_ptr<const std::string> body;
  std::string_view content_type = "application/json";
  int retry_after = -1;  // seconds; -1: no Retry-After header
  Fault fault = Fault::kNone;
};

// How a connection ended: the peer is done, or a fault cut it (no TLS goodbye then).
enum class Ending { kGraceful, kAbrupt };

}  // namespace

struct Server::Impl {
  asio::io_context& io;
  ServerOptions options;
  Store& store;
  Faults faults;
  RequestLog log;
  tcp::acceptor acceptor;
  std::optional<asio::ssl::context> tls;
  std::uint16_t port = 0;
  bool stopping = false;

  Impl(asio::io_context& io_, ServerOptions o, Store& s)
      : io(io_), options(std::move(o)), store(s), faults(options.faults), acceptor(io_) {
    if (!options.tls_cert.empty() || !options.tls_key.empty()) {
      if (options.tls_cert.empty() || options.tls_key.empty())
        throw std::invalid_argument("TLS needs both --tls-cert and --tls-key");
      tls.emplace(asio::ssl::context::tls_server);
      tls->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                       asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                       asio::ssl::context::no_tlsv1_1);
      tls->use_certificate_chain_file(options.tls_cert.string());
      tls->use_private_key_file(options.tls_key.string(), asio::ssl::context::pem);
    }
  }

  void save() const {
    if (options.state_file.empty()) throw std::invalid_argument("no --state file was given");
    const std::filesystem::path tmp = options.state_file.string() + ".tmp";
    {
      std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
      out << store.state_json();
      if (!out.flush()) throw std::runtime_error("cannot write " + tmp.string());
    }
    std::filesystem::rename(tmp, options.state_file);
  }

  // Control requests: never faulted, delayed or logged.
  Outgoing control(const Request& req, std::string_view user) {
    if (user != options.token)
      return {401, shared(error_body("the control API needs the read-write token"))};
    std::string_view what = req.target();
    what = what.substr(kControlPrefix.size());
    what = what.substr(0, what.find('?'));
    ControlContext ctx{store, faults, log, [this] { save(); }};
    Reply r = handle_control(ctx, std::string_view(req.method_string()), what, req.body());
    return {r.status, std::move(r.body)};
  }

  Outgoing api(const Request& req, std::string_view user) {
    const std::string_view method = req.method_string();
    std::optional<Caller> caller;
    if (!user.empty() && user == options.token)
      caller = Caller::kToken;
    else if (!user.empty() && user == options.readonly_token)
      caller = Caller::kReadOnlyToken;
    if (!caller)
      return {401, shared(error_body("unauthorized: a valid API token is needed (HTTP Basic, "
                                     "the token as the user name)"))};
    const Route rt = route(req.target());
    Outgoing out;
    out.fault = faults.draw(method, rt.path, rt.is_read_all(method), is_write(method));
    switch (out.fault) {
      case Fault::kServerError:
        out.status = faults.server_error_status();
        if (out.status == 500) {
          // A crash page, not the API's envelope: API.md gives a 500 *with* an envelope one
          // meaning (the request body was not JSON), and the emulator keeps that meaning.
          out.body = shared("<html><body><h1>500 Internal Server Error</h1></body></html>\n");
          out.content_type = "text/html";
        } else if (out.status == 502) {
          out.body = shared(
              "<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad "
              "Gateway</h1></body></html>\n");
          out.content_type = "text/html";
        } else {
          out.body =
              shared("Service Temporarily Unavailable (" + std::to_string(out.status) + ")\n");
          out.content_type = "text/plain";
        }
        return out;
      case Fault::kRateLimited:
      case Fault::kUnavailable:
        out.status = out.fault == Fault::kRateLimited ? 429 : 503;
        out.body = shared(error_body(out.status == 429 ? "too many requests; retry later"
                                                       : "service unavailable; retry later"));
        out.retry_after = faults.rates().retry_after_seconds;
        return out;
      case Fault::kEmpty:
        out.body = shared(ok_list(""));
        return out;
      default:
        break;
    }
    Reply r = handle_api(store, *caller, method, rt, req.body());
    out.status = r.status;
    out.body = std::move(r.body);
    if (out.fault == Fault::kTruncate)  // a complete 200 whose JSON stops half-way
      out.body = shared(out.body->substr(0, out.body->size() / 2));
    if (out.status == 200 && (out.fault == Fault::kUnavailableAfterCommit ||
                              out.fault == Fault::kRateLimitedAfterCommit)) {
      // Done, but answered as a proxy may answer after the backend committed.
      out.status = out.fault == Fault::kRateLimitedAfterCommit ? 429 : 503;
      out.body = shared(error_body(out.status == 429 ? "too many requests; retry later"
                                                     : "service unavailable; retry later"));
      out.retry_after = faults.rates().retry_after_seconds;
    }
    if (out.status == 200 && (out.fault == Fault::kShort || out.fault == Fault::kBadId))
      out.body = shared(faults.spoil_read_all(out.fault, *out.body));  // the cache stays whole
    return out;
  }

  Response make(const Outgoing& o, const Request& req) const {
    Response res{static_cast<http::status>(o.status), req.version()};
    res.set(http::field::server, "clevertim-emulator");
    res.set(http::field::content_type, o.content_type);
    if (o.retry_after >= 0) res.set(http::field::retry_after, std::to_string(o.retry_after));
    res.keep_alive(req.keep_alive());
    res.body() = {o.body->data(), o.body->size()};
    res.prepare_payload();
    return res;
  }

  template <class Stream>
  asio::awaitable<Ending> serve(Stream& stream, beast::tcp_stream& tcp) {
    beast::flat_buffer buffer;
    beast::error_code ec;
    auto token = asio::redirect_error(asio::use_awaitable, ec);
    for (;;) {
      http::request_parser<http::string_body> parser;
      parser.body_limit(kBodyLimit);
      tcp.expires_after(options.idle_timeout);
      co_await http::async_read_header(stream, buffer, parser, token);
      if (ec) co_return Ending::kGraceful;
      if (beast::iequals(parser.get()[http::field::expect], "100-continue")) {
        http::response<http::empty_body> go_on{http::status::continue_, 11};
        co_await http::async_write(stream, go_on, token);
        if (ec) co_return Ending::kGraceful;
      }
      co_await http::async_read(stream, buffer, parser, token);
      if (ec) co_return Ending::kGraceful;
      const Request req = parser.release();
      const auto started = std::chrono::steady_clock::now();
      const std::string user = basic_user(req[http::field::authorization]);
      const bool is_control = req.target().starts_with(kControlPrefix);
      const Outgoing out = is_control ? control(req, user) : api(req, user);

      if (!is_control && faults.rates().latency_ms > 0) {
        asio::steady_timer delay(io, std::chrono::milliseconds(faults.rates().latency_ms));
        co_await delay.async_wait(token);
      }
      if (!is_control) {
        const std::string_view target = req.target();
        log.add({std::string(req.method_string()), std::string(target.substr(0, target.find('?'))),
                 req.body(), out.status, std::string(fault_name(out.fault))});
      }
      if (!options.quiet)
        std::fprintf(
            stderr, "%s %s %d %lldms%s%s\n", std::string(req.method_string()).c_str(),
            std::string(req.target()).c_str(), out.status,
            static_cast<long long>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                       std::chrono::steady_clock::now() - started)
                                       .count()),
            out.fault == Fault::kNone ? "" : " fault=", std::string(fault_name(out.fault)).c_str());

      if (out.fault == Fault::kDropAfterCommit) co_return Ending::kAbrupt;  // answer lost
      Response res = make(out, req);
      tcp.expires_after(options.idle_timeout);
      if (out.fault == Fault::kReset) {
        // The header promises the whole body; part of it arrives, then the connection closes.
        http::response_serializer<http::span_body<const char>> sr{res};
        co_await http::async_write_header(stream, sr, token);
        if (!ec)
          co_await asio::async_write(stream, asio::buffer(out.body->data(), out.body->size() / 2),
                                     token);
        co_return Ending::kAbrupt;
      }
      co_await http::async_write(stream, res, token);
      if (ec || !req.keep_alive()) co_return Ending::kGraceful;
    }
  }

  asio::awaitable<void> session(tcp::socket socket) {
    beast::error_code ec;
    auto token = asio::redirect_error(asio::use_awaitable, ec);
    if (tls) {
      beast::ssl_stream<beast::tcp_stream> stream(std::move(socket), *tls);
      stream.next_layer().expires_after(30s);
      co_await stream.async_handshake(asio::ssl::stream_base::server, token);
      if (ec) co_return;
      const Ending ending = co_await serve(stream, stream.next_layer());
      if (ending == Ending::kGraceful) {
        stream.next_layer().expires_after(2s);
        co_await stream.async_shutdown(token);
      }
      stream.next_layer().socket().close(ec);
    } else {
      beast::tcp_stream stream(std::move(socket));
      const Ending ending = co_await serve(stream, stream);
      if (ending == Ending::kGraceful) stream.socket().shutdown(tcp::socket::shutdown_send, ec);
      stream.socket().close(ec);
    }
  }

  asio::awaitable<void> accept() {
    beast::error_code ec;
    while (!stopping) {
      tcp::socket socket =
          co_await acceptor.async_accept(asio::redirect_error(asio::use_awaitable, ec));
      if (ec) {
        if (stopping || ec == asio::error::operation_aborted) co_return;
        continue;  // e.g. too many open files: keep serving the connections we have
      }
      socket.set_option(tcp::no_delay(true), ec);
      asio::co_spawn(io, session(std::move(socket)), asio::detached);
    }
  }
};

Server::Server(asio::io_context& io, ServerOptions options, Store& store)
    : impl_(std::make_unique<Impl>(io, std::move(options), store)) {}

Server::~Server() = default;

std::uint16_t Server::start() {
  const tcp::endpoint endpoint(asio::ip::make_address(impl_->options.host), impl_->options.port);
  impl_->acceptor.open(endpoint.protocol());
  impl_->acceptor.set_option(tcp::acceptor::reuse_address(true));
  impl_->acceptor.bind(endpoint);
  impl_->acceptor.listen(asio::socket_base::max_listen_connections);
  impl_->port = impl_->acceptor.local_endpoint().port();
  asio::co_spawn(impl_->io, impl_->accept(), asio::detached);
  return impl_->port;
}

std::string Server::url() const {
  const std::string& host = impl_->options.host;
  const std::string shown = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  return std::string(impl_->tls ? "https" : "http") + "://" + shown + ":" +
         std::to_string(impl_->port) + "/api";
}

void Server::save_state() const {
  impl_->save();
}

void Server::stop() {
  impl_->stopping = true;
  beast::error_code ec;
  impl_->acceptor.close(ec);
}

}  // namespace clevertim::emulator
