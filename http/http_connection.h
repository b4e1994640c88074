// The HTTP client's connections: one TCP or TLS stream with its read buffer, and the
// keep-alive pool that lends them out (at most max_connections, the most recently used
// first, an idle one checked before reuse). Internal to the HTTP client.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <set>
#include <vector>

namespace clevertim::sync::http_detail {

inline constexpr std::size_t kChunk = std::size_t{64} * 1024;  // one body read

// Errors that mean "the peer closed or reset the connection".
bool is_closed_error(const boost::system::error_code& ec);

// One connection: a TCP stream, or a TLS stream over one (a fresh ssl_stream per connection,
// since an SSL stream cannot be reused after it was shut down), and its read buffer.
struct Connection {
  std::optional<boost::beast::tcp_stream> plain;
  std::optional<boost::beast::ssl_stream<boost::beast::tcp_stream>> tls;
  boost::beast::flat_buffer buffer;
  std::chrono::steady_clock::time_point idle_since{};

  // Beast reads at most the buffer's free capacity (512 bytes at least): an empty buffer
  // would fetch a 90 MB body 512 bytes per system call.
  Connection() { buffer.reserve(kChunk); }

  bool is_open();
  boost::beast::tcp_stream& tcp() { return tls ? boost::beast::get_lowest_layer(*tls) : *plain; }
  void close();
  // Only the socket, for a connection in use: its streams must outlive the operations that
  // now complete with operation_aborted.
  void abort();
};

class ConnectionPool {
 public:
  ConnectionPool(boost::asio::any_io_executor executor, int max_connections,
                 std::chrono::milliseconds idle_timeout);
  ~ConnectionPool();
  ConnectionPool(const ConnectionPool&) = delete;
  ConnectionPool& operator=(const ConnectionPool&) = delete;

  // A connection to use (open and alive, or not yet connected), waiting while all are lent
  // out; nullptr once stop() was called.
  boost::asio::awaitable<std::unique_ptr<Connection>> acquire();
  // Gives a connection back: kept for reuse when `reusable` and still open, else closed.
  void release(std::unique_ptr<Connection> c, bool reusable);
  // Closes idle connections, aborts the ones lent out and wakes whoever waits (acquire() then
  // answers nullptr).
  void stop();
  bool stopped() const { return stopped_; }

 private:
  boost::asio::any_io_executor executor_;
  int max_connections_;
  std::chrono::milliseconds idle_timeout_;
  std::vector<std::unique_ptr<Connection>> idle_;
  int live_ = 0;  // connections idle or lent out
  std::deque<boost::asio::steady_timer*> waiters_;
  std::set<Connection*> busy_;  // lent out, for stop()
  bool stopped_ = false;
};

}  // namespace clevertim::sync::http_detail
