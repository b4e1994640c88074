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
#include <boost/json.hpp>

#include <charconv>
#include <fstream>
#include <iostream>
#include <optional>

#include "model/resources.h"

namespace clevertim::emulator {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace json = boost::json;
using tcp = asio::ip::tcp;

using Request = http::request<http::string_body>;
using Response = http::response<http::string_body>;

struct LogEntry {
  std::string method, path, body;
  int status;
  std::string fault;
};

std::optional<std::int64_t> parse_id(std::string_view s) {
  std::int64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || s.empty()) return std::nullopt;
  return v;
}

// The user part of "Authorization: Basic base64(user:password)".
std::string basic_user(std::string_view header) {
  if (header.substr(0, 6) != "Basic ") return "";
  const std::string_view encoded = header.substr(6);
  std::string decoded(beast::detail::base64::decoded_size(encoded.size()), '\0');
  const auto [written, read] =
      beast::detail::base64::decode(decoded.data(), encoded.data(), encoded.size());
  (void)read;
  decoded.resize(written);
  return decoded.substr(0, decoded.find(':'));
}

const char* fault_name(Fault f) {
  switch (f) {
    case Fault::kServerError:
      return "5xx";
    case Fault::kRateLimited:
      return "429";
    case Fault::kUnavailable:
      return "503";
    case Fault::kReset:
      return "reset";
    case Fault::kTruncate:
      return "truncate";
    case Fault::kEmpty:
      return "empty";
    case Fault::kDropAfterCommit:
      return "drop_after_commit";
    case Fault::kNone:
      break;
  }
  return "";
}

}  // namespace

struct Server::Impl {
  asio::io_context& io;
  ServerOptions options;
  Account& account;
  Faults faults;
  std::vector<LogEntry> log;
  tcp::acceptor acceptor;
  std::optional<asio::ssl::context> tls;
  std::uint16_t port = 0;
  bool stopping = false;

  Impl(asio::io_context& io_, ServerOptions o, Account& a)
      : io(io_), options(std::move(o)), account(a), faults(options.faults), acceptor(io_) {
    if (!options.tls_cert.empty()) {
      tls.emplace(asio::ssl::context::tls_server);
      tls->use_certificate_chain_file(options.tls_cert.string());
      tls->use_private_key_file(options.tls_key.string(), asio::ssl::context::pem);
    }
  }

  // What to answer, and whether a fault changes how.
  struct Outcome {
    Response response;
    Fault fault = Fault::kNone;
    bool logged = false;
  };

  Response make(int status, std::string body, unsigned version, bool keep_alive) {
    Response res{static_cast<http::status>(status), version};
    res.set(http::field::server, "clevertim-emulator");
    res.set(http::field::content_type, "application/json");
    res.keep_alive(keep_alive);
    res.body() = std::move(body);
    res.prepare_payload();
    return res;
  }

  Outcome handle(const Request& req) {
    std::string target(req.target());
    target = target.substr(0, target.find('?'));
    const bool keep = req.keep_alive();
    const unsigned v = req.version();
    const std::string user = basic_user(req[http::field::authorization]);

    if (target.rfind("/_emulator/", 0) == 0) {
      if (user != options.token)
        return {make(401, error_body("the control API needs the read-write token"), v, keep)};
      return {control(req, target.substr(11), v, keep)};
    }

    std::string_view path = target;
    if (path == "/api" || path.rfind("/api/", 0) == 0) path.remove_prefix(4);
    if (!path.empty() && path.front() == '/') path.remove_prefix(1);
    const std::string_view resource_name = path.substr(0, path.find('/'));
    const std::string_view rest = path.find('/') == std::string_view::npos
                                      ? std::string_view()
                                      : path.substr(path.find('/') + 1);

    Outcome out;
    out.logged = true;
    if (user.empty() || (user != options.token && user != options.readonly_token)) {
      out.response = make(401, error_body("unauthorized: unknown API token"), v, keep);
      return out;
    }
    const model::Resource* r = model::find_resource(resource_name);
    std::optional<std::int64_t> id;
    if (!rest.empty()) id = parse_id(rest);
    if (r == nullptr || (!rest.empty() && !id)) {
      out.response = make(404, error_body("no such resource: " + target), v, keep);
      return out;
    }
    const bool write = req.method() != http::verb::get;
    out.fault = faults.draw(std::string_view(req.method_string()), target, !write && !id, write);
    if (out.fault == Fault::kServerError || out.fault == Fault::kRateLimited ||
        out.fault == Fault::kUnavailable)
      return out;  // answered without touching the account
    if (write && user == options.readonly_token) {
      out.response = make(403, error_body("forbidden: this user has read-only access"), v, keep);
      return out;
    }
    if (write && r->read_only) {
      out.response = make(501, error_body(std::string(r->endpoint) + " is read-only"), v, keep);
      return out;
    }
    out.response = api(*r, id, req, v, keep);
    return out;
  }

  Response api(const model::Resource& r, std::optional<std::int64_t> id, const Request& req,
               unsigned v, bool keep) {
    auto body_json = [&]() -> std::optional<json::value> {
      json::error_code ec;
      json::value parsed = json::parse(req.body(), ec);
      if (ec) return std::nullopt;
      return parsed;
    };
    Answer a;
    switch (req.method()) {
      case http::verb::get:
        a = id ? account.read_one(r, *id) : account.read_all(r);
        break;
      case http::verb::post: {
        if (id) {
          a = {400, error_body("POST goes to the collection, without an id")};
          break;
        }
        auto body = body_json();
        a = body ? account.create(r, *body, account.first_user_id())
                 : Answer{500, error_body("the request body is not valid JSON")};
        break;
      }
      case http::verb::put: {
        if (!id) {
          a = {400, error_body("PUT needs an id in the URL")};
          break;
        }
        auto body = body_json();
        a = body ? account.update(r, *id, *body)
                 : Answer{500, error_body("the request body is not valid JSON")};
        break;
      }
      case http::verb::delete_:
        a = id ? account.remove(r, *id) : Answer{400, error_body("DELETE needs an id in the URL")};
        break;
      default:
        a = {405, error_body("method not allowed")};
    }
    return make(a.status, std::move(a.body), v, keep);
  }

  Response control(const Request& req, std::string_view what, unsigned v, bool keep) {
    try {
      if (what == "log") {
        if (req.method() == http::verb::delete_) {
          log.clear();
          return make(200, R"({"status":"OK"})", v, keep);
        }
        json::array entries;
        for (const LogEntry& e : log)
          entries.push_back({{"method", e.method},
                             {"path", e.path},
                             {"body", e.body},
                             {"status", e.status},
                             {"fault", e.fault}});
        return make(200, json::serialize(json::object{{"requests", std::move(entries)}}), v, keep);
      }
      if (what == "faults") {
        if (req.method() == http::verb::put) faults.update(json::parse(req.body()).as_object());
        return make(200, json::serialize(faults.to_json()), v, keep);
      }
      if (what == "state") {
        if (req.method() == http::verb::put) {
          account.replace_state(json::parse(req.body()).as_object());
          return make(200, R"({"status":"OK"})", v, keep);
        }
        return make(200, json::serialize(account.state()), v, keep);
      }
      if (what == "save") {
        save();
        return make(200, R"({"status":"OK"})", v, keep);
      }
      if (what.rfind("web/", 0) == 0) {  // another user, in the web app: not logged, no faults
        std::string_view path = what.substr(4);
        const model::Resource* r = model::find_resource(path.substr(0, path.find('/')));
        std::optional<std::int64_t> id;
        if (path.find('/') != std::string_view::npos)
          id = parse_id(path.substr(path.find('/') + 1));
        if (r == nullptr) return make(404, error_body("no such resource"), v, keep);
        return api(*r, id, req, v, keep);
      }
    } catch (const std::exception& e) {
      return make(400, error_body(std::string("control request refused: ") + e.what()), v, keep);
    }
    return make(404, error_body("no such control endpoint"), v, keep);
  }

  void save() {
    if (options.state_file.empty()) throw std::invalid_argument("no --state file was given");
    const auto tmp = options.state_file.string() + ".tmp";
    std::ofstream(tmp) << json::serialize(account.state());
    std::filesystem::rename(tmp, options.state_file);
  }

  template <class Stream>
  asio::awaitable<void> serve(Stream& stream) {
    beast::flat_buffer buffer;
    for (;;) {
      http::request_parser<http::string_body> parser;
      parser.body_limit(std::uint64_t{64} * 1024 * 1024);
      beast::error_code ec;
      co_await http::async_read(stream, buffer, parser,
                                asio::redirect_error(asio::use_awaitable, ec));
      if (ec) co_return;
      const Request req = parser.release();
      Outcome out = handle(req);
      if (faults.rates().latency_ms > 0) {
        asio::steady_timer delay(io, std::chrono::milliseconds(faults.rates().latency_ms));
        co_await delay.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      }
      const bool keep = req.keep_alive();
      Response res;
      switch (out.fault) {
        case Fault::kServerError:
          res = make(502, "<html><body>502 Bad Gateway</body></html>", req.version(), keep);
          res.set(http::field::content_type, "text/html");
          break;
        case Fault::kRateLimited:
        case Fault::kUnavailable:
          res = make(out.fault == Fault::kRateLimited ? 429 : 503, error_body("slow down"),
                     req.version(), keep);
          res.set(http::field::retry_after, std::to_string(faults.rates().retry_after_seconds));
          break;
        case Fault::kEmpty:
          res = make(200, R"({"status":"OK","content":[]})", req.version(), keep);
          break;
        case Fault::kTruncate:
          res = std::move(out.response);
          res.body().resize(res.body().size() / 2);
          res.prepare_payload();
          break;
        default:
          res = std::move(out.response);
      }
      if (out.logged)
        log.push_back({std::string(req.method_string()), std::string(req.target()), req.body(),
                       static_cast<int>(res.result_int()), fault_name(out.fault)});
      if (out.fault == Fault::kDropAfterCommit) co_return;  // committed; the answer is lost
      if (out.fault == Fault::kReset) {
        // The header promises the whole body; half of it arrives, then the connection closes.
        const std::string body = std::move(res.body());
        res.body().clear();
        res.content_length(body.size());
        http::response_serializer<http::string_body> sr{res};
        co_await http::async_write_header(stream, sr,
                                          asio::redirect_error(asio::use_awaitable, ec));
        co_await asio::async_write(stream, asio::buffer(body.data(), body.size() / 2),
                                   asio::redirect_error(asio::use_awaitable, ec));
        co_return;
      }
      co_await http::async_write(stream, res, asio::redirect_error(asio::use_awaitable, ec));
      if (ec || !keep) co_return;
    }
  }

  asio::awaitable<void> session(tcp::socket socket) {
    if (tls) {
      beast::ssl_stream<beast::tcp_stream> stream(std::move(socket), *tls);
      beast::error_code ec;
      co_await stream.async_handshake(asio::ssl::stream_base::server,
                                      asio::redirect_error(asio::use_awaitable, ec));
      if (ec) co_return;
      co_await serve(stream);
      stream.next_layer().socket().close(ec);
    } else {
      beast::tcp_stream stream(std::move(socket));
      co_await serve(stream);
      beast::error_code ec;
      stream.socket().shutdown(tcp::socket::shutdown_both, ec);
      stream.socket().close(ec);
    }
  }

  asio::awaitable<void> accept() {
    while (!stopping) {
      beast::error_code ec;
      tcp::socket socket =
          co_await acceptor.async_accept(asio::redirect_error(asio::use_awaitable, ec));
      if (ec) {
        if (stopping) co_return;
        continue;
      }
      socket.set_option(tcp::no_delay(true), ec);
      asio::co_spawn(io, session(std::move(socket)), asio::detached);
    }
  }
};

Server::Server(asio::io_context& io, ServerOptions options, Account& account)
    : impl_(std::make_unique<Impl>(io, std::move(options), account)) {}

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
  const std::string host = impl_->options.host.find(':') != std::string::npos
                               ? "[" + impl_->options.host + "]"
                               : impl_->options.host;
  return std::string(impl_->tls ? "https" : "http") + "://" + host + ":" +
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
