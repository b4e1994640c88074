#include "http/http_exchange.h"

// GCC 12 at -O2 sees Asio's awaitable frame allocated by its recycling allocator
// (thread_info_base::allocate -> aligned_new) and freed by awaitable_frame_base's sized
// operator delete (-> aligned_delete) and calls them mismatched: a false positive of GCC's
// warning with coroutines whose promise has its own operator new/delete. Same pair as every
// other coroutine here; this file's frame is the one GCC inlines far enough to look at.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/concurrent_channel.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>

#include <algorithm>
#include <atomic>
#include <exception>
#include <string>
#include <vector>

#include "http/gzip_inflate.h"
#include "http/json_stream.h"
#include "http/retry.h"

namespace clevertim::sync::http_detail {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using boost::system::error_code;
using Parser = http::response_parser<http::buffer_body>;

constexpr auto kTuple = net::as_tuple(net::use_awaitable);
constexpr std::size_t kErrorBodyLimit = std::size_t{64} * 1024;  // what we keep of a non-200 body

// What the answer's header says about how to read its body.
struct Header {
  int status = 0;
  bool gzip = false;
  std::optional<std::chrono::milliseconds> retry_after;
  std::optional<Failure> problem;  // a body this client cannot decode
};

Header read_header(const Request& req, const Parser::value_type& answer) {
  Header h;
  h.status = static_cast<int>(answer.result_int());
  const std::string encoding = std::string(answer[http::field::content_encoding]);
  h.gzip = beast::iequals(encoding, "gzip") || beast::iequals(encoding, "x-gzip");
  if (!h.gzip && !encoding.empty() && !beast::iequals(encoding, "identity")) {
    h.problem = failure(req, h.status == 200 ? FailureKind::kBadJson : kind_for_status(h.status),
                        h.status, req.what() + ": unsupported Content-Encoding '" + encoding + "'",
                        h.status == 200 || !definite_refusal(h.status, false));
  }
  if (auto it = answer.find(http::field::retry_after); it != answer.end())
    h.retry_after = parse_retry_after(it->value(), std::chrono::system_clock::now());
  return h;
}

// The body as it arrives: decoded bytes go to the envelope parser (200) or into a bounded
// buffer (any other status), one piece at a time.
class BodyPump {
 public:
  BodyPump(const Request& req, const Header& header, std::uint64_t max_element_size)
      : req_(req), status_(header.status), envelope_(req.sink) {
    if (req.take_compact) envelope_.offer_compact_first(req.take_compact);
    envelope_.limit_element_size(max_element_size);
    if (header.gzip) inflater_.emplace([this](std::string_view bytes) { decoded(bytes); }, kChunk);
  }
  BodyPump(const BodyPump&) = delete;
  BodyPump& operator=(const BodyPump&) = delete;

  // One piece of the body as it came over the wire.
  void take(std::string_view piece) {
    stats_.body_bytes += piece.size();
    if (inflater_) {
      if (!gzip_error_) gzip_error_ = inflater_->write(piece);
    } else {
      decoded(piece);
    }
    if (status_ == 200 && req_.progress && *req_.progress) (*req_.progress)(stats_.body_bytes);
  }

  // The rest cannot change the outcome: bad JSON or gzip on a 200, or an error body beyond
  // what we keep (the connection is then closed, not drained).
  bool enough() const {
    if (status_ == 200) return json_error_ || gzip_error_;
    return stats_.body_bytes >= kErrorBodyLimit;
  }

  // What the whole answer came to, once the body ended (`read_error` set: cut short).
  Result<FetchStats> outcome(std::string_view reason,
                             std::optional<std::chrono::milliseconds> retry_after,
                             const error_code& read_error) {
    stats_.largest_chunk = envelope_.largest_write();
    stats_.taken_as_text = envelope_.taken_as_text();
    if (status_ != 200) return status_failure(req_, status_, reason, error_body_, retry_after);
    if (read_error)
      return transport_failure(
          req_, "reading the body (after " + std::to_string(stats_.body_bytes) + " bytes)",
          read_error, true);
    if (!gzip_error_ && !json_error_ && inflater_) gzip_error_ = inflater_->finish();
    if (gzip_error_)
      return failure(req_, FailureKind::kBadJson, 200, req_.what() + ": " + *gzip_error_, true);
    if (!json_error_) json_error_ = envelope_.finish();
    if (!json_error_) json_error_ = envelope_.check_ok(req_.need_content);
    if (json_error_) return json_failure(*json_error_);
    stats_.elements = envelope_.elements();
    return stats_;
  }

 private:
  void decoded(std::string_view bytes) {
    stats_.decoded_bytes += bytes.size();
    if (status_ != 200) {
      const auto room = kErrorBodyLimit - std::min(kErrorBodyLimit, error_body_.size());
      error_body_.append(bytes.substr(0, room));
    } else if (!json_error_) {
      json_error_ = envelope_.write(bytes);
    }
  }

  Failure json_failure(const StreamError& error) const {
    const bool not_envelope = error.kind == StreamError::Kind::kNotEnvelope;
    // The server's own "error" text is passed through as is; our descriptions name the path.
    std::string message =
        not_envelope && envelope_.error() ? error.message : req_.what() + ": " + error.message;
    return failure(req_, not_envelope ? FailureKind::kBadEnvelope : FailureKind::kBadJson, 200,
                   std::move(message), true);
  }

  const Request& req_;
  const int status_;
  FetchStats stats_;
  std::string error_body_;
  EnvelopeStream envelope_;
  std::optional<StreamError> json_error_;
  std::optional<GzipInflater> inflater_;
  std::optional<std::string> gzip_error_;
};

// What reading one piece of a body came to.
struct Piece {
  error_code error;  // the body's end is none
  std::size_t size = 0;
};

// The next piece of the body into `chunk`.
template <class Stream>
net::awaitable<Piece> read_piece(Stream& stream, Connection& c, Parser& parser,
                                 std::vector<char>& chunk, const Deadlines& deadlines) {
  parser.get().body().data = chunk.data();
  parser.get().body().size = chunk.size();
  c.tcp().expires_at(deadlines.bound(deadlines.request_timeout));
  auto [ec, n] = co_await http::async_read(stream, c.buffer, parser, kTuple);
  if (ec == http::error::need_buffer) ec = {};
  co_return Piece{ec, chunk.size() - parser.get().body().size};
}

// Pieces of a read-all's body read ahead of its parsing, and their size: the socket is read
// while the pieces before are parsed, and a parse that takes longer than a read (most do) always
// has the next piece waiting: 512 KiB a read-all.
constexpr std::size_t kPiecesAhead = 4;
constexpr std::size_t kPieceSize = std::size_t{128} * 1024;

// The buffers a read-all's pieces go through: this thread reads into a free one, the parsing
// strand hands it back once parsed (thread-safe, never full: it holds at most every buffer).
using FreeBuffers = net::experimental::concurrent_channel<void(error_code, std::size_t)>;

// The body of a read-all, each piece parsed on a strand of `parse_on` (in order, one at a time)
// while this thread reads the next: this thread only moves bytes, and two lists streaming at
// once are parsed on two cores. Returns the read's error, if any, once every piece read is
// parsed; rethrows what parsing threw (a full disk, staging elements).
template <class Stream>
net::awaitable<error_code> pump_while_reading(Stream& stream, Connection& c, Parser& parser,
                                              BodyPump& pump, const net::any_io_executor& parse_on,
                                              const Deadlines& deadlines) {
  const auto strand = net::make_strand(parse_on);
  std::vector<std::vector<char>> buffers(kPiecesAhead, std::vector<char>(kPieceSize));
  FreeBuffers free(co_await net::this_coro::executor, kPiecesAhead);
  for (std::size_t i = 0; i < kPiecesAhead; ++i) free.try_send(error_code{}, i);
  // Set on the strand; read here once the buffers came back (the channel orders the two).
  std::atomic<bool> enough{false};  // the rest cannot change the outcome (BodyPump::enough)
  std::exception_ptr thrown;
  error_code read_error;
  std::exception_ptr failed;  // thrown here: rethrown too, once nothing runs on the strand
  try {
    while (!parser.is_done() && !enough) {
      const std::size_t i = co_await free.async_receive(net::use_awaitable);
      Piece piece;
      try {  // until the piece is on the strand, the buffer is this thread's to give back
        piece = co_await read_piece(stream, c, parser, buffers[i], deadlines);
        if (piece.size > 0)
          net::post(strand, [&, i, size = piece.size] {
            if (!enough) {
              try {
                pump.take(std::string_view(buffers[i].data(), size));
                if (pump.enough()) enough = true;
              } catch (...) {
                thrown = std::current_exception();
                enough = true;
              }
            }
            free.try_send(error_code{}, i);
          });
      } catch (...) {
        free.try_send(error_code{}, i);
        throw;
      }
      if (piece.size == 0) free.try_send(error_code{}, i);
      if (piece.error) {
        read_error = piece.error;
        break;
      }
    }
  } catch (...) {
    failed = std::current_exception();
  }
  // Every buffer back: nothing runs on the strand any more, and the buffers may go.
  for (std::size_t back = 0; back < kPiecesAhead; ++back)
    co_await free.async_receive(net::use_awaitable);
  if (failed) std::rethrow_exception(failed);
  if (thrown) std::rethrow_exception(thrown);
  // A body found bad is what the answer came to, though a piece read after it failed.
  co_return enough ? error_code{} : read_error;
}

template <class Stream>
net::awaitable<Attempt> exchange_on(Stream& stream, Connection& c, const Request& req,
                                    OutgoingMessage& message, const Deadlines& deadlines,
                                    std::uint64_t max_element_size) {
  Attempt out;
  c.tcp().expires_at(deadlines.bound(deadlines.request_timeout));
  auto [wec, written] = co_await http::async_write(stream, message, kTuple);
  if (wec) {
    // The whole request did not leave: the server cannot have acted on it.
    out.result = transport_failure(req, "sending the request", wec, false);
    out.closed_before_answer = is_closed_error(wec);
    out.sent_nothing = written == 0;
    co_return out;
  }

  Parser parser;
  parser.body_limit(boost::none);  // a read-all may be far beyond Beast's 8 MB default
  c.tcp().expires_at(deadlines.bound(deadlines.request_timeout));
  auto [hec, hn] = co_await http::async_read_header(stream, c.buffer, parser, kTuple);
  if (hec) {
    Failure f = transport_failure(req, "waiting for the answer", hec, true);
    // Not one byte within request_timeout: the server does not answer at all.
    f.unreachable = hec == beast::error::timeout && !parser.got_some();
    out.result = std::move(f);
    out.closed_before_answer = is_closed_error(hec) && !parser.got_some();
    co_return out;
  }
  Header header = read_header(req, parser.get());
  if (header.problem) {
    out.result = std::move(*header.problem);
    co_return out;
  }

  // The body, one piece at a time, until it ends, fails, or the rest cannot matter.
  BodyPump pump(req, header, max_element_size);
  error_code read_error;
  if (req.parse_on && header.status == 200) {
    read_error = co_await pump_while_reading(stream, c, parser, pump, *req.parse_on, deadlines);
  } else {
    std::vector<char> chunk(kChunk);
    while (!parser.is_done()) {
      auto [ec, got] = co_await read_piece(stream, c, parser, chunk, deadlines);
      if (got > 0) pump.take(std::string_view(chunk.data(), got));
      if (ec) {
        read_error = ec;
        break;
      }
      if (pump.enough()) break;
    }
  }
  out.reusable = !read_error && parser.is_done() && parser.keep_alive();
  out.result = pump.outcome(parser.get().reason(), header.retry_after, read_error);
  co_return out;
}

}  // namespace

net::awaitable<Attempt> exchange(beast::tcp_stream& stream, Connection& c, const Request& req,
                                 OutgoingMessage& message, const Deadlines& deadlines,
                                 std::uint64_t max_element_size) {
  return exchange_on(stream, c, req, message, deadlines, max_element_size);
}

net::awaitable<Attempt> exchange(beast::ssl_stream<beast::tcp_stream>& stream, Connection& c,
                                 const Request& req, OutgoingMessage& message,
                                 const Deadlines& deadlines, std::uint64_t max_element_size) {
  return exchange_on(stream, c, req, message, deadlines, max_element_size);
}

}  // namespace clevertim::sync::http_detail
