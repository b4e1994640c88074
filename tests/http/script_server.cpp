#include "script_server.h"

#include <zlib.h>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <deque>
#include <mutex>
#include <stdexcept>
#include <thread>

namespace testsrv {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = net::ssl;
using net::awaitable;
using net::ip::tcp;
constexpr auto kTuple = net::as_tuple(net::use_awaitable);

std::string reason(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 429:
      return "Too Many Requests";
    case 500:
      return "Internal Server Error";
    case 501:
      return "Not Implemented";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    default:
      return "Status";
  }
}

std::string hex(std::size_t n) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  do {
    out.insert(out.begin(), digits[n % 16]);
    n /= 16;
  } while (n > 0);
  return out;
}

}  // namespace

struct ScriptServer::Impl {
  net::io_context io;
  std::optional<ssl::context> tls;
  tcp::acceptor acceptor{io};
  std::thread thread;
  mutable std::mutex mutex;
  std::deque<Reply> script;
  std::vector<Seen> seen;
  int accepted = 0;

  Reply next() {
    std::lock_guard lock(mutex);
    if (script.empty()) {
      Reply r;
      r.body = R"({"status":"OK","content":[]})";
      return r;
    }
    Reply r = std::move(script.front());
    script.pop_front();
    return r;
  }

  awaitable<void> accept_loop() {
    for (;;) {
      auto [ec, socket] = co_await acceptor.async_accept(kTuple);
      if (ec) co_return;
      int number;
      {
        std::lock_guard lock(mutex);
        number = ++accepted;
      }
      if (tls) {
        auto stream = std::make_shared<beast::ssl_stream<beast::tcp_stream>>(
            beast::tcp_stream(std::move(socket)), *tls);
        net::co_spawn(io, tls_session(stream, number), net::detached);
      } else {
        auto stream = std::make_shared<beast::tcp_stream>(std::move(socket));
        net::co_spawn(io, session(stream, number), net::detached);
      }
    }
  }

  awaitable<void> tls_session(std::shared_ptr<beast::ssl_stream<beast::tcp_stream>> stream,
                              int number) {
    auto [ec] = co_await stream->async_handshake(ssl::stream_base::server, kTuple);
    if (ec) co_return;  // the client refused our certificate: that is the point of some tests
    co_await session(stream, number);
  }

  template <class Stream>
  awaitable<void> session(std::shared_ptr<Stream> stream, int number) {
    beast::flat_buffer buffer;
    for (;;) {
      http::request<http::string_body> req;
      auto [ec, n] = co_await http::async_read(*stream, buffer, req, kTuple);
      if (ec) co_return;
      Seen s;
      s.method = std::string(req.method_string());
      s.target = std::string(req.target());
      s.body = req.body();
      s.connection = number;
      for (const auto& field : req) {
        std::string name(field.name_string());
        std::transform(name.begin(), name.end(), name.begin(),
                       [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
        s.headers[name] = std::string(field.value());
      }
      {
        std::lock_guard lock(mutex);
        seen.push_back(std::move(s));
      }
      Reply reply = next();
      if (reply.delay.count() > 0) {
        net::steady_timer timer(io, reply.delay);
        co_await timer.async_wait(kTuple);
      }
      if (reply.drop_request) co_return close(*stream);
      if (!co_await answer(*stream, reply)) co_return close(*stream);
      if (reply.close_after || reply.drop_after || reply.cut_after) co_return close(*stream);
    }
  }

  template <class Stream>
  static void close(Stream& stream) {
    beast::error_code ignored;
    beast::get_lowest_layer(stream).socket().shutdown(tcp::socket::shutdown_both, ignored);
    beast::get_lowest_layer(stream).socket().close(ignored);
  }

  template <class Stream>
  awaitable<bool> answer(Stream& stream, const Reply& reply) {
    const std::string body = reply.gzip ? gzip(reply.body) : reply.body;
    std::string head =
        "HTTP/1.1 " + std::to_string(reply.status) + " " + reason(reply.status) + "\r\n";
    bool has_type = false;
    for (const auto& [name, value] : reply.headers) {
      head += name + ": " + value + "\r\n";
      if (name == "Content-Type") has_type = true;
    }
    if (!has_type) head += "Content-Type: application/json\r\n";
    if (reply.gzip) head += "Content-Encoding: gzip\r\n";
    if (reply.close_after) head += "Connection: close\r\n";
    if (reply.generate) {
      head += "Transfer-Encoding: chunked\r\n\r\n";
      auto [ec, n] = co_await net::async_write(stream, net::buffer(head), kTuple);
      if (ec) co_return false;
      for (;;) {
        std::string piece = reply.generate();
        std::string frame = hex(piece.size()) + "\r\n" + piece + "\r\n";
        auto [wec, wn] = co_await net::async_write(stream, net::buffer(frame), kTuple);
        if (wec) co_return false;
        if (piece.empty()) co_return true;
      }
    }
    head += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n";
    std::string wire = head + body.substr(0, reply.cut_after.value_or(body.size()));
    auto [ec, n] = co_await net::async_write(stream, net::buffer(wire), kTuple);
    co_return !ec;
  }
};

ScriptServer::ScriptServer(std::string cert_file, std::string key_file)
    : impl_(std::make_unique<Impl>()) {
  if (!cert_file.empty()) {
    impl_->tls.emplace(ssl::context::tls_server);
    impl_->tls->use_certificate_chain_file(cert_file);
    impl_->tls->use_private_key_file(key_file, ssl::context::pem);
  }
  tcp::endpoint endpoint(net::ip::make_address("127.0.0.1"), 0);
  impl_->acceptor.open(endpoint.protocol());
  impl_->acceptor.set_option(tcp::acceptor::reuse_address(true));
  impl_->acceptor.bind(endpoint);
  impl_->acceptor.listen();
  net::co_spawn(impl_->io, impl_->accept_loop(), net::detached);
  impl_->thread = std::thread([this] { impl_->io.run(); });
}

ScriptServer::~ScriptServer() {
  impl_->io.stop();
  impl_->thread.join();
}

void ScriptServer::push(Reply reply) {
  std::lock_guard lock(impl_->mutex);
  impl_->script.push_back(std::move(reply));
}

std::uint16_t ScriptServer::port() const {
  return impl_->acceptor.local_endpoint().port();
}

std::string ScriptServer::base_url(const std::string& host) const {
  return std::string(impl_->tls ? "https" : "http") + "://" + host + ":" + std::to_string(port()) +
         "/api";
}

std::vector<Seen> ScriptServer::requests() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->seen;
}

int ScriptServer::connections() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->accepted;
}

std::string gzip(const std::string& data) {
  z_stream z{};
  if (deflateInit2(&z, Z_BEST_SPEED, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
    throw std::runtime_error("deflateInit2 failed");
  }
  std::string out(deflateBound(&z, data.size()), '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  const int rc = deflate(&z, Z_FINISH);
  out.resize(z.total_out);
  deflateEnd(&z);
  if (rc != Z_STREAM_END) throw std::runtime_error("deflate failed");
  return out;
}

std::pair<std::string, std::string> make_self_signed(const std::string& dir,
                                                     const std::string& name) {
  const std::string cert = dir + "/" + name + ".crt.pem";
  const std::string key = dir + "/" + name + ".key.pem";
  const std::string command = "openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=" + name +
                              " -addext subjectAltName=DNS:" + name + ",IP:127.0.0.1 -keyout " +
                              key + " -out " + cert + " -days 2 >/dev/null 2>&1";
  if (std::system(command.c_str()) != 0) throw std::runtime_error("openssl req failed");
  return {cert, key};
}

}  // namespace testsrv
