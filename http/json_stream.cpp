#include "http/json_stream.h"

#include <boost/json/basic_parser_impl.hpp>

#include <algorithm>

#include "http/envelope_handler.h"
#include "http/nesting_guard.h"

namespace clevertim::sync {
namespace {

namespace json = boost::json;
using boost::system::error_code;
using detail::EnvelopeHandler;
using detail::kMaxDocumentDepth;
using detail::kSkippedKey;

bool all_whitespace(std::string_view s) {
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; });
}

// The handler checks UTF-8 itself, per element: the parser's own check would refuse the whole
// list over one bad byte. Deeper nesting never reaches the parser (see write()).
json::parse_options stream_options() {
  json::parse_options options;
  options.max_depth = kMaxDocumentDepth;
  options.allow_invalid_utf8 = true;
  return options;
}

}  // namespace

static_assert(kMaxElementDepth <= json::parse_options{}.max_depth,
              "stored elements are parsed again with json::parse's default depth");

std::optional<SkippedElement> as_skipped(const json::value& element) {
  const json::object* o = element.if_object();
  const json::value* about = o && o->size() == 1 ? o->if_contains(kSkippedKey) : nullptr;
  if (about == nullptr || !about->is_object()) return std::nullopt;
  const json::object& a = about->get_object();
  SkippedElement out;
  if (const json::value* p = a.if_contains("position"); p && p->is_uint64())
    out.position = p->get_uint64();
  if (const json::value* id = a.if_contains("id")) out.id = *id;
  if (const json::value* why = a.if_contains("why"); why && why->is_string())
    out.why = std::string(why->get_string());
  return out;
}

struct EnvelopeStream::Impl {
  explicit Impl(ElementSink sink) : parser(stream_options(), std::move(sink)) {}

  // Parses the next input bytes.
  std::optional<StreamError> parse(std::string_view piece) {
    if (piece.empty()) return std::nullopt;
    if (parser.done()) {
      // The document ended; only whitespace may follow.
      if (!all_whitespace(piece))
        return fail({StreamError::Kind::kInvalidJson, "data after the end of the JSON document"});
      bytes += piece.size();
      return std::nullopt;
    }
    error_code ec;
    const std::size_t used = parser.write_some(true, piece.data(), piece.size(), ec);
    bytes += used;
    if (ec) return from_code(ec);
    if (used < piece.size()) {
      bytes += piece.size() - used;
      if (!all_whitespace(piece.substr(used)))
        return fail({StreamError::Kind::kInvalidJson, "data after the end of the JSON document"});
    }
    return std::nullopt;
  }

  // In place of a container left out: a null the handler knows stands for it.
  std::optional<StreamError> parse_elided() {
    parser.handler().elided();
    error_code ec;
    parser.write_some(true, "null", 4, ec);
    if (ec) return from_code(ec);
    return std::nullopt;
  }

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

  json::basic_parser<EnvelopeHandler> parser;
  std::optional<StreamError> failed;
  std::uint64_t bytes = 0;
  std::uint64_t largest_write = 0;
  NestingGuard nesting{kMaxDocumentDepth};
};

EnvelopeStream::EnvelopeStream(ElementSink sink) : impl_(std::make_unique<Impl>(std::move(sink))) {}
EnvelopeStream::~EnvelopeStream() = default;

void EnvelopeStream::offer_compact_first(CompactTaker taker) {
  impl_->parser.handler().offer_compact_first(std::move(taker));
}
void EnvelopeStream::limit_element_size(std::uint64_t bytes) {
  impl_->parser.handler().limit_element_size(bytes);
}
std::uint64_t EnvelopeStream::taken_as_text() const {
  return impl_->parser.handler().taken();
}

// A container nested deeper than an element may go is left out before the parser sees it, and
// a null stands in its place: Boost.JSON's parser recurses once per level (a body of a million
// '[' would overflow the stack), and its max_depth would fail the whole list over one element.
// The element holding it is handed over as a stand-in. What is left out is only scanned for
// its end, not checked.
std::optional<StreamError> EnvelopeStream::write(std::string_view bytes) {
  Impl& m = *impl_;
  if (m.failed) return m.failed;
  m.largest_write = std::max<std::uint64_t>(m.largest_write, bytes.size());
  return m.nesting.feed(
      bytes, [&](std::string_view run) { return m.parse(run); }, [&] { return m.parse_elided(); },
      [&](std::size_t left_out) { m.bytes += left_out; });
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
  const EnvelopeHandler& h = impl_->parser.handler();
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
