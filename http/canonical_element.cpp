#include "http/canonical_element.h"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <array>
#include <charconv>
#include <cmath>

#include "http/json_stream.h"
#include "http/utf8_check.h"

namespace clevertim::sync::detail {
namespace {

namespace json = boost::json;

// Bytes a string holds as they are, in the writer's output and in valid JSON alike: printable
// ASCII but the quote and the backslash.
constexpr std::array<bool, 256> kPlain = [] {
  std::array<bool, 256> plain{};
  for (int c = 0x20; c < 0x80; ++c) plain[c] = c != '"' && c != '\\';
  return plain;
}();

bool is_digit(unsigned char c) {
  return c >= '0' && c <= '9';
}

// A control character the writer escapes as \u00xx, not by a letter (json_escape.cpp).
bool escaped_as_hex(unsigned c) {
  return c < 0x20 && c != '\b' && c != '\t' && c != '\n' && c != '\f' && c != '\r';
}

static_assert(kMaxElementDepth <= 64, "CanonicalScan keeps a bit per level in 64 bits");

// What EnvelopeHandler's grow() adds for each part of an element (envelope_handler.h).
constexpr std::uint64_t kScalarEstimate = 8;
constexpr std::uint64_t kNestedEstimate = 2;

}  // namespace

// One pass over one element, from its '{': a state machine with an explicit stack, so that no
// input can make it recurse. Each read_* advances p_ past what it read, or returns false.
class CanonicalScan {
 public:
  CanonicalScan(CanonicalReader& reader, std::string_view bytes)
      : reader_(reader),
        begin_(reinterpret_cast<const unsigned char*>(bytes.data())),
        p_(begin_),
        end_(begin_ + bytes.size()) {}

  std::optional<CanonicalElement> element() {
    if (!read_members()) return std::nullopt;
    if (estimate_ > reader_.max_size_) return std::nullopt;
    return CanonicalElement{static_cast<std::size_t>(p_ - begin_), std::move(id_)};
  }

 private:
  // What reading a value did.
  enum class Read { kFailed, kValue, kOpened };

  // The element's members and everything nested in them, up to the element's closing '}'.
  bool read_members() {
    ++p_;  // the element's '{'
    depth_ = 1;
    objects_ = 1;
    if (at('}')) return ++p_, true;
    for (;;) {
      if (in_object() && !read_key()) return false;
      const Read read = read_value();
      if (read == Read::kFailed) return false;
      if (read == Read::kOpened) continue;  // its first key or value next
      if (!read_separator()) return false;
      if (depth_ == 0) return true;
    }
  }

  // A scalar, an empty container, or the opening bracket of a container with something in it.
  Read read_value() {
    if (p_ == end_) return Read::kFailed;
    const unsigned char c = *p_;
    if (c == '{' || c == '[') return open(c == '{');
    const bool is_id = id_next_;
    id_next_ = false;
    bool ok = false;
    switch (c) {
      case '"':
        ok = read_string_value(is_id);
        break;
      case 't':
        ok = read_literal("true", is_id, json::value(true));
        break;
      case 'f':
        ok = read_literal("false", is_id, json::value(false));
        break;
      case 'n':
        ok = read_literal("null", is_id, json::value(nullptr));
        break;
      default:
        ok = read_number(is_id);
    }
    return ok ? Read::kValue : Read::kFailed;
  }

  // After a value: a comma, or the closing brackets of the containers it ends. Only a comma
  // leaves depth_ above 0 with the next key or value to read.
  bool read_separator() {
    for (;;) {
      if (p_ == end_) return false;
      if (*p_ == ',') return ++p_, true;
      const unsigned char closing = in_object() ? '}' : ']';
      if (*p_ != closing) return false;
      ++p_;
      close();
      if (depth_ == 0) return true;
    }
  }

  Read open(bool object) {
    if (depth_ == kMaxElementDepth) return Read::kFailed;  // the guard cuts it: parser's path
    id_next_ = false;                                      // a container as "id" is no id
    estimate_ += kNestedEstimate;
    ++p_;
    ++depth_;
    const std::uint64_t bit = std::uint64_t{1} << (depth_ - 1);
    objects_ = object ? objects_ | bit : objects_ & ~bit;
    if (!at(object ? '}' : ']')) return Read::kOpened;
    ++p_;  // empty: a value that ends here
    close();
    return Read::kValue;
  }

  void close() { --depth_; }

  bool in_object() const { return (objects_ >> (depth_ - 1)) & 1; }
  bool at(unsigned char c) const { return p_ != end_ && *p_ == c; }

  // "key": with its colon. At the element's top level, notes whether it is "id".
  bool read_key() {
    if (!at('"')) return false;
    const unsigned char* const start = p_ + 1;
    std::uint64_t decoded = 0;
    if (!read_string(decoded)) return false;
    estimate_ += decoded + 3;  // quotes and colon, as grow() counts a key
    if (depth_ == 1) id_next_ = p_ - 1 - start == 2 && start[0] == 'i' && start[1] == 'd';
    if (!at(':')) return false;
    ++p_;
    return true;
  }

  bool read_string_value(bool is_id) {
    const unsigned char* const start = p_ + 1;
    std::uint64_t decoded = 0;
    if (!read_string(decoded)) return false;
    estimate_ += decoded + 2;  // quotes, as grow() counts a string
    if (!is_id) return true;
    const auto raw = static_cast<std::size_t>(p_ - 1 - start);
    if (decoded != raw) return false;  // an id with escapes: rare, left to the parser
    // The handler keeps the first 64 bytes of a string id (envelope_handler.h, note_id_text).
    id_ = json::value(
        json::string_view(reinterpret_cast<const char*>(start), std::min(raw, std::size_t{64})));
    return true;
  }

  // From the opening quote past the closing one; `decoded` is the length Boost's parser hands
  // the handler (each escape one byte).
  bool read_string(std::uint64_t& decoded) {
    ++p_;
    const unsigned char* const start = p_;
    std::size_t saved = 0;  // bytes escapes take beyond the one each stands for
    for (;;) {
      while (p_ != end_ && kPlain[*p_]) ++p_;
      if (p_ == end_) return false;
      const unsigned char c = *p_;
      if (c == '"') break;
      if (c == '\\') {
        if (!read_escape(saved)) return false;
      } else if (c >= 0x80) {
        if (!read_utf8_sequence()) return false;
      } else {
        return false;  // a control byte as it is: not JSON
      }
    }
    decoded = static_cast<std::uint64_t>(p_ - start) - saved;
    ++p_;
    return true;
  }

  // Only the escapes json_escape.cpp writes, in its exact form: \" \\ \b \t \n \f \r, and \u00xx
  // (lowercase hex) for the other control characters.
  bool read_escape(std::size_t& saved) {
    if (end_ - p_ < 2) return false;
    switch (p_[1]) {
      case '"':
      case '\\':
      case 'b':
      case 't':
      case 'n':
      case 'f':
      case 'r':
        p_ += 2;
        saved += 1;
        return true;
      case 'u':
        break;
      default:
        return false;
    }
    if (end_ - p_ < 6 || p_[2] != '0' || p_[3] != '0' || (p_[4] != '0' && p_[4] != '1'))
      return false;
    const unsigned char h = p_[5];
    const bool hex = is_digit(h) || (h >= 'a' && h <= 'f');
    if (!hex) return false;
    const unsigned c = (p_[4] - '0') * 16u + (is_digit(h) ? h - '0' : h - 'a' + 10u);
    if (!escaped_as_hex(c)) return false;
    p_ += 6;
    saved += 5;
    return true;
  }

  // One multi-byte UTF-8 character, whole (RFC 3629, as utf8_check.h checks it).
  bool read_utf8_sequence() {
    const Utf8Lead lead = utf8_lead(*p_);
    const int need = lead.need;
    unsigned char low = lead.low, high = lead.high;
    if (need == 0) return false;
    if (end_ - p_ <= need) return false;
    for (int k = 1; k <= need; ++k) {
      if (p_[k] < low || p_[k] > high) return false;
      low = 0x80;
      high = 0xBF;
    }
    p_ += need + 1;
    return true;
  }

  bool read_literal(std::string_view word, bool is_id, json::value value) {
    if (static_cast<std::size_t>(end_ - p_) < word.size() ||
        std::string_view(reinterpret_cast<const char*>(p_), word.size()) != word)
      return false;
    p_ += word.size();
    estimate_ += kScalarEstimate;
    if (is_id) id_ = std::move(value);
    return true;
  }

  // An integer as std::to_chars writes an int64 or uint64 (what Boost reads it as), or a number
  // with a fraction or exponent written as serialize writes its double.
  bool read_number(bool is_id) {
    const unsigned char* const start = p_;
    if (at('-')) ++p_;
    if (p_ == end_ || !is_digit(*p_)) return false;
    if (*p_ == '0') {
      ++p_;
    } else {
      while (p_ != end_ && is_digit(*p_)) ++p_;
    }
    if (p_ == end_) return false;  // the number may go on in the next bytes
    const std::string_view text(reinterpret_cast<const char*>(start),
                                static_cast<std::size_t>(p_ - start));
    if (*p_ == '.' || *p_ == 'e' || *p_ == 'E') return read_fraction(start, is_id);
    return is_canonical_integer(text, is_id);
  }

  bool is_canonical_integer(std::string_view text, bool is_id) {
    estimate_ += kScalarEstimate;
    if (text == "-0") return false;  // Boost reads it as 0 (or -0.0): written otherwise
    const char* const first = text.data();
    const char* const last = first + text.size();
    if (text[0] == '-') {
      std::int64_t n = 0;
      const auto r = std::from_chars(first, last, n);
      if (r.ec != std::errc() || r.ptr != last) return false;  // beyond int64: a double
      if (is_id) id_ = json::value(n);
      return true;
    }
    std::uint64_t n = 0;
    const auto r = std::from_chars(first, last, n);
    if (r.ec != std::errc() || r.ptr != last) return false;  // beyond uint64: a double
    if (is_id) {
      if (n <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
        id_ = json::value(static_cast<std::int64_t>(n));
      else
        id_ = json::value(n);
    }
    return true;
  }

  bool read_fraction(const unsigned char* start, bool is_id) {
    if (is_id) return false;  // a double as id: rare, left to the parser
    int mantissa_digits = 0;
    for (const unsigned char* d = start; d != p_; ++d) mantissa_digits += is_digit(*d);
    while (p_ != end_ && (is_digit(*p_) || *p_ == '.')) mantissa_digits += is_digit(*p_++);
    // Boost 1.81 reads a longer mantissa differently depending on how many bytes follow it in
    // its input (json_stream.cpp, clear_of_long_numbers): what the handler would get is not
    // known here.
    if (mantissa_digits > 15) return false;
    while (p_ != end_ && (is_digit(*p_) || *p_ == 'e' || *p_ == 'E' || *p_ == '+' || *p_ == '-'))
      ++p_;
    if (p_ == end_) return false;
    estimate_ += kScalarEstimate;
    return reader_.is_canonical_double(std::string_view(reinterpret_cast<const char*>(start),
                                                        static_cast<std::size_t>(p_ - start)));
  }

  CanonicalReader& reader_;
  const unsigned char* const begin_;
  const unsigned char* p_;
  const unsigned char* const end_;
  std::size_t depth_ = 0;      // of the container being read; the element is 1
  std::uint64_t objects_ = 0;  // bit d-1: the container at depth d is an object
  std::uint64_t estimate_ = 0;
  bool id_next_ = false;  // the next value at the element's top level is its "id"
  json::value id_;
};

std::optional<CanonicalElement> CanonicalReader::read(std::string_view bytes) {
  if (bytes.empty() || bytes[0] != '{') return std::nullopt;
  return CanonicalScan(*this, bytes).element();
}

bool CanonicalReader::is_canonical_double(std::string_view number) {
  if (number == last_double_) return true;
  // Boost's own reading and writing: its parser is not always correctly rounded, so a reading
  // of our own could differ from what the handler would get by a last digit.
  json::error_code ec;
  const json::value v = json::parse(json::string_view(number.data(), number.size()), ec);
  if (ec || !v.is_double() || !std::isfinite(v.get_double())) return false;
  if (json::serialize(v) != number) return false;
  last_double_.assign(number);
  return true;
}

}  // namespace clevertim::sync::detail
