#include "sync/json_stream.h"

#include <boost/json/basic_parser_impl.hpp>
#include <boost/json/value.hpp>
#include <boost/json/value_stack.hpp>

#include <algorithm>

namespace clevertim::sync {
namespace {

namespace json = boost::json;
using boost::system::error_code;
using json::string_view;

// SAX handler for the envelope. It keeps track of where in the document an event falls:
// in the top-level object, inside `content` (a new element starts), inside an element being
// rebuilt (forwarded to a value_stack), or inside some other top-level value (skipped).
class Handler {
 public:
  static constexpr std::size_t max_array_size = static_cast<std::size_t>(-1);
  static constexpr std::size_t max_object_size = static_cast<std::size_t>(-1);
  static constexpr std::size_t max_string_size = static_cast<std::size_t>(-1);
  static constexpr std::size_t max_key_size = static_cast<std::size_t>(-1);

  explicit Handler(EnvelopeStream::ElementSink sink) : sink_(std::move(sink)) {}

  bool on_document_begin(error_code&) { return true; }
  bool on_document_end(error_code&) { return true; }

  bool on_object_begin(error_code& ec) {
    if (skip_ > 0) return ++skip_, true;
    if (element_ > 0) return ++element_, true;
    switch (level_) {
      case Level::kDocument:
        level_ = Level::kTop;
        return true;
      case Level::kTop:
        return begin_top_value(ec, /*array=*/false);
      case Level::kContent:
        stack_.reset();
        element_ = 1;
        return true;
      case Level::kDone:
        break;
    }
    return reject(ec, "unexpected object after the envelope");
  }

  bool on_object_end(std::size_t n, error_code&) {
    if (skip_ > 0) return --skip_, true;
    if (element_ > 0) {
      stack_.push_object(n);
      if (--element_ == 0) deliver(stack_.release());
      return true;
    }
    level_ = Level::kDone;  // the top-level object closed
    return true;
  }

  bool on_array_begin(error_code& ec) {
    if (skip_ > 0) return ++skip_, true;
    if (element_ > 0) return ++element_, true;
    switch (level_) {
      case Level::kDocument:
        return reject(ec, "the response is a JSON array, not an object");
      case Level::kTop:
        return begin_top_value(ec, /*array=*/true);
      case Level::kContent:
        stack_.reset();
        element_ = 1;
        return true;
      case Level::kDone:
        break;
    }
    return reject(ec, "unexpected array after the envelope");
  }

  bool on_array_end(std::size_t n, error_code&) {
    if (skip_ > 0) return --skip_, true;
    if (element_ > 0) {
      stack_.push_array(n);
      if (--element_ == 0) deliver(stack_.release());
      return true;
    }
    level_ = Level::kTop;  // `content` closed
    return true;
  }

  bool on_key_part(string_view s, std::size_t, error_code&) {
    if (element_ > 0) {
      stack_.push_chars(s);
    } else if (skip_ == 0) {
      text_.append(s.data(), s.size());
    }
    return true;
  }

  bool on_key(string_view s, std::size_t, error_code&) {
    if (element_ > 0) {
      stack_.push_key(s);
    } else if (skip_ == 0) {
      text_.append(s.data(), s.size());
      slot_ = text_ == "status"    ? Slot::kStatus
              : text_ == "error"   ? Slot::kError
              : text_ == "content" ? Slot::kContent
                                   : Slot::kOther;
      text_.clear();
    }
    return true;
  }

  bool on_string_part(string_view s, std::size_t, error_code&) {
    if (element_ > 0) {
      stack_.push_chars(s);
    } else if (skip_ == 0) {
      text_.append(s.data(), s.size());
    }
    return true;
  }

  bool on_string(string_view s, std::size_t, error_code& ec) {
    if (element_ > 0) {
      stack_.push_string(s);
      return true;
    }
    if (skip_ > 0) return true;
    text_.append(s.data(), s.size());
    std::string text = std::move(text_);
    text_.clear();
    if (level_ == Level::kContent) {
      deliver(json::value(text));
      return true;
    }
    if (level_ != Level::kTop) return reject(ec, "the response is a JSON string, not an object");
    switch (slot_) {
      case Slot::kStatus:
        status_ = std::move(text);
        break;
      case Slot::kError:
        error_ = std::move(text);
        break;
      case Slot::kContent:
        return reject(ec, "`content` is a string, not an array");
      case Slot::kOther:
        break;
    }
    return true;
  }

  bool on_number_part(string_view, error_code&) { return true; }
  bool on_int64(std::int64_t i, string_view, error_code& ec) {
    return scalar(
        ec, [&] { stack_.push_int64(i); }, [&] { return json::value(i); });
  }
  bool on_uint64(std::uint64_t u, string_view, error_code& ec) {
    return scalar(
        ec, [&] { stack_.push_uint64(u); }, [&] { return json::value(u); });
  }
  bool on_double(double d, string_view, error_code& ec) {
    return scalar(
        ec, [&] { stack_.push_double(d); }, [&] { return json::value(d); });
  }
  bool on_bool(bool b, error_code& ec) {
    return scalar(
        ec, [&] { stack_.push_bool(b); }, [&] { return json::value(b); });
  }
  bool on_null(error_code& ec) {
    return scalar(
        ec, [&] { stack_.push_null(); }, [&] { return json::value(nullptr); });
  }
  bool on_comment_part(string_view, error_code&) { return true; }
  bool on_comment(string_view, error_code&) { return true; }

  const std::string& problem() const { return problem_; }
  const std::optional<std::string>& status() const { return status_; }
  const std::optional<std::string>& error() const { return error_; }
  bool has_content() const { return has_content_; }
  std::uint64_t elements() const { return elements_; }

 private:
  enum class Level { kDocument, kTop, kContent, kDone };
  enum class Slot { kStatus, kError, kContent, kOther };

  // An object or array as the value of a top-level key.
  bool begin_top_value(error_code& ec, bool array) {
    if (slot_ != Slot::kContent) {
      skip_ = 1;  // status/error as containers stay unset; others are simply ignored
      return true;
    }
    if (!array) return reject(ec, "`content` is an object, not an array");
    if (has_content_) return reject(ec, "`content` appears twice");
    has_content_ = true;
    level_ = Level::kContent;
    return true;
  }

  template <class Push, class Make>
  bool scalar(error_code& ec, Push push, Make make) {
    if (skip_ > 0) return true;
    if (element_ > 0) {
      push();
      return true;
    }
    switch (level_) {
      case Level::kContent:
        deliver(make());
        return true;
      case Level::kTop:
        if (slot_ == Slot::kContent) return reject(ec, "`content` is not an array");
        return true;  // a non-string status stays unset and fails check_ok
      default:
        break;
    }
    return reject(ec, "the response is a JSON scalar, not an object");
  }

  void deliver(json::value&& v) {
    ++elements_;
    sink_(std::move(v));
  }

  bool reject(error_code& ec, std::string why) {
    problem_ = std::move(why);
    ec = std::make_error_code(std::errc::invalid_argument);
    return false;
  }

  EnvelopeStream::ElementSink sink_;
  json::value_stack stack_;
  Level level_ = Level::kDocument;
  Slot slot_ = Slot::kOther;
  int skip_ = 0;      // depth inside a skipped top-level value
  int element_ = 0;   // depth inside the element being rebuilt
  std::string text_;  // key or string pieces outside elements
  std::optional<std::string> status_;
  std::optional<std::string> error_;
  bool has_content_ = false;
  std::uint64_t elements_ = 0;
  std::string problem_;
};

bool all_whitespace(std::string_view s) {
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; });
}

}  // namespace

struct EnvelopeStream::Impl {
  explicit Impl(ElementSink sink) : parser(json::parse_options{}, std::move(sink)) {}

  std::optional<StreamError> fail(StreamError e) {
    failed = e;
    return e;
  }
  std::optional<StreamError> from_code(const error_code& ec) {
    if (!parser.handler().problem().empty()) {
      return fail({StreamError::Kind::kNotEnvelope, parser.handler().problem()});
    }
    if (ec == json::error::incomplete) {
      return fail({StreamError::Kind::kTruncated,
                   "the JSON ends early, after " + std::to_string(bytes) + " bytes"});
    }
    return fail({StreamError::Kind::kInvalidJson,
                 "invalid JSON near byte " + std::to_string(bytes) + ": " + ec.message()});
  }

  json::basic_parser<Handler> parser;
  std::optional<StreamError> failed;
  std::uint64_t bytes = 0;
  std::uint64_t largest_write = 0;
};

EnvelopeStream::EnvelopeStream(ElementSink sink) : impl_(std::make_unique<Impl>(std::move(sink))) {}
EnvelopeStream::~EnvelopeStream() = default;

std::optional<StreamError> EnvelopeStream::write(std::string_view bytes) {
  Impl& m = *impl_;
  if (m.failed) return m.failed;
  m.largest_write = std::max<std::uint64_t>(m.largest_write, bytes.size());
  if (m.parser.done()) {
    // The document ended; only whitespace may follow.
    if (!all_whitespace(bytes)) {
      return m.fail({StreamError::Kind::kInvalidJson, "data after the end of the JSON document"});
    }
    m.bytes += bytes.size();
    return std::nullopt;
  }
  error_code ec;
  std::size_t used = m.parser.write_some(true, bytes.data(), bytes.size(), ec);
  m.bytes += used;
  if (ec) return m.from_code(ec);
  if (used < bytes.size()) {
    m.bytes += bytes.size() - used;
    if (!all_whitespace(bytes.substr(used))) {
      return m.fail({StreamError::Kind::kInvalidJson, "data after the end of the JSON document"});
    }
  }
  return std::nullopt;
}

std::optional<StreamError> EnvelopeStream::finish() {
  Impl& m = *impl_;
  if (m.failed) return m.failed;
  if (m.parser.done()) return std::nullopt;
  if (m.bytes == 0) return m.fail({StreamError::Kind::kTruncated, "the body is empty"});
  error_code ec;
  static constexpr char kNothing[] = "";
  m.parser.write_some(false, kNothing, 0, ec);
  // Every byte so far was a valid prefix (write() said so), so failing only now, at the end
  // of input, means the input ended too early, whatever the parser calls it ("4500." is a
  // syntax error for it, but truncated for us).
  if (ec && m.parser.handler().problem().empty()) ec = json::error::incomplete;
  if (ec) return m.from_code(ec);
  if (!m.parser.done()) {
    return m.fail({StreamError::Kind::kTruncated, "the JSON ends early"});
  }
  return std::nullopt;
}

std::optional<StreamError> EnvelopeStream::check_ok(bool need_content) const {
  const Handler& h = impl_->parser.handler();
  if (!h.status()) {
    return StreamError{StreamError::Kind::kNotEnvelope,
                       h.error() ? *h.error() : "the response has no \"status\" string"};
  }
  if (*h.status() != "OK") {
    return StreamError{StreamError::Kind::kNotEnvelope,
                       h.error() ? *h.error() : "status is \"" + h.status()->substr(0, 100) + "\""};
  }
  if (need_content && !h.has_content()) {
    return StreamError{StreamError::Kind::kNotEnvelope, "the response has no \"content\" array"};
  }
  return std::nullopt;
}

const std::optional<std::string>& EnvelopeStream::status() const {
  return impl_->parser.handler().status();
}
const std::optional<std::string>& EnvelopeStream::error() const {
  return impl_->parser.handler().error();
}
bool EnvelopeStream::has_content() const {
  return impl_->parser.handler().has_content();
}
std::uint64_t EnvelopeStream::elements() const {
  return impl_->parser.handler().elements();
}
std::uint64_t EnvelopeStream::bytes() const {
  return impl_->bytes;
}
std::uint64_t EnvelopeStream::largest_write() const {
  return impl_->largest_write;
}

}  // namespace clevertim::sync
