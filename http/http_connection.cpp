#include "http/http_connection.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/http/error.hpp>

#include <sys/socket.h>

#include <cerrno>

namespace clevertim::sync::http_detail {
namespace {

namespace net = boost::asio;
using boost::system::error_code;
using Clock = std::chrono::steady_clock;

// A connection that sat idle may have been closed by the server: look without blocking.
// Zero bytes readable means the server sent FIN; any bytes at all (an unexpected response,
// a TLS close_notify) mean the connection is not in a state to carry a new request.
bool looks_alive(Connection& c) {
  if (!c.is_open() || c.buffer.size() > 0) return false;
  char byte;
  const auto r = ::recv(c.tcp().socket().native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  return r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}

}  // namespace

bool is_closed_error(const error_code& ec) {
  namespace http = boost::beast::http;
  return ec == http::error::end_of_stream || ec == http::error::partial_message ||
         ec == net::error::eof || ec == net::error::connection_reset ||
         ec == net::error::broken_pipe || ec == net::error::connection_aborted ||
         ec == net::ssl::error::stream_truncated;
}

bool Connection::is_open() {
  return (plain || tls) && tcp().socket().is_open();
}

void Connection::close() {
  if (plain || tls) {
    error_code ignored;
    tcp().socket().shutdown(net::ip::tcp::socket::shutdown_both, ignored);
    tcp().socket().close(ignored);
  }
  tls.reset();
  plain.reset();
  buffer.clear();
}

void Connection::abort() {
  if (plain || tls) {
    error_code ignored;
    tcp().socket().close(ignored);
  }
}

ConnectionPool::ConnectionPool(net::any_io_executor executor, int max_connections,
                               std::chrono::milliseconds idle_timeout)
    : executor_(std::move(executor)),
      max_connections_(std::max(1, max_connections)),
      idle_timeout_(idle_timeout) {}

ConnectionPool::~ConnectionPool() {
  for (auto& c : idle_) c->close();
}

net::awaitable<std::unique_ptr<Connection>> ConnectionPool::acquire() {
  for (;;) {
    if (stopped_) co_return nullptr;
    while (!idle_.empty()) {
      auto c = std::move(idle_.back());  // most recently used: least likely to be stale
      idle_.pop_back();
      if (Clock::now() - c->idle_since < idle_timeout_ && looks_alive(*c)) {
        busy_.insert(c.get());
        co_return c;
      }
      c->close();
      --live_;
    }
    if (live_ < max_connections_) {
      ++live_;
      auto c = std::make_unique<Connection>();
      busy_.insert(c.get());
      co_return c;
    }
    // All connections lent out: wait until release() wakes us (cancels the timer).
    net::steady_timer wake(executor_, Clock::time_point::max());
    waiters_.push_back(&wake);
    co_await wake.async_wait(net::as_tuple(net::use_awaitable));
    std::erase(waiters_, &wake);
  }
}

void ConnectionPool::release(std::unique_ptr<Connection> c, bool reusable) {
  busy_.erase(c.get());
  if (reusable && !stopped_ && c->is_open()) {
    c->idle_since = Clock::now();
    idle_.push_back(std::move(c));
  } else {
    c->close();
    --live_;
  }
  if (!waiters_.empty()) {
    waiters_.front()->cancel();
    waiters_.pop_front();
  }
}

void ConnectionPool::stop() {
  stopped_ = true;
  for (auto& c : idle_) c->close();
  live_ -= static_cast<int>(idle_.size());
  idle_.clear();
  for (Connection* c : busy_) c->abort();
  for (net::steady_timer* t : waiters_) t->cancel();
  waiters_.clear();
}

}  // namespace clevertim::sync::http_detail
