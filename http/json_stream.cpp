#include "http/json_stream.h"

#include <boost/json/basic_parser_impl.hpp>

#include <algorithm>
#include <limits>

#include "http/canonical_element.h"
#include "http/element_bounds.h"
#include "http/envelope_handler.h"
#include "http/nesting_guard.h"

namespace clevertim::sync {
namespace {

namespace json = boost::json;
using boost::system::error_code;
using detail::CanonicalReader;
using detail::EnvelopeHandler;
using detail::kMaxDocumentDepth;
using detail::kSkippedKey;

bool is_whitespace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

bool all_whitespace(std::string_view s) {
  return std::all_of(s.begin(), s.end(), is_whitespace);
}

// Whether `pending` ends with a '[' or a ',' (whitespace aside): then the parser, once it has
// taken `pending`, stands where a value must begin, not in the middle of a number or a literal.
bool follows_separator(std::string_view pending) {
  std::size_t end = pending.size();
  while (end > 0 && is_whitespace(pending[end - 1])) --end;
  return end > 0 && (pending[end - 1] == ',' || pending[end - 1] == '[');
}

bool is_number_byte(char c) {
  return (c >= '0' && c <= '9') || c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-';
}

// Whether the parser reads `pending` alone (its input then ending where `pending` ends) exactly
// as it reads it with more bytes after: the same events, and the same error at the same byte.
// Boost.JSON 1.81 reads a token near the end of its input byte by byte, elsewhere on a faster
// path, and the two are not alike: a mantissa of more than 15 digits can read a last bit apart
// (within 33 bytes of the end), a bad \u escape is named another error at another byte (within
// 10), a bad literal fails at another byte (within 5). So none of those near the end.
constexpr std::size_t kTokenReach = 40;  // the numbers': 33 bytes, a sign, and room to spare
constexpr std::size_t kLiteralReach = 5;

bool parses_alike_when_cut(std::string_view pending) {
  std::size_t i = pending.size() > kTokenReach ? pending.size() - kTokenReach : 0;
  while (i > 0 && i < pending.size() && is_number_byte(pending[i - 1])) ++i;  // began earlier
  int digits = 0;  // in the run of digits and points being read
  for (; i < pending.size(); ++i) {
    const char c = pending[i];
    if (c == '\\') return false;
    if (pending.size() - i <= kLiteralReach && (c == 't' || c == 'f' || c == 'n')) return false;
    if (c >= '0' && c <= '9') {
      if (++digits > 15) return false;
    } else if (c != '.') {
      digits = 0;
    }
  }
  return true;
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

  // An object opens directly inside some top-level array, `pending` the bytes before it not
  // parsed yet: when it is an element of `content` whose bytes are already its compact text, it
  // is handed over from those bytes and the parser skips it (see take_canonical_bytes).
  std::optional<StreamError> take_if_canonical(std::string_view chunk, std::string_view pending,
                                               std::string_view object,
                                               NestingGuard::Offered& offered) {
    if (!follows_separator(pending) || !parses_alike_when_cut(pending)) return std::nullopt;
    // What the previous write() left the parser in the middle of is not known here.
    if (pending.data() == chunk.data() && pending.size() <= kTokenReach) return std::nullopt;
    // Unchanged elements, most of a re-sync, are recognised by their bytes alone (a hash equal
    // to the stored text's), without proving them canonical: the proof was most of the cost.
    std::optional<detail::LeadingIdElement> unproven;
    if (match_stored) unproven = detail::find_element_with_leading_id(object, max_element);
    std::optional<detail::CanonicalElement> element;
    if (!unproven && !(element = canonical.read(object))) return std::nullopt;
    offered.pending_kept = true;
    if (auto e = parse(pending)) return e;
    EnvelopeHandler& handler = parser.handler();
    if (!handler.between_elements()) return std::nullopt;
    if (unproven && handler.take_if_same_as_stored(unproven->id, object.substr(0, unproven->size)))
      return skip_taken(unproven->size, offered);
    if (!element && !(element = canonical.read(object))) return std::nullopt;
    handler.take_whole_element(std::move(element->id), object.substr(0, element->size));
    return skip_taken(element->size, offered);
  }

  // An element of `size` bytes was handed over whole: the parser reads an elided null instead.
  std::optional<StreamError> skip_taken(std::size_t size, NestingGuard::Offered& offered) {
    bytes += size;
    offered.taken = size;
    ++read_as_bytes;
    return parse_elided();
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
  std::uint64_t read_as_bytes = 0;  // elements handed over from their bytes, not parsed
  NestingGuard nesting{kMaxDocumentDepth};
  CanonicalReader canonical;
  bool match_stored = false;  // the taker has a same_as_stored()
  std::uint64_t max_element = std::numeric_limits<std::uint64_t>::max();
};

EnvelopeStream::EnvelopeStream(ElementSink sink) : impl_(std::make_unique<Impl>(std::move(sink))) {}
EnvelopeStream::~EnvelopeStream() = default;

void EnvelopeStream::offer_compact_first(CompactTaker taker) {
  impl_->match_stored = static_cast<bool>(taker.same_as_stored);
  impl_->parser.handler().offer_compact_first(std::move(taker));
  take_canonical_bytes(true);
}
void EnvelopeStream::take_canonical_bytes(bool on) {
  // Elements of `content` open at depth 3: the envelope, `content`, the element.
  impl_->nesting.offer_objects_at(on ? 3 : 0);
}
void EnvelopeStream::limit_element_size(std::uint64_t bytes) {
  impl_->parser.handler().limit_element_size(bytes);
  impl_->canonical.limit_element_size(bytes);
  impl_->max_element = bytes;
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
      [&](std::size_t left_out) { m.bytes += left_out; },
      [&](std::string_view pending, std::string_view object, NestingGuard::Offered& offered) {
        return m.take_if_canonical(bytes, pending, object, offered);
      });
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
std::uint64_t EnvelopeStream::elements_not_parsed() const {
  return impl_->read_as_bytes;
}
std::uint64_t EnvelopeStream::largest_write() const {
  return impl_->largest_write;
}

}  // namespace clevertim::sync
