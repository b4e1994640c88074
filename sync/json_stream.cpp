#include "sync/json_stream.h"

#include <boost/json/basic_parser_impl.hpp>
#include <boost/json/monotonic_resource.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <boost/json/value_stack.hpp>

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <limits>

namespace clevertim::sync {
namespace {

namespace json = boost::json;
using boost::system::error_code;
using json::string_view;

// The stand-in's only key: 0xFF never occurs in UTF-8, and elements whose text is not UTF-8
// are themselves replaced by stand-ins, so no element that is handed over intact has it.
constexpr std::string_view kSkippedKey =
    "\xff"
    "skipped element";

// The first block of an element's arena; a larger element takes further blocks.
constexpr std::size_t kElementArena = 4096;

// The container opening deeper than this (counting the envelope and `content`) is left out.
constexpr std::size_t kMaxDocumentDepth = kMaxElementDepth + 2;

// The bytes that matter for following the nesting: quotes, escapes, brackets.
constexpr std::array<bool, 256> kNestingMarks = [] {
  std::array<bool, 256> marks{};
  for (const unsigned char c : std::string_view("\"\\{}[]")) marks[c] = true;
  return marks;
}();

// Checks that text is UTF-8 as it streams in, in pieces split anywhere (RFC 3629: no overlong
// forms, no surrogates, nothing above U+10FFFF).
class Utf8Check {
 public:
  void feed(string_view s) {
    for (std::size_t i = 0; i < s.size(); ++i) {
      if (need_ == 0) {
        while (i < s.size() && static_cast<unsigned char>(s[i]) < 0x80) ++i;  // ASCII
        if (i == s.size()) break;
      }
      const auto c = static_cast<unsigned char>(s[i]);
      if (need_ > 0) {
        if (c < low_ || c > high_) bad_ = true;
        --need_;
        low_ = 0x80;
        high_ = 0xBF;
      } else if (c >= 0x80) {
        start(c);
      }
    }
  }
  // The text ended: whether all of it was UTF-8. Ready for the next text.
  bool finish() {
    const bool ok = !bad_ && need_ == 0;
    *this = Utf8Check{};
    return ok;
  }

 private:
  void start(unsigned char c) {
    // The first continuation byte's range, per lead byte (RFC 3629, section 4).
    if (c >= 0xC2 && c <= 0xDF) {
      need_ = 1;
    } else if (c == 0xE0) {
      need_ = 2, low_ = 0xA0;
    } else if (c == 0xED) {
      need_ = 2, high_ = 0x9F;
    } else if (c >= 0xE1 && c <= 0xEF) {
      need_ = 2;
    } else if (c == 0xF0) {
      need_ = 3, low_ = 0x90;
    } else if (c == 0xF4) {
      need_ = 3, high_ = 0x8F;
    } else if (c >= 0xF1 && c <= 0xF3) {
      need_ = 3;
    } else {
      bad_ = true;  // a continuation byte without a lead, or a byte UTF-8 never uses
    }
  }

  int need_ = 0;  // continuation bytes still expected
  unsigned char low_ = 0x80, high_ = 0xBF;
  bool bad_ = false;
};

// Appends `s` as the inside of a JSON string exactly as boost::json::serialize writes it
// (1.81): `"` and `\` escaped, control characters as \b \t \n \f \r or \u00xx, all else as is.
void append_escaped(std::string& out, string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::size_t plain = 0;  // start of the run not yet copied
  for (std::size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out.append(s.data() + plain, i - plain);
    plain = i + 1;
    out += '\\';
    switch (c) {
      case '"':
        out += '"';
        break;
      case '\\':
        out += '\\';
        break;
      case '\b':
        out += 'b';
        break;
      case '\t':
        out += 't';
        break;
      case '\n':
        out += 'n';
        break;
      case '\f':
        out += 'f';
        break;
      case '\r':
        out += 'r';
        break;
      default:
        out += "u00";
        out += kHex[c >> 4];
        out += kHex[c & 15];
    }
  }
  out.append(s.data() + plain, s.size() - plain);
}

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
    if (element_ > 0) return nest(), open('{'), true;
    switch (level_) {
      case Level::kDocument:
        level_ = Level::kTop;
        return true;
      case Level::kTop:
        return begin_top_value(ec, /*array=*/false);
      case Level::kContent:
        begin_element();
        open('{');
        return true;
      case Level::kDone:
        break;
    }
    return reject(ec, "unexpected object after the envelope");
  }

  bool on_object_end(std::size_t n, error_code&) {
    if (skip_ > 0) return --skip_, true;
    if (element_ > 0) {
      if (text_mode_)
        close('}');
      else if (building())
        stack_.push_object(n);
      if (--element_ == 0) end_element();
      return true;
    }
    level_ = Level::kDone;  // the top-level object closed
    return true;
  }

  bool on_array_begin(error_code& ec) {
    if (skip_ > 0) return ++skip_, true;
    if (element_ > 0) return nest(), open('['), true;
    switch (level_) {
      case Level::kDocument:
        return reject(ec, "the response is a JSON array, not an object");
      case Level::kTop:
        return begin_top_value(ec, /*array=*/true);
      case Level::kContent:
        begin_element();
        open('[');
        return true;
      case Level::kDone:
        break;
    }
    return reject(ec, "unexpected array after the envelope");
  }

  bool on_array_end(std::size_t n, error_code&) {
    if (skip_ > 0) return --skip_, true;
    if (element_ > 0) {
      if (text_mode_)
        close(']');
      else if (building())
        stack_.push_array(n);
      if (--element_ == 0) end_element();
      return true;
    }
    level_ = Level::kTop;  // `content` closed
    return true;
  }

  bool on_key_part(string_view s, std::size_t, error_code&) {
    utf8_.feed(s);
    if (element_ > 0) {
      grow(s.size());
      if (text_mode_)
        text_part(s);
      else if (building())
        stack_.push_chars(s);
      if (element_ == 1) note_key(s);
    } else if (skip_ == 0) {
      append_text(s);
    }
    return true;
  }

  bool on_key(string_view s, std::size_t, error_code& ec) {
    utf8_.feed(s);
    if (!utf8_.finish() && !bad_text(ec)) return false;
    if (element_ > 0) {
      grow(s.size() + 3);  // quotes and colon
      if (text_mode_)
        text_end(s, "\":");
      else if (building())
        stack_.push_key(s);
      if (element_ == 1) {
        note_key(s);
        id_next_ = key_ == "id";
        key_.clear();
      }
    } else if (skip_ == 0) {
      append_text(s);
      slot_ = text_ == "status"    ? Slot::kStatus
              : text_ == "error"   ? Slot::kError
              : text_ == "content" ? Slot::kContent
                                   : Slot::kOther;
      text_.clear();
    }
    return true;
  }

  bool on_string_part(string_view s, std::size_t, error_code&) {
    utf8_.feed(s);
    if (element_ > 0) {
      grow(s.size());
      if (text_mode_)
        text_part(s);
      else if (building())
        stack_.push_chars(s);
      if (element_ == 1 && id_next_) append_id_text(s);
    } else if (skip_ == 0) {
      append_text(s);
    }
    return true;
  }

  bool on_string(string_view s, std::size_t, error_code& ec) {
    utf8_.feed(s);
    if (!utf8_.finish() && !bad_text(ec)) return false;
    if (element_ > 0) {
      grow(s.size() + 2);
      if (text_mode_)
        text_end(s, "\"");
      else if (building())
        stack_.push_string(s);
      if (element_ == 1 && id_next_) {
        append_id_text(s);
        id_ = json::value(id_text_);
        id_text_.clear();
      }
      id_next_ = false;
      return true;
    }
    if (skip_ > 0) return true;
    append_text(s);
    std::string text = std::move(text_);
    text_.clear();
    if (level_ == Level::kContent) {
      ++position_;
      if (!problem_in_element_.empty()) {  // a lone string that is not UTF-8
        id_ = nullptr;
        deliver(stand_in());
      } else {
        deliver(json::value(text));
      }
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
        ec, [&] { stack_.push_int64(i); }, [&] { return json::value(i); },
        [&] { append_number(i); });
  }
  bool on_uint64(std::uint64_t u, string_view, error_code& ec) {
    return scalar(
        ec, [&] { stack_.push_uint64(u); }, [&] { return json::value(u); },
        [&] { append_number(u); });
  }
  bool on_double(double d, string_view, error_code& ec) {
    if (!std::isfinite(d)) {
      // Found by fuzzing: Boost.JSON 1.81 reads a number beyond a double's range as infinity
      // (1e400) or NaN (0e400), and writes those back as text that is not JSON; the staged
      // copy of such an element failed to parse and took the whole list down.
      if (element_ > 0) problem("holds a number out of a double's range (such as 1e400)");
      return scalar(
          ec, [] {}, [] { return json::value(nullptr); }, [] {});
    }
    return scalar(
        ec, [&] { stack_.push_double(d); }, [&] { return json::value(d); },
        [&] { canon_ += json::serialize(json::value(d)); });  // Boost's own digits
  }
  bool on_bool(bool b, error_code& ec) {
    return scalar(
        ec, [&] { stack_.push_bool(b); }, [&] { return json::value(b); },
        [&] { canon_ += b ? "true" : "false"; });
  }
  bool on_null(error_code& ec) {
    if (elided_) {
      // Stands for a container nested too deeply, left out of the input (see write()); it is
      // always inside an element or inside a top-level value that is skipped anyway.
      elided_ = false;
      if (element_ > 0) {
        problem("is nested deeper than " + std::to_string(kMaxElementDepth) + " levels");
        id_next_ = false;
      }
      return true;
    }
    return scalar(
        ec, [&] { stack_.push_null(); }, [&] { return json::value(nullptr); },
        [&] { canon_ += "null"; });
  }
  bool on_comment_part(string_view, error_code&) { return true; }
  bool on_comment(string_view, error_code&) { return true; }

  // The next null stands for a container that was left out.
  void elided() { elided_ = true; }

  void offer_compact_first(CompactTaker taker) {
    taker_ = std::move(taker);
    text_mode_ = static_cast<bool>(taker_);
  }
  std::uint64_t taken() const { return taken_; }

  void limit_element_size(std::uint64_t bytes) { max_element_ = bytes; }

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

  template <class Push, class Make, class Text>
  bool scalar(error_code& ec, Push push, Make make, Text text) {
    if (skip_ > 0) return true;
    if (element_ > 0) {
      grow(8);  // about what a number, true, false or null takes
      if (text_mode_) {
        if (building()) {
          separate();
          text();
          comma_ = true;
        }
      } else if (building()) {
        push();
      }
      if (element_ == 1 && id_next_) id_ = make();
      id_next_ = false;
      return true;
    }
    switch (level_) {
      case Level::kContent:
        ++position_;
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

  // An element of `content` begins: an object or array.
  void begin_element() {
    // Each element gets its own arena, freed at once when the last value using it goes: the
    // element's many small strings, objects and arrays cost no malloc/free each.
    if (text_mode_) {
      canon_.clear();
      comma_ = false;
      in_text_ = false;
    } else {
      stack_.reset(json::make_shared_resource<json::monotonic_resource>(kElementArena));
    }
    element_ = 1;
    element_size_ = 0;
    ++position_;
    problem_in_element_.clear();
    id_ = nullptr;
    id_next_ = false;
    key_.clear();
    id_text_.clear();
  }

  // A container inside the element begins; a container as the value of "id" is no id.
  bool nest() {
    if (element_ == 1) id_next_ = false;
    ++element_;
    grow(2);
    return true;
  }

  // The element ended: handed over as rebuilt, or as a stand-in when it cannot be kept.
  void end_element() {
    if (!building()) {
      if (!text_mode_) stack_.reset();  // drops what was rebuilt before the problem showed
      return deliver(stand_in());
    }
    if (!text_mode_) return deliver(stack_.release());
    if (taker_(id_, canon_)) {
      ++taken_;
      return;
    }
    json::error_code ec;
    json::value element = json::parse(
        canon_, ec, json::make_shared_resource<json::monotonic_resource>(kElementArena));
    if (ec) {  // cannot happen: the text was written from a valid element; still, never dropped
      problem("could not be read back from its compact form (" + ec.message() + ")");
      return deliver(stand_in());
    }
    deliver(std::move(element));
  }

  // The compact text of the element being read (text mode). Separators follow JSON: a comma
  // before every value or key but the first in its container, none after a key's colon.
  void separate() {
    if (comma_) canon_ += ',';
  }
  void open(char bracket) {
    if (!text_mode_ || !building()) return;
    separate();
    canon_ += bracket;
    comma_ = false;
  }
  void close(char bracket) {
    if (!building()) return;
    canon_ += bracket;
    comma_ = true;
  }
  void text_part(string_view s) {
    if (!building()) return;
    if (!in_text_) {
      separate();
      canon_ += '"';
      in_text_ = true;
    }
    append_escaped(canon_, s);
  }
  // The last piece of a key (then `"` and `:`) or of a string (then `"`).
  void text_end(string_view s, const char* closing) {
    if (!building()) return;
    text_part(s);
    canon_ += closing;
    in_text_ = false;
    comma_ = closing[1] != ':';
  }
  template <class Number>
  void append_number(Number n) {
    char digits[24];
    const auto r = std::to_chars(std::begin(digits), std::end(digits), n);
    canon_.append(digits, r.ptr);
  }

  // The element being read grew by about `n` bytes of JSON text. One larger than the limit is
  // left out, and what was held of it let go at once: a 200 MB element held as text, then as
  // a tree, then staged, took over a gigabyte; now memory stays within the limit.
  void grow(std::size_t n) {
    if (!building()) return;
    element_size_ += n;
    if (element_size_ <= max_element_) return;
    problem("is larger than " + size_text(max_element_) +
            " (sync.max_element_size); raise that setting to keep it");
    std::string().swap(canon_);
    if (!text_mode_) stack_.reset();
  }

  // Text outside elements (a top-level string, a key, a string element of `content`), kept
  // within the same limit: a string element beyond it is skipped, other text cut.
  void append_text(string_view s) {
    if (text_.size() + s.size() > max_element_) {
      if (level_ == Level::kContent && element_ == 0 && skip_ == 0)
        problem("is larger than " + size_text(max_element_) +
                " (sync.max_element_size); raise that setting to keep it");
      return;
    }
    text_.append(s.data(), s.size());
  }

  static std::string size_text(std::uint64_t bytes) {
    if (bytes % (1u << 20) == 0) return std::to_string(bytes >> 20) + " MiB";
    if (bytes % (1u << 10) == 0) return std::to_string(bytes >> 10) + " KiB";
    return std::to_string(bytes) + " bytes";
  }

  // Whether the element being read is still rebuilt: once it cannot be kept, the rest of it is
  // only followed (for its end and its id), not held.
  bool building() const { return problem_in_element_.empty(); }

  void problem(std::string why) {
    if (problem_in_element_.empty()) problem_in_element_ = std::move(why);
  }

  // Text that is not UTF-8: the element holding it is skipped; outside elements the whole
  // response is refused.
  bool bad_text(error_code& ec) {
    if (element_ > 0 || (skip_ == 0 && level_ == Level::kContent)) {
      problem("holds text that is not valid UTF-8");
      return true;
    }
    return reject(ec, "the response holds text that is not valid UTF-8 outside its elements");
  }

  // A top-level key of the element, in pieces: enough of it to tell whether it is "id".
  void note_key(string_view s) {
    key_.append(s.data(),
                std::min<std::size_t>(s.size(), 3 - std::min<std::size_t>(3, key_.size())));
  }
  void append_id_text(string_view s) {
    id_text_.append(
        s.data(), std::min<std::size_t>(s.size(), 64 - std::min<std::size_t>(64, id_text_.size())));
  }

  json::value stand_in() {
    json::object about;
    about["position"] = position_;
    about["id"] = std::move(id_);
    about["why"] = problem_in_element_;
    json::object o;
    o[kSkippedKey] = std::move(about);
    id_ = nullptr;
    problem_in_element_.clear();
    return o;
  }

  bool reject(error_code& ec, std::string why) {
    problem_ = std::move(why);
    ec = std::make_error_code(std::errc::invalid_argument);
    return false;
  }

  EnvelopeStream::ElementSink sink_;
  json::value_stack stack_;
  CompactTaker taker_;  // set: text mode (see EnvelopeStream::offer_compact_first)
  bool text_mode_ = false;
  std::string canon_;     // the element's compact text so far (text mode)
  bool comma_ = false;    // the next value or key needs a comma before it
  bool in_text_ = false;  // inside a key or string given in pieces
  std::uint64_t taken_ = 0;
  Level level_ = Level::kDocument;
  Slot slot_ = Slot::kOther;
  int skip_ = 0;      // depth inside a skipped top-level value
  int element_ = 0;   // depth inside the element being rebuilt
  std::string text_;  // key or string pieces outside elements
  Utf8Check utf8_;    // the key or string being read
  bool elided_ = false;
  std::uint64_t position_ = 0;      // elements of `content` begun so far
  std::string problem_in_element_;  // why the element being read cannot be kept; "" if it can
  std::uint64_t max_element_ = std::numeric_limits<std::uint64_t>::max();
  std::uint64_t element_size_ = 0;  // about how much JSON text the element has had so far
  json::value id_;                  // its top-level "id", when a number or a string
  bool id_next_ = false;            // the next value at its top level is its "id"
  std::string key_;                 // the start of its top-level key being read
  std::string id_text_;             // the start of its "id" string being read
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

  json::basic_parser<Handler> parser;
  std::optional<StreamError> failed;
  std::uint64_t bytes = 0;
  std::uint64_t largest_write = 0;
  // Nesting as the bytes read so far say, strings aside: enough to find a container nested too
  // deeply, and its end, without parsing it.
  std::size_t depth = 0;
  std::size_t elided_from = 0;  // the depth of the container being left out; 0 when none
  bool in_string = false;
  bool escaped = false;
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
  std::size_t from = 0;  // the first byte neither parsed nor left out yet
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    const char c = bytes[i];
    if (!kNestingMarks[static_cast<unsigned char>(c)]) continue;  // most bytes: fast
    if (m.in_string) {
      if (m.escaped)
        m.escaped = false;
      else if (c == '\\')
        m.escaped = true;
      else if (c == '"')
        m.in_string = false;
    } else if (c == '"') {
      m.in_string = true;
    } else if (c == '{' || c == '[') {
      if (++m.depth > kMaxDocumentDepth && m.elided_from == 0) {
        if (auto e = m.parse(bytes.substr(from, i - from))) return e;
        if (auto e = m.parse_elided()) return e;
        m.elided_from = m.depth;
        from = i;
      }
    } else if (c == '}' || c == ']') {
      if (m.depth > 0) --m.depth;
      if (m.elided_from != 0 && m.depth < m.elided_from) {
        m.elided_from = 0;
        m.bytes += i + 1 - from;
        from = i + 1;
      }
    }
  }
  if (m.elided_from != 0) {
    m.bytes += bytes.size() - from;
    return std::nullopt;
  }
  return m.parse(bytes.substr(from));
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
